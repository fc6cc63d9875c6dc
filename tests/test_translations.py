"""The Chinese edition: its catalogs, its build, and its pages against the English ones.

- Every page of _toc.yml has a catalog (locale/zh_CN/LC_MESSAGES/book/NAME.po) that
  ``msgfmt --check`` accepts and that translates every message of the page's English
  text, none fuzzy, none stale (tools/translations.py, which make book runs against
  the templates it extracts into _build/pot); each translation keeps its message's
  inline code, math and link targets.
- The Chinese build leaves no text in English: tools/editions.py makes every
  untranslated message a warning (an error under -W), here in a one-page book.
- The built Chinese pages (_build/html/zh-cn, make book) show the English pages' code
  cells, cell by cell, with the English build's outputs (the Chinese build executed
  nothing itself), are in Chinese, and link to the same page of the other edition.
"""
import os
import re
import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE = Path(os.environ.get("TT_SITE_DIR", ROOT / "_build" / "html"))
POT = ROOT / "_build" / "pot" / "_build" / "gettext"  # make book extracts them here
ZH_CACHE = ROOT / "_build" / "zh" / "_build" / ".jupyter_cache"
sys.path.insert(0, str(ROOT / "tools"))
import editions  # noqa: E402
import translations  # noqa: E402

from check_site import CHINESE  # noqa: E402

bs4 = pytest.importorskip("bs4")
LANGUAGE = translations.chinese_settings()["language"]
CATALOGS = translations.catalog_dir()
PAGES = translations.pages()
needs_templates = pytest.mark.skipif(
    not POT.is_dir(), reason=f"no templates at {POT}: run make book")
needs_site = pytest.mark.skipif(
    not (SITE / CHINESE / "index.html").is_file(),
    reason=f"no built Chinese site at {SITE / CHINESE}: run make book")


def write_catalog(path, entries, header_fuzzy=False):
    """A small .po file: entries are (msgid, msgstr, fuzzy)."""
    lines = ["#, fuzzy"] if header_fuzzy else []
    lines += ['msgid ""', 'msgstr ""', f'"Language: {LANGUAGE}\\n"',
              '"Content-Type: text/plain; charset=UTF-8\\n"', ""]
    for msgid, msgstr, fuzzy in entries:
        lines += ["#, fuzzy"] if fuzzy else []
        lines += [f'msgid "{msgid}"', f'msgstr "{msgstr}"', ""]
    path.write_text("\n".join(lines), encoding="utf8")


# --- the check make book runs before building ---------------------------------------

def test_the_check_names_what_is_untranslated_fuzzy_or_stale(tmp_path):
    template, catalog = tmp_path / "page.pot", tmp_path / "page.po"
    write_catalog(template, [("Tensors", "", False), ("Shapes", "", False),
                             ("Strides", "", False), ("Views", "", False)])
    write_catalog(catalog, [("Tensors", "张量", False), ("Shapes", "形状", True),
                            ("Strides", "", False), ("Old text", "旧的", False)],
                  header_fuzzy=True)
    problems = translations.catalog_problems(template, catalog, LANGUAGE)
    assert problems[0] == ("3 of 4 messages untranslated (1 not in the catalog, "
                           "1 empty, 1 fuzzy): 'Views', 'Strides', 'Shapes'")
    assert problems[1].startswith("1 stale: text the English page no longer has")
    assert "'Old text'" in problems[1]
    assert "the header is marked fuzzy" in problems[2]
    assert len(problems) == 3


def test_a_complete_catalog_passes_and_a_missing_one_says_how_to_start(tmp_path):
    template, catalog = tmp_path / "page.pot", tmp_path / "page.po"
    write_catalog(template, [("Tensors", "", False), ("$x$", "", False)])
    write_catalog(catalog, [("Tensors", "张量", False), ("$x$", "$x$", False)])
    assert translations.catalog_problems(template, catalog, LANGUAGE) == []
    [problem] = translations.catalog_problems(template, tmp_path / "new.po", LANGUAGE)
    assert "no catalog" in problem and "make translations" in problem


