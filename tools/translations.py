"""The Chinese edition's configuration, and the check that its catalogs are complete.

The English pages are the source text. Sphinx's gettext builder extracts their prose
into one template per page (``make translations`` writes them to ``_build/pot``), and
``locale/zh_CN/LC_MESSAGES/book/NAME.po`` translates the template of ``book/NAME``. Code
cells are never extracted, so the Chinese pages run exactly the English code.

    python tools/translations.py config gettext|zh OUT.yml
        A whole Jupyter Book configuration: _config.yml with, merged in, the settings
        of the extraction (nothing executed, a template per page) or the Chinese
        edition's (_config.zh.yml). Jupyter Book reads one configuration file, so the
        Chinese one is made, not kept by hand next to the English one.
    python tools/translations.py check POT_DIR
        One line per page of _toc.yml, then exit 1 unless every page has a catalog
        that ``msgfmt --check`` accepts and that translates every message of the
        page's template: none missing, empty or fuzzy, none stale (a message kept for
        text the English page no longer has).
    python tools/translations.py update POT_DIR
        ``make translations``: ``sphinx-intl update`` brings every catalog up to date
        with the templates (a new page gets a catalog, changed text comes back empty
        or fuzzy), then the same report as check, exit 0. The catalogs it rewrote
        lose the format flags babel guesses (below), which msgfmt --check enforces.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from check_site import chapters  # noqa: E402  (the ToC reading the site checks use)

ENGLISH_CONFIG = ROOT / "_config.yml"
CHINESE_CONFIG = ROOT / "_config.zh.yml"
# The extraction reads the English text only: nothing is executed (outputs are not
# translated) and each page gets a template of its own, named like the page.
GETTEXT_SETTINGS = {"execute": {"execute_notebooks": "off"},
                    "sphinx": {"config": {"gettext_compact": False}}}
UPDATE = "make translations"
LINE_WIDTH = 76  # sphinx-intl's, so that a catalog it wrote keeps its lines
# Flags babel gives a message that holds a '%' or a '{...}', as if Sphinx formatted
# it; msgfmt --check then holds the translation to the same placeholders.
FORMAT_FLAGS = ("python-format", "python-brace-format")
QUOTED = 3  # messages quoted per problem


def read_yaml(path):
    return yaml.safe_load(path.read_text(encoding="utf8"))


def merged(base, overrides):
    """``base`` with ``overrides`` merged in: mappings key by key, the rest replaced."""
    result = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            result[key] = merged(base[key], value)
        else:
            result[key] = value
    return result


def chinese_settings():
    return read_yaml(CHINESE_CONFIG)["sphinx"]["config"]


def catalog_dir():
    settings = chinese_settings()
    return ROOT / settings["locale_dirs"][0] / settings["language"] / "LC_MESSAGES"


def pages():
    """The pages of _toc.yml, as ``book/NAME`` (a ToC entry may carry its suffix)."""
    return [re.sub(r"\.(md|ipynb)$", "", entry) for entry in chapters()]


def write_config(edition, out):
    overrides = GETTEXT_SETTINGS if edition == "gettext" else read_yaml(CHINESE_CONFIG)
    config = merged(read_yaml(ENGLISH_CONFIG), overrides)
    sphinx = config["sphinx"]
    # Jupyter Book finds local extensions relative to the configuration file, and
    # Sphinx's Chinese search opens its dictionary relative to the working directory.
    sphinx["local_extensions"] = {
        name: os.path.relpath(ROOT / path, out.parent)
        for name, path in sphinx.get("local_extensions", {}).items()}
    search = sphinx["config"].get("html_search_options", {})
    if "dict" in search:
        search["dict"] = str(ROOT / search["dict"])
        if not Path(search["dict"]).is_file():
            sys.exit(f"{CHINESE_CONFIG.name}: no search dictionary {search['dict']}")
    made_from = ENGLISH_CONFIG.name + (
        "" if edition == "gettext" else f" and {CHINESE_CONFIG.name}")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(f"# Made by tools/translations.py from {made_from}: edit those.\n"
                   + yaml.safe_dump(config, allow_unicode=True, sort_keys=False),
                   encoding="utf8")


def read_catalog(path):
    with open(path, "rb") as file:
        return read_po(file)


def quoted(messages):
    shown = [repr(text if len(text) <= 60 else text[:57] + "...")
             for text in messages[:QUOTED]]
    return ", ".join(shown) + (", ..." if len(messages) > QUOTED else "")


def relative(path):
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def catalog_problems(template_path, catalog_path, language):
    """What is wrong with one page's catalog (an empty list when nothing is)."""
    if not template_path.is_file():
        return [f"no template {template_path}: extract the English text ({UPDATE})"]
    if not catalog_path.is_file():
        return [f"no catalog {relative(catalog_path)}: `{UPDATE}` starts one"]
    problems = []
    msgfmt = subprocess.run(["msgfmt", "--check", "--output-file", os.devnull,
                             str(catalog_path)], capture_output=True, text=True)
    if msgfmt.returncode:
        problems.append(f"msgfmt --check fails:\n{msgfmt.stderr.rstrip()}")
    try:
        catalog = read_catalog(catalog_path)
    except Exception as error:  # babel's parse errors have no common base class
        return problems + [f"cannot be read: {error}"]
    wanted = [message.id for message in read_catalog(template_path) if message.id]
    entries = {message.id: message for message in catalog if message.id}
    missing = [text for text in wanted if text not in entries]
    empty = [text for text in wanted if text in entries and not entries[text].string]
    fuzzy = [text for text in wanted
             if text in entries and entries[text].string and entries[text].fuzzy]
    untranslated = missing + empty + fuzzy
    if untranslated:
        kinds = ", ".join(f"{len(found)} {kind}" for kind, found in (
            ("not in the catalog", missing), ("empty", empty), ("fuzzy", fuzzy))
            if found)
        problems.append(f"{len(untranslated)} of {len(wanted)} messages untranslated "
                        f"({kinds}): {quoted(untranslated)}")
    known = set(wanted)
    stale = [text for text in entries if text not in known]
    if stale:
        problems.append(f"{len(stale)} stale: text the English page no longer has "
                        f"(it changed; `{UPDATE}` marks them obsolete): "
                        f"{quoted(stale)}")
    if catalog.fuzzy:
        problems.append("the header is marked fuzzy: delete the '#, fuzzy' above its "
                        'msgid ""')
    if catalog.locale_identifier != language:
        problems.append(f"the header says Language: {catalog.locale_identifier}, "
                        f"not {language}")
    return problems


