"""tools/chapters_to_scripts.py: a chapter as a plain script behaves as the notebook does."""
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import chapters_to_scripts  # noqa: E402  (tools/ is not a package)

FRONT_MATTER = """---
jupytext:
  text_representation: {extension: .md, format_name: myst}
kernelspec: {display_name: Python 3, language: python, name: python3}
---
"""


def cell(source, tags=None):
    head = f":tags: [{', '.join(tags)}]\n\n" if tags else ""
    return f"```{{code-cell}} ipython3\n{head}{source}\n```\n\n"


def run_chapter(tmp_path, *cells):
    chapter = tmp_path / "book" / "chapter.md"
    chapter.parent.mkdir(parents=True)
    chapter.write_text(FRONT_MATTER + "".join(cells))
    script = tmp_path / "scripts" / "chapter.py"
    script.parent.mkdir()
    script.write_text(chapters_to_scripts.convert(chapter, script.parent))
    return subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=ROOT, timeout=60)


def test_a_cell_tagged_raises_exception_must_raise(tmp_path):
    raising = run_chapter(tmp_path, cell("x = 1"), cell("y = x + 1\nraise ValueError(f'bad {y}')",
                                                           ["raises-exception"]), cell("assert y == 2"))
    assert raising.returncode == 0, raising.stderr
    assert "ValueError: bad 2" in raising.stdout  # printed as the page shows it; later cells see y

    syntax = run_chapter(tmp_path / "syntax", cell("x = (1", ["raises-exception"]))
    assert syntax.returncode == 0 and "SyntaxError" in syntax.stdout, syntax.stderr

    quiet = run_chapter(tmp_path / "quiet", cell("x = 1", ["raises-exception"]))
    assert quiet.returncode != 0
    assert "code cell 1 is tagged raises-exception but ran without an error" in quiet.stderr


def test_ipython_lines_values_and_working_directory(tmp_path):
    result = run_chapter(tmp_path, cell("%xmode Minimal\n!echo hi\ntext = '''\n%kept\n'''\ntext.strip()"),
                         cell("import os\nos.path.basename(os.getcwd())"), cell("'hidden';  # a ; hides it"),
                         cell("import matplotlib\nmatplotlib.get_backend()"))
    assert result.returncode == 0, result.stderr
    # The magics did nothing, the string kept its % line, the last values showed (not the hidden one),
    # the script ran in the chapter's folder, and matplotlib drew off-screen.
    assert result.stdout.lower().splitlines()[:3] == ["'%kept'", "'book'", "'agg'"]
    assert "hidden" not in result.stdout


def test_a_source_listing_prints_as_plain_text(tmp_path):
    program = tmp_path / "program.py"  # the chapter runs in its folder, book/
    program.write_text("import os\nSTEPS = 3  # shown\n# Timing\n")
    listing = 'show_source("../program.py", start_at="STEPS", end_before="# Timing")'
    setup = cell("from tinygrad_tutorial.viz import show_source")
    result = run_chapter(tmp_path, setup, cell(listing, ["remove-input"]))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "STEPS = 3  # shown"  # the text, not HTML
