"""Every page of the book runs, top to bottom, in a fresh kernel.

The chapters are MyST Markdown notebooks; jupytext turns each into a notebook in
memory and nbclient executes it with the working directory ``book/`` (as the site
build does). Any error fails the test, except in a cell tagged ``raises-exception``,
and such a cell must actually raise: it is there to teach from its error message.
The list of pages comes from ``_toc.yml``, so a new chapter is tested once it is
in the table of contents.
"""
from pathlib import Path

import jupytext
import pytest
import yaml
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
RAISES = "raises-exception"


def toc_files(toc):
    """Every ``file:`` entry of a Jupyter Book table of contents, in reading order."""
    if isinstance(toc, dict):
        found = [toc["root"]] if "root" in toc else []
        if "file" in toc:
            found.append(toc["file"])
        for key in ("parts", "chapters", "sections"):
            for entry in toc.get(key, []):
                found += toc_files(entry)
        return found
    return []


CHAPTERS = toc_files(yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf8")))


def source_of(entry):
    """The file a ToC entry names (entries may omit the extension)."""
    path = ROOT / entry
    for candidate in (path, path.with_suffix(".md"), path.with_suffix(".ipynb")):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"_toc.yml lists {entry!r} but neither {entry}.md nor {entry}.ipynb exists")


def test_toc_lists_the_chapters():
    assert CHAPTERS[0] == "book/intro"
    assert "book/04_autograd" in CHAPTERS
    assert len(CHAPTERS) == len(set(CHAPTERS)), f"a page appears twice in _toc.yml: {CHAPTERS}"


@pytest.mark.parametrize("entry", CHAPTERS)
def test_chapter_runs(entry):
    path = source_of(entry)
    notebook = jupytext.read(path)
    assert notebook.metadata.get("kernelspec", {}).get("name") == "python3", (
        f"{path.name}: the jupytext front matter must name the python3 kernel")
    client = NotebookClient(notebook, timeout=600, kernel_name="python3", allow_errors=False,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()  # raises CellExecutionError naming the cell on any unexpected error

    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        raised = [out for out in cell.get("outputs", []) if out.output_type == "error"]
        if RAISES in cell.metadata.get("tags", []):
            assert raised, f"{path.name}, code cell {index}: tagged {RAISES} but ran without an error:\n{cell.source}"
