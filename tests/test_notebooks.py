"""Every page of the book runs, top to bottom, in a fresh kernel.

The chapters are MyST Markdown notebooks; jupytext turns each into a notebook in
memory and nbclient executes it with the working directory ``book/`` (as the site
build does). Any error fails the test, except in a cell tagged ``raises-exception``,
and such a cell must actually raise: it is there to teach from its error message.
The list of pages comes from ``_toc.yml``, so a new chapter is tested once it is
in the table of contents.
"""
import jupytext
import pytest
from nbclient import NotebookClient

from check_site import chapters, source_of  # the same ToC reading as the site check

RAISES = "raises-exception"
CHAPTERS = chapters()


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
