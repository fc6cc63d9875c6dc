"""The built site, tested in a real browser (Playwright driving Debian's Chromium).

CI builds the book first (``make book``), then runs this file against ``_build/html``
served on 127.0.0.1, in English and in Chinese (its ``zh-cn/``). Every request that
leaves 127.0.0.1 is blocked, so the site must work offline: MathJax is vendored under
``book/_static/mathjax``. A screenshot of every page goes to ``screenshots/``.

Needs ``pip install playwright`` and ``apt-get install chromium`` (no
``playwright install``: the browser download is not reachable from CI).
Set ``TT_SITE_DIR`` (and ``TT_TOC``) to test a site built elsewhere (with another ToC).
"""
import functools
import http.server
import os
import re
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE = Path(os.environ.get("TT_SITE_DIR", ROOT / "_build" / "html"))
TOC = Path(os.environ.get("TT_TOC", ROOT / "_toc.yml"))
SCREENSHOTS = ROOT / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
# Console errors that come from the pinned toolchain, not from the book. Each names its upstream fix.
KNOWN_UPSTREAM_ERRORS = {
    # Sphinx 7 writes sphinx-thebe's inline config script twice (None vs '' filename); the second copy
    # redeclares identical constants and does nothing else. Fixed upstream (sphinx-doc/sphinx#13402, Sphinx 8),
    # which Jupyter Book 1 cannot use.
    "uncaught: Identifier 'THEBE_JS_URL' has already been declared",
}

if not (SITE / "index.html").exists():
    pytest.skip(f"no built site at {SITE}: run `jupyter-book build .` first", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed: pip install playwright")
if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} not found: apt-get install chromium", allow_module_level=True)
yaml = pytest.importorskip("yaml")

# The ToC reading the other site checks use, and where the Chinese edition lies
from check_site import CHINESE, toc_files  # noqa: E402


PAGES = [re.sub(r"\.(md|ipynb)$", "", entry) for entry in toc_files(yaml.safe_load(TOC.read_text()))]
# Each edition by where it lies in the site: English at its root, Chinese in CHINESE/.
EDITIONS = ["", f"{CHINESE}/"]


@pytest.fixture(scope="module")
def site_url():
    """``python -m http.server`` for the built site, on a free port, in a thread."""
    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=SITE))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class PageProblems:
    """Console errors, uncaught exceptions, failed or blocked requests, seen while a page loads."""

    def __init__(self, page):
        self.errors = []
        page.on("console", lambda msg: msg.type == "error" and self._error(f"console: {msg.text}"))
        page.on("pageerror", lambda exc: self._error(f"uncaught: {exc}"))
        page.on("requestfailed", lambda req: self.errors.append(f"request failed: {req.url} ({req.failure})"))
        page.on("response", lambda res: res.status >= 400 and self.errors.append(f"HTTP {res.status}: {res.url}"))
        page.route("**/*", self._offline)

    def _error(self, message):
        if message not in KNOWN_UPSTREAM_ERRORS:
            self.errors.append(message)

    def _offline(self, route):
        host = urlparse(route.request.url).hostname
        if host in ("127.0.0.1", None):
            route.continue_()
        else:  # the site must not need the network
            self.errors.append(f"external request: {route.request.url}")
            route.abort()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.problems = PageProblems(page)
    yield page
    context.close()


def wait_for_mathjax(page):
    """Resolve once MathJax has typeset the page (no-op on pages without MathJax)."""
    page.evaluate("""() => (window.MathJax && MathJax.startup && MathJax.startup.promise)
                           ? MathJax.startup.promise.then(() => true) : true""")


def path_of(url):
    """A page's path in the site, no ``.html``: ``book/intro``, ``zh-cn/book/intro``."""
    return urlparse(url).path.lstrip("/").removesuffix(".html")


@pytest.mark.parametrize("edition", EDITIONS, ids=["en", "zh"])
@pytest.mark.parametrize("page_name", PAGES)
def test_page_loads_cleanly_with_its_figures(page, site_url, edition, page_name):
    name = edition + page_name
    response = page.goto(f"{site_url}/{name}.html", wait_until="load")
    assert response.status == 200, f"{name}.html: HTTP {response.status}"
    wait_for_mathjax(page)
    page.wait_for_load_state("networkidle")
    assert page.problems.errors == [], f"{name}.html: " + "\n".join(page.problems.errors)

    assert page.locator("main h1").count() >= 1, f"{name}.html has no title"
    broken = page.evaluate("""() => [...document.querySelectorAll('main img')]
                                   .filter(img => !(img.complete && img.naturalWidth > 0))
                                   .map(img => img.getAttribute('src').slice(0, 80))""")
    assert broken == [], f"{name}.html: images that did not load: {broken}"
    stray = page.locator("main .output.traceback").evaluate_all(
        "tracebacks => tracebacks.filter(t => !t.closest('.tag_raises-exception')).length")
    assert stray == 0, f"{name}.html shows {stray} traceback(s) outside cells tagged raises-exception"

    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name.replace('/', '_')}.png", full_page=True)


