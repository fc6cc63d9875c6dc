"""Check the built book: ``python tests/check_site.py _build/html``.

For every page in ``_toc.yml``, in English and in the Chinese edition that ``make
book`` builds into the site's ``zh-cn/`` (the Chinese pages show the English build's
execution, ``_build/jupyter_execute``, so they are checked against it):
- the page exists and has a title;
- every code cell of the source is on the page, and every cell whose executed notebook
  (``_build/jupyter_execute``) has outputs shows them;
- every figure the notebook produced is on the page as an ``<img>`` whose file exists, and a
  page whose source plots has at least one;
- no traceback appears except in cells tagged ``raises-exception``, and each of those shows one;
- a page whose source writes ``$math$`` has math on it;
- the executed ``.ipynb`` is offered for download.
Prints one line per page and exits 1 if anything is wrong.
"""
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

import jupytext
import nbformat
import yaml
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[1]
# Where the Chinese edition lies in the site: the language switch of the English pages
# (tools/editions.py) leads there.
CHINESE = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf8"))[
    "sphinx"]["config"]["other_edition"]["path"]
RAISES = "raises-exception"
PLOTTING = ("plt.", "draw_graph(", ".plot(", "imshow(")  # a page with these has a figure
SHOWING = ("plt.show()",)  # a cell with these has an image output


def toc_files(toc):
    """Every ``file:`` entry of a Jupyter Book table of contents, in reading order."""
    if not isinstance(toc, dict):
        return []
    found = [toc["root"]] if "root" in toc else []
    if "file" in toc:
        found.append(toc["file"])
    for key in ("parts", "chapters", "sections"):
        for entry in toc.get(key, []):
            found += toc_files(entry)
    return found


def chapters(root=ROOT):
    return toc_files(yaml.safe_load((root / "_toc.yml").read_text(encoding="utf8")))


def source_of(entry, root=ROOT):
    """The file a ToC entry names (entries may omit the extension)."""
    path = root / entry
    for candidate in (path, path.with_suffix(".md"), path.with_suffix(".ipynb")):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"_toc.yml lists {entry!r} but neither {entry}.md nor {entry}.ipynb exists")


def shown_code_cells(notebook):
    """The code cells that appear on the page (``remove-cell`` ones do not)."""
    return [cell for cell in notebook.cells
            if cell.cell_type == "code" and "remove-cell" not in cell.metadata.get("tags", [])]


def check_page(entry, html_dir, executed_dir):
    """A list of problems with one page (empty when it is fine)."""
    page = html_dir / f"{entry}.html"
    if not page.is_file():
        return [f"page {page} is missing"]
    soup = BeautifulSoup(page.read_text(encoding="utf8"), "html.parser")
    problems = []
    title = soup.find("h1")
    if title is None or not title.get_text(strip=True):
        problems.append("no <h1> title")

    source = jupytext.read(source_of(entry))
    executed_path = executed_dir / f"{entry}.ipynb"
    source_cells = shown_code_cells(source)
    html_cells = soup.select("div.cell")
    if len(html_cells) != len(source_cells):
        problems.append(f"{len(source_cells)} code cells in the source but {len(html_cells)} on the page")
    if source_cells and not executed_path.is_file():
        return problems + [f"no executed notebook at {executed_path}: the page was not executed"]
    executed = shown_code_cells(nbformat.read(executed_path, as_version=4)) if source_cells else []

    for index, (cell, html_cell) in enumerate(zip(executed, html_cells)):
        where = f"code cell {index + 1}"
        tags = cell.metadata.get("tags", [])
        tracebacks = html_cell.select("div.output.traceback") + [
            block for block in html_cell.select("div.cell_output pre")
            if "Traceback (most recent call last)" in block.get_text()]
        if RAISES in tags and not tracebacks:
            problems.append(f"{where} is tagged {RAISES} but shows no error")
        if RAISES not in tags and tracebacks:
            problems.append(f"{where} shows an unexpected traceback: {tracebacks[0].get_text()[:300]!r}")
        hidden_output = {"remove-output", "remove-cell"} & set(tags)
        if cell.get("outputs") and not hidden_output and html_cell.select_one("div.cell_output") is None:
            problems.append(f"{where} has outputs in the executed notebook but none on the page")
        figures = sum("image/png" in out.get("data", {}) or "image/svg+xml" in out.get("data", {})
                      for out in cell.get("outputs", []))
        if figures and not hidden_output and len(html_cell.select("div.cell_output img")) < figures:
            problems.append(f"{where} drew {figures} figure(s) but the page shows fewer")
        if not figures and not hidden_output and any(call in cell.source for call in SHOWING):
            problems.append(f"{where} shows a figure in its source but produced no image")

    images = soup.select("article img, main img")
    for image in images:
        target = (page.parent / unquote(urlparse(image.get("src", "")).path)).resolve()
        if not urlparse(image.get("src", "")).scheme and not target.is_file():
            problems.append(f"image {image.get('src')} does not exist")
    plots = any(marker in cell.source for cell in source_cells for marker in PLOTTING)
    if plots and not soup.select("div.cell_output img"):
        problems.append("the source plots but the page shows no figure")

    writes_math = any("$" in cell.source for cell in source.cells if cell.cell_type == "markdown")
    if writes_math and not soup.select(".math"):
        problems.append("the source writes $math$ but the page has no math elements")

    if source_cells and not (html_dir / "_sources" / f"{entry}.ipynb").is_file():
        problems.append(f"the executed notebook is not offered for download (_sources/{entry}.ipynb)")
    return problems


def main(argv):
    if len(argv) != 2:
        print(__doc__.splitlines()[0])
        return 2
    english = Path(argv[1]).resolve()
    executed_dir = english.parent / "jupyter_execute"
    sites = [english, english / CHINESE]
    for site in sites:
        if not (site / "index.html").is_file():
            print(f"{site} has no index.html: build the book first (make book)")
            return 1
    failed = 0
    for site in sites:
        for entry in chapters():
            problems = check_page(entry, site, executed_dir)
            failed += bool(problems)
            where = site.relative_to(english.parent) / entry
            print(f"{'FAIL' if problems else 'ok  '} {where}")
            for problem in problems:
                print(f"     - {problem}")
    pages = len(sites) * len(chapters())
    print(f"{pages - failed} of {pages} pages fine")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
