"""A chapter opened in Jupyter reads as it does on the site.

jupytext turns each page of ``_toc.yml`` into the notebook a Jupyter user gets.
JupyterLab renders Markdown, HTML and ``$math$`` in markdown cells, but not MyST's own
syntax: a directive fence (```` ```{literalinclude} ````), a ``:::`` block, a role
(``{ref}`...` ``, ``{doc}``...) or a ``(label)=`` target would show as raw text. So
the package's source is shown by a code cell (``viz.show_source``), links are Markdown
links, and a solution that the site hides behind "Show solution" (``hide-cell``) is
collapsed in JupyterLab too (``jupyter.source_hidden``).
"""
import re

import jupytext
import pytest

from check_site import chapters, source_of

# Code inside markdown (```python ... ```, `x`) may show any text: only the rest counts.
CODE_BLOCK = re.compile(r"^(`{3,}|~{3,})[^{\n]*\n.*?^\1[ \t]*$", re.M | re.S)
# A role's text (after its "}") is not a code span.
INLINE_CODE = re.compile(r"(?<![`}])(`+)(?!`).+?(?<!`)\1(?!`)", re.DOTALL)
RAW_IN_JUPYTER = {
    "a directive": re.compile(r"^ *(`{3,}|~{3,}) *\{[\w:-]+\}", re.MULTILINE),
    "a ::: block": re.compile(r"^ *:{3,}", re.MULTILINE),
    "a role": re.compile(r"\{[a-z][\w:-]*\}`"),
    "a (label)= target": re.compile(r"^\([\w.:-]+\)=\s*$", re.MULTILINE),
}
SOLUTION_HIDDEN = {"source_hidden": True, "outputs_hidden": True}


def notebook_of(entry):
    return jupytext.read(source_of(entry))


def problems_of(text):
    """What in a markdown cell JupyterLab would show as raw MyST syntax."""
    outside_blocks = CODE_BLOCK.sub("", text)  # (a directive is no code block)
    outside_code = INLINE_CODE.sub("", outside_blocks)
    return [kind for kind, pattern in RAW_IN_JUPYTER.items() if pattern.search(
        outside_blocks if kind == "a directive" else outside_code)]


def test_the_checks_see_what_jupyter_shows_raw():
    directive = "```{literalinclude} ../src/x.py\n:pyobject: f\n```\n"
    assert problems_of(directive) == ["a directive"]
    dropdown = ":::{admonition} Solution\n:class: dropdown\ntext\n:::\n"
    assert problems_of(dropdown) == ["a ::: block"]
    assert problems_of("see {ref}`hooks <hooks>` and {doc}`04_autograd`") == ["a role"]
    assert problems_of("(hooks)=\n## Hooks") == ["a (label)= target"]
    fine = ("[chapter 4](04_autograd.md), $x^{2}$, `` {ref}`x` ``, <details>\n\n"
            "```python\n(label)=\n:::\n```\n")
    assert problems_of(fine) == []


@pytest.mark.parametrize("entry", chapters())
def test_chapter_shows_no_raw_myst_and_collapses_its_solutions(entry):
    notebook = notebook_of(entry)
    raw, open_solutions = [], []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "markdown":
            raw += [f"markdown cell {index}: {kind}"
                    for kind in problems_of(cell.source)]
        elif cell.cell_type == "code":
            if RAW_IN_JUPYTER["a directive"].search(cell.source):
                raw.append(f"code cell {index}: a directive")
            solution = "hide-cell" in cell.metadata.get("tags", [])
            if solution and cell.metadata.get("jupyter") != SOLUTION_HIDDEN:
                open_solutions.append(f"code cell {index}")
    assert not raw, f"{entry}: Jupyter shows MyST syntax raw in {raw}"
    assert not open_solutions, (
        f"{entry}: hide-cell solutions need jupyter: {SOLUTION_HIDDEN} in their cell"
        f" options: {open_solutions}")


def test_solution_metadata_survives_the_round_trip():
    """jupytext puts the MyST cell options into the .ipynb's cell metadata, and back."""
    notebook = notebook_of("book/04_autograd")
    solutions = [cell for cell in notebook.cells
                 if "hide-cell" in cell.metadata.get("tags", [])]
    assert solutions and all(cell.metadata["jupyter"] == SOLUTION_HIDDEN
                             for cell in solutions)
    again = jupytext.reads(jupytext.writes(notebook, fmt="ipynb"), fmt="ipynb")
    assert [cell.metadata for cell in again.cells] == [
        cell.metadata for cell in notebook.cells]