def test_msgfmt_rejects_a_translation_that_drops_a_final_newline(tmp_path):
    template, catalog = tmp_path / "page.pot", tmp_path / "page.po"
    write_catalog(template, [("\\nx = 1\\n", "", False)])
    write_catalog(catalog, [("\\nx = 1\\n", "\\nx = 1", False)])
    [problem] = translations.catalog_problems(template, catalog, LANGUAGE)
    assert problem.startswith("msgfmt --check fails:") and "\\n" in problem


def test_the_chinese_configuration_is_the_english_one_with_the_overrides(tmp_path):
    out = tmp_path / "zh" / "_config.yml"
    translations.write_config("zh", out)
    yaml = pytest.importorskip("yaml")
    made, english = yaml.safe_load(out.read_text()), yaml.safe_load(
        (ROOT / "_config.yml").read_text())
    overrides = yaml.safe_load((ROOT / "_config.zh.yml").read_text())
    assert made["sphinx"]["config"]["language"] == LANGUAGE
    assert made["execute"]["execute_notebooks"] == "cache"
    assert made["execute"]["timeout"] == english["execute"]["timeout"]
    assert made["parse"] == english["parse"]
    settings = {**english["sphinx"]["config"], **overrides["sphinx"]["config"]}
    assert made["sphinx"]["config"].keys() == settings.keys()
    # local extensions are found relative to the made file, wherever it is
    for name, path in made["sphinx"]["local_extensions"].items():
        assert (out.parent / path / f"{name}.py").is_file()


@pytest.mark.parametrize("page, edition_root, link", [
    ("book/02_tensors", "zh-cn", "../zh-cn/book/02_tensors.html"),
    ("book/02_tensors", "..", "../../book/02_tensors.html"),
    ("search", "zh-cn", "zh-cn/search.html"),
    ("search", "..", "../search.html"),
])
def test_the_language_switch_links_relative_to_the_page(page, edition_root, link):
    assert editions.other_edition_url(page, edition_root) == link


# --- the catalogs ------------------------------------------------------------------

@needs_templates
@pytest.mark.parametrize("page", PAGES)
def test_the_catalog_compiles_and_translates_all_of_the_page(page):
    problems = translations.catalog_problems(
        POT / f"{page}.pot", CATALOGS / f"{page}.po", LANGUAGE)
    assert problems == [], f"{page}:\n" + "\n".join(problems)


CODE = re.compile(r"(`+)(.+?)\1")
MATH = re.compile(r"\$+[^$]+\$+")
LINK_TARGET = re.compile(r"\]\(([^)\s]+)\)")


def markup(text):
    """The inline code, math and link targets of a message, as a multiset."""
    without_code = CODE.sub(" ", text)
    return (Counter(match[0] for match in CODE.finditer(text)),
            Counter(MATH.findall(without_code)), Counter(LINK_TARGET.findall(text)))


@pytest.mark.parametrize("page", [page for page in PAGES
                                  if (CATALOGS / f"{page}.po").is_file()])
def test_translations_keep_the_code_math_and_links(page):
    changed = [message.id[:60] for message in translations.read_catalog(
        CATALOGS / f"{page}.po") if message.id and message.string
        and markup(message.id) != markup(message.string)]
    assert changed == [], f"{page}.po: translations that change the markup of {changed}"


# --- the Chinese build's own check --------------------------------------------------

def build_one_page_book(tmp_path, translations_of):
    """Build a Markdown page in Chinese with editions.py; its warnings."""
    sphinx_application = pytest.importorskip("sphinx.application")
    from sphinx.util.docutils import docutils_namespace
    source = tmp_path / "source"
    (source / "locale" / LANGUAGE / "LC_MESSAGES").mkdir(parents=True)
    # Sphinx keeps the catalogs it loaded for the process: a page name per test
    page = tmp_path.name
    (source / f"{page}.md").write_text(  # front matter, as the chapters have
        "---\nkernelspec: {name: python3}\n---\n# Tensors\n\nA tensor has a shape.\n\n"
        "| Chapter |\n|---|\n| 1. Tensors |\n", encoding="utf8")
    write_catalog(source / "locale" / LANGUAGE / "LC_MESSAGES" / f"{page}.po",
                  [(msgid, msgstr, False) for msgid, msgstr in translations_of.items()])
    warnings = tmp_path / "warnings.txt"
    # docutils_namespace: what myst_parser registers in docutils is undone after
    with open(warnings, "w") as stream, docutils_namespace():
        application = sphinx_application.Sphinx(
            str(source), None, str(tmp_path / "html"), str(tmp_path / "doctrees"),
            "html", status=None, warning=stream, freshenv=True, confoverrides={
                "extensions": ["myst_parser", "editions"], "language": LANGUAGE,
                "locale_dirs": ["locale"], "gettext_compact": False,
                "root_doc": page, "exclude_patterns": ["locale"]})
        application.build()
    return warnings.read_text(encoding="utf8"), tmp_path / "html" / f"{page}.html"