def report(pot_dir):
    """Print a line per page (and per catalog of no page); how many pages failed."""
    language, catalogs = chinese_settings()["language"], catalog_dir()
    failed = 0
    for page in pages():
        problems = catalog_problems(pot_dir / f"{page}.pot", catalogs / f"{page}.po",
                                    language)
        failed += bool(problems)
        print(f"{'FAIL' if problems else 'ok  '} {page}")
        for problem in problems:
            print(f"     - {problem}")
    orphans = sorted(set(catalogs.rglob("*.po"))
                     - {catalogs / f"{page}.po" for page in pages()})
    for orphan in orphans:  # a page still to come, or one removed: nothing to check
        print(f"note {relative(orphan)}: a catalog for no page of _toc.yml, unused")
    print(f"{len(pages()) - failed} of {len(pages())} pages translated completely "
          f"({relative(catalogs)})")
    if failed:
        print(f"Translate what is listed; `{UPDATE}` first brings the catalogs up to "
              "date with the English text.")
    return failed


def update(pot_dir):
    """Run sphinx-intl update; drop the format flags from the catalogs it wrote."""
    settings = chinese_settings()
    catalogs = catalog_dir()
    before = {path: path.read_bytes() for path in catalogs.rglob("*.po")}
    locale_dir = ROOT / settings["locale_dirs"][0]
    subprocess.run([sys.executable, "-m", "sphinx_intl", "update", "--pot-dir",
                    str(pot_dir), "--locale-dir", str(locale_dir),
                    "--language", settings["language"]], check=True)
    for path in sorted(catalogs.rglob("*.po")):
        if before.get(path) != path.read_bytes():
            catalog = read_catalog(path)
            for message in catalog:
                message.flags.difference_update(FORMAT_FLAGS)
            with open(path, "wb") as file:
                write_po(file, catalog, width=LINE_WIDTH)
    report(pot_dir)


def main(argv):
    if len(argv) == 4 and argv[1] == "config" and argv[2] in ("gettext", "zh"):
        write_config(argv[2], Path(argv[3]).resolve())
        return 0
    if len(argv) == 3 and argv[1] == "check":
        return 1 if report(Path(argv[2]).resolve()) else 0
    if len(argv) == 3 and argv[1] == "update":
        update(Path(argv[2]).resolve())
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
