"""Turn every page of ``_toc.yml`` into a plain Python script that runs without Jupyter.

    python tools/chapters_to_scripts.py [--out .gpu/chapters]

For machines that have the package's dependencies but not jupytext, nbclient or IPython (the GPU
machine of tools/gpu_check.sh). jupytext reads each MyST chapter, as tests/test_notebooks.py does, and
each code cell becomes a block of the script, in order, so the script behaves like the notebook:

- a cell tagged ``raises-exception`` runs inside a check: its error is printed as the page shows it,
  and the script fails if the cell does NOT raise (the cell is there to teach from its error);
- IPython-only lines (``%xmode``, ``%matplotlib``, ``!cmd``) become ``pass`` with the line as a comment;
  a cell magic (``%%...``) stops the conversion, naming the cell; where IPython is not installed,
  ``IPython.display``'s ``HTML``, ``Markdown``... become stand-ins that print a short description;
- a cell's last expression is printed with ``repr``, as a notebook displays it (a trailing ``;`` hides
  it, as in Jupyter), and ``display(...)`` prints too;
- matplotlib draws with the Agg backend (no screen), and the script moves to ``book/`` first, the
  working directory of the site build.

The output folder (ignored by git) is emptied of ``*.py`` and refilled; ``commit.txt`` beside the scripts
records which commit they came from, since a copied tree may have no git history.
"""
import argparse
import ast
import io
import os
import pathlib
import subprocess
import sys
import tokenize

ROOT = pathlib.Path(__file__).resolve().parents[1]
RAISES = "raises-exception"

PREAMBLE = '''\
# Generated from {source} by tools/chapters_to_scripts.py: do not edit, regenerate.
# The chapter as plain Python: each "# %%" block is one code cell of the page.
import os as _os
import sys as _sys
import warnings as _warnings

_os.environ["MPLBACKEND"] = "Agg"  # no screen: figures are drawn, never shown
_warnings.filterwarnings("ignore", message=".*non-interactive, and thus cannot be shown")
_warnings.filterwarnings("ignore", message="More than 20 figures have been opened")
_os.chdir(_os.path.join(_os.path.dirname(_os.path.abspath(__file__)), {book_dir!r}))  # as the site build runs it
_sys.path.insert(0, _os.getcwd())  # a notebook kernel imports from its working directory


def _display(value):
    """Print a cell's last value, as a notebook shows it."""
    if value is not None:
        print(repr(value))


def display(*values):
    for value in values:
        _display(value)


def _expect_error(cell, source):
    """Run a cell tagged raises-exception: print its error as the page shows it; fail if there is none."""
    try:
        exec(compile(source, cell, "exec"), globals())
    except Exception as error:
        print(f"{{type(error).__name__}}: {{error}}")
        print(f"[{{cell}} raised, as its raises-exception tag expects]")
    else:
        raise AssertionError(f"{{cell}} is tagged raises-exception but ran without an error")
'''

# Added to a chapter that imports from IPython.display, for machines without IPython.
IPYTHON_STAND_IN = '''
try:
    import IPython.display
except ImportError:  # no IPython here: stand-ins that keep what a page would render, and print briefly
    import types as _types

    class _Rendered:
        def __init__(self, data=None, **options):
            self.data = data

        def __repr__(self):
            text = str(self.data)
            return f"<{type(self).__name__}, {len(text)} characters: {text[:60]!r}...>"

    _display_module = _types.ModuleType("IPython.display")
    _display_module.display = display
    for _name in ("HTML", "Markdown", "Image", "SVG", "Latex", "Math", "JSON"):
        setattr(_display_module, _name, type(_name, (_Rendered,), {}))
    _sys.modules["IPython"] = _types.ModuleType("IPython")
    _sys.modules["IPython"].display = _sys.modules["IPython.display"] = _display_module
'''


class ConversionError(Exception):
    pass