def test_the_chinese_build_warns_of_text_left_in_english(tmp_path):
    warnings, _ = build_one_page_book(tmp_path, {
        "Tensors": "张量", "Chapter": "章", "1. Tensors": "1. 张量"})
    assert "1 of 4 messages untranslated" in warnings
    assert "'A tensor has a shape.'" in warnings
    assert "1 translations not applied" in warnings and "'1. Tensors'" in warnings


def test_the_chinese_build_is_quiet_when_everything_is_translated(tmp_path):
    warnings, page = build_one_page_book(tmp_path, {
        "Tensors": "张量", "A tensor has a shape.": "张量有形状。", "Chapter": "章",
        "1. Tensors": "1\\\\. 张量"})
    assert "untranslated" not in warnings and "not applied" not in warnings, warnings
    html = page.read_text(encoding="utf8")
    assert "张量有形状。" in html and "1. 张量" in html


# --- the built Chinese pages ---------------------------------------------------------

def cells(page):
    """Each code cell of a built page: its code, its outputs' text and images."""
    soup = bs4.BeautifulSoup(page.read_text(encoding="utf8"), "html.parser")
    return [([block.get_text() for block in cell.select("div.cell_input pre")],
             [output.get_text() for output in cell.select("div.cell_output")],
             [image.get("src") for image in cell.select("div.cell_output img")])
            for cell in soup.select("div.cell")]


@needs_site
@pytest.mark.parametrize("page", PAGES)
def test_the_chinese_page_shows_the_english_code_and_outputs(page):
    english = cells(SITE / f"{page}.html")
    chinese = cells(SITE / CHINESE / f"{page}.html")
    assert len(chinese) == len(english), f"{page}: {len(english)} code cells in English"
    for number, (in_english, in_chinese) in enumerate(zip(english, chinese), 1):
        assert in_chinese[0] == in_english[0], f"{page}, cell {number}: other code"
        assert in_chinese[1:] == in_english[1:], f"{page}, cell {number}: other outputs"


@needs_site
@pytest.mark.parametrize("page", PAGES)
def test_the_chinese_page_is_in_chinese_and_links_to_the_english_one(page):
    chinese = SITE / CHINESE / f"{page}.html"
    soup = bs4.BeautifulSoup(chinese.read_text(encoding="utf8"), "html.parser")
    assert soup.html.get("lang") == "zh-CN"
    chinese_text = re.compile("[\u4e00-\u9fff]")
    assert chinese_text.search(soup.select_one("main h1").get_text()), \
        f"{page}: the title is not in Chinese"
    captions = [caption.get_text() for caption in soup.select("nav .caption-text")]
    assert captions and all(map(chinese_text.search, captions)), \
        f"{page}: the table of contents' captions are {captions}"
    english = SITE / f"{page}.html"
    for here, there in ((english, chinese), (chinese, english)):
        switch = bs4.BeautifulSoup(here.read_text(encoding="utf8"), "html.parser"
                                   ).select_one("a.language-switch")
        assert switch is not None, f"{here.relative_to(SITE)} has no language switch"
        assert (here.parent / switch["href"]).resolve() == there.resolve(), \
            f"{here.relative_to(SITE)}'s language switch leads to {switch['href']}"


@needs_site
def test_the_chinese_build_executed_nothing_itself():
    cache = pytest.importorskip("jupyter_cache").get_cache(ZH_CACHE)
    assert len(cache.list_cache_records()) >= len(PAGES) - 1, "the English execution"
    executed = [record.uri for record in cache.list_project_records()]
    assert executed == [], f"the Chinese build executed {executed} again"