@pytest.mark.parametrize("edition", EDITIONS, ids=["en", "zh"])
def test_math_renders_offline_with_the_vendored_mathjax(page, site_url, edition):
    with_math = [edition + name for name in PAGES if 'class="math' in
                 (SITE / f"{edition}{name}.html").read_text(encoding="utf-8")]
    assert with_math, "no page of the book has math in it"
    for name in with_math:
        page.goto(f"{site_url}/{name}.html", wait_until="load")
        wait_for_mathjax(page)
        sources = page.evaluate("() => [...document.scripts].map(s => s.src).filter(s => /mathjax/i.test(s))")
        assert len(sources) == 1 and urlparse(sources[0]).hostname == "127.0.0.1", \
            f"{name}.html should load MathJax once, from the site itself; loads {sources}"
        formulas = page.locator("main .math").count()
        rendered = page.locator("main mjx-container").count()
        assert rendered >= formulas > 0, f"{name}.html: {formulas} formulas, {rendered} typeset by MathJax"
        assert page.locator("main mjx-merror").count() == 0, f"{name}.html: MathJax reports a TeX error"
        assert page.problems.errors == [], f"{name}.html: " + "\n".join(page.problems.errors)


@pytest.mark.parametrize("edition", EDITIONS, ids=["en", "zh"])
def test_next_and_previous_links_walk_the_table_of_contents(page, site_url, edition):
    pages = [edition + name for name in PAGES]
    page.goto(f"{site_url}/{pages[0]}.html")
    visited = [pages[0]]
    for _ in pages[1:]:
        with page.expect_navigation():
            page.locator("a.right-next").first.click()
        visited.append(path_of(page.url))
    assert visited == pages
    assert page.locator("a.right-next").count() == 0, "the last page should have no 'next' link"

    for expected in reversed(pages[:-1]):
        with page.expect_navigation():
            page.locator("a.left-prev").first.click()
        assert path_of(page.url) == expected


def test_the_language_switch_leads_to_the_same_page_and_back(page, site_url):
    for name in PAGES:
        page.goto(f"{site_url}/{name}.html")
        for there in (f"{CHINESE}/{name}", name):
            with page.expect_navigation():
                page.locator("a.language-switch").click()
            assert path_of(page.url) == there, f"{name}: the switch leads to {page.url}"
            assert page.locator("main h1").count() >= 1
    assert page.problems.errors == [], "\n".join(page.problems.errors)


# Whether Sphinx's search has finished, in any language: its status line is then one of
# these two messages, as the page's own translations.js gives them.
SEARCH_FINISHED = """() => {
    const summary = document.querySelector('#search-results .search-summary');
    const status = summary?.innerText ?? '';
    const [before, after] = Documentation.gettext(
        'Search finished, found ${resultCount} page(s) matching the search query.'
    ).split('${resultCount}');
    const nothing = Documentation.gettext('Your search did not match any documents. ' +
        'Please make sure that all words are spelled correctly and that you\\'ve ' +
        'selected enough categories.');
    return status === nothing || (status.startsWith(before) && status.endsWith(after));
}"""


def search_results(page, site_url, query, edition=""):
    """The pages an edition's search page lists for ``query``, once it has finished."""
    page.goto(f"{site_url}/{edition}search.html?q={query}")
    page.wait_for_function(SEARCH_FINISHED)
    links = page.locator("#search-results ul.search li a")
    return [path_of(href).removeprefix(edition)
            for href in links.evaluate_all("links => links.map(a => a.href)")]


def test_search_finds_pages_and_nothing_for_nonsense(page, site_url):
    hits = search_results(page, site_url, "tensor")
    assert set(hits) & set(PAGES), f"searching 'tensor' found no chapter: {hits}"
    assert page.problems.errors == [], "\n".join(page.problems.errors)
    assert search_results(page, site_url, "qwxzvbnonsenseword") == []


@pytest.mark.parametrize("query, chapter", [("张量", "book/02_tensors"),
                                            ("反向传播", "book/04_autograd")])
def test_chinese_search_finds_the_chapter_about_it(page, site_url, query, chapter):
    chinese = f"{CHINESE}/"
    hits = search_results(page, site_url, query, edition=chinese)
    assert chapter in hits, f"searching {query} in Chinese found {hits}"
    assert page.problems.errors == [], "\n".join(page.problems.errors)
    assert search_results(page, site_url, "qwxzvbnonsenseword", edition=chinese) == []