def without_ipython_syntax(source, where):
    """The cell with IPython-only lines turned into ``pass`` (keeping the line as a comment)."""
    if source.lstrip().startswith("%%"):
        raise ConversionError(f"{where}: cell magic {source.split()[0]!r} has no plain-Python form")
    lines, text_lines = [], inside_strings(source)
    for number, line in enumerate(source.splitlines(), start=1):
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")) and number not in text_lines:
            indent = line[: len(line) - len(stripped)]
            line = f"{indent}pass  # IPython only: {stripped}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def inside_strings(source):
    """Numbers of the lines that continue a multi-line string (a ``%`` there is text, not a magic)."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):  # IPython syntax that Python cannot tokenize: no strings found
        return set()
    return {number for token in tokens if token.type == tokenize.STRING
            for number in range(token.start[0] + 1, token.end[0] + 1)}


def hides_last_value(source, expression):
    """True when a ``;`` follows the cell's last expression (Jupyter then shows nothing)."""
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    end = (expression.end_lineno, expression.end_col_offset)
    for token in tokens:
        if token.start >= end and token.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE):
            return token.type == tokenize.OP and token.string == ";"
    return False


def with_last_value_shown(source, where):
    """The cell with its last expression (if any) wrapped in ``_display(...)``."""
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise ConversionError(f"{where}: not plain Python after removing IPython lines: {error}") from error
    last = tree.body[-1] if tree.body else None
    if not isinstance(last, ast.Expr) or hides_last_value(source, last):
        return source
    if isinstance(last.value, ast.Call) and getattr(last.value.func, "id", None) == "print":
        return source  # shows nothing: print returns None
    lines = source.splitlines()
    start, end = last.lineno - 1, last.end_lineno - 1
    head, tail = lines[start][: last.col_offset], lines[end][last.end_col_offset:]
    expression = ast.get_source_segment(source, last)
    return "\n".join(lines[:start] + [f"{head}_display({expression}){tail}"] + lines[end + 1:]) + "\n"


def convert(path, out_dir):
    """The script text for the chapter at ``path``."""
    import jupytext  # here only: the scripts themselves run where jupytext is absent

    notebook = jupytext.read(path)
    source_name = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
    book_dir = os.path.relpath(path.parent, out_dir)
    blocks = [PREAMBLE.format(source=source_name, book_dir=book_dir)]
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    if any("IPython" in cell.source for cell in code_cells):
        blocks.append(IPYTHON_STAND_IN)
    for number, cell in enumerate(code_cells, start=1):
        where = f"{source_name}, code cell {number}"
        source, tags = without_ipython_syntax(cell.source, where), cell.metadata.get("tags", [])
        try:
            source = with_last_value_shown(source, where)
        except ConversionError:
            if RAISES not in tags:
                raise
            # a cell that teaches a SyntaxError: exec raises it, as the notebook does
        header = f"# %% code cell {number}" + (f" [{', '.join(tags)}]" if tags else "")
        if RAISES in tags:
            blocks.append(f"{header}\n_expect_error({where!r}, {source!r})\n")
        else:
            blocks.append(f"{header}\n{source}")
    blocks.append(f"print({f'[{source_name}: all {len(code_cells)} code cells ran]'!r})\n")
    return "\n\n".join(blocks)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / ".gpu" / "chapters"), help="folder for the scripts")
    args = parser.parse_args()
    out_dir = pathlib.Path(args.out).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("*.py"):
        old.unlink()

    sys.path.insert(0, str(ROOT / "tests"))
    from check_site import chapters, source_of  # the ToC reading the tests and the site check use

    failed = []
    for entry in chapters(ROOT):
        path = source_of(entry, ROOT)
        try:
            script = convert(path, out_dir)
        except ConversionError as error:
            failed.append(str(error))
            continue
        target = out_dir / f"{path.stem}.py"
        target.write_text(script, encoding="utf8")
        compile(script, str(target), "exec")  # a conversion bug shows here, not on the GPU machine
        print(f"{entry} -> {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
    commit = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True,
                            text=True).stdout.strip()
    (out_dir / "commit.txt").write_text((commit or "unknown") + "\n")
    for message in failed:
        print("not converted:", message, file=sys.stderr)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
