"""No broken internal links in the built site.

Scans every page of ``_build/html`` (or ``TT_SITE_DIR``), the Chinese edition in its
``zh-cn/`` included, for ``href`` and ``src`` attributes that point inside the site
and checks that the file exists and, for ``page.html#anchor``, that the anchor exists
on that page: the language switch between the editions among them. External links
are not fetched (CI has no network); scripts and stylesheets must not be
external at all, so the site works offline. Skips when the site is not built.
"""
import html.parser
import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE = Path(os.environ.get("TT_SITE_DIR", ROOT / "_build" / "html"))

if not (SITE / "index.html").exists():
    pytest.skip(f"no built site at {SITE}: run `jupyter-book build .` first", allow_module_level=True)

from check_site import CHINESE, chapters  # noqa: E402  (the site checks' ToC reading)


class LinkParser(html.parser.HTMLParser):
    """Collects the links of one page and the anchors (ids) it defines."""

    def __init__(self):
        super().__init__()
        self.links, self.ids, self.external_assets = [], set(), []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("id", "name") if tag == "a" else ("id",):
            if attrs.get(name):
                self.ids.add(attrs[name])
        for name in ("href", "src"):
            url = attrs.get(name)
            if not url:
                continue
            if urlsplit(url).scheme in ("http", "https") or url.startswith("//"):
                if tag == "script" or (tag == "link" and attrs.get("rel") == "stylesheet"):
                    self.external_assets.append(url)
            elif urlsplit(url).scheme == "":
                self.links.append(url)


def parse(page, cache={}):
    if page not in cache:
        parser = LinkParser()
        parser.feed(page.read_text(encoding="utf-8"))
        cache[page] = parser
    return cache[page]


# Pages, not the theme's template fragments that Sphinx copies into _static.
PAGES = sorted(page for page in SITE.rglob("*.html")
               if not {"_static", "_sources"} & set(page.relative_to(SITE).parts))


def test_the_site_holds_both_editions():
    for edition in (SITE, SITE / CHINESE):
        missing = [entry for entry in chapters()
                   if edition / f"{entry}.html" not in PAGES]
        assert missing == [], f"{edition} lacks {missing}: run make book"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(SITE)))
def test_internal_links_resolve(page):
    broken = []
    for url in parse(page).links:
        parts = urlsplit(url)
        target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
        if target.is_dir():
            target = target / "index.html"
        if not target.exists():
            broken.append(f"{url} (no file {target})")
        elif parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in parse(target).ids:
            broken.append(f"{url} (no anchor #{parts.fragment} in {target.relative_to(SITE)})")
    assert broken == [], f"{page.relative_to(SITE)} links to:\n" + "\n".join(broken)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(SITE)))
def test_scripts_and_styles_are_served_by_the_site(page):
    external = parse(page).external_assets
    assert external == [], f"{page.relative_to(SITE)} needs the network for {external}"
