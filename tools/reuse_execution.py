"""Hand the English build's execution to the Chinese build, so no chapter runs twice.

    python tools/reuse_execution.py EXECUTED_DIR CACHE_DIR

The Chinese pages' code cells are the English pages' own (the catalogs translate prose
only), so their outputs are too. ``make book`` runs this between the two builds: it
puts every executed notebook of the English build (``_build/jupyter_execute``) into a
new jupyter-cache, which the Chinese build (``execute_notebooks: cache`` in
_config.zh.yml) reads instead of executing. jupyter-cache finds a notebook by its code
cells (source and metadata), so a page whose code differs from what the English build
ran finds nothing and is executed; the cache then records it as a project notebook,
which is how tests/test_translations.py tells that nothing ran twice.
"""
import shutil
import sys
from pathlib import Path

import nbformat
import yaml
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn

ROOT = Path(__file__).resolve().parents[1]
MERGES_STREAMS = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf8"))[
    "sphinx"]["config"].get("nb_merge_streams", False)


def as_executed(notebook):
    """The notebook with each cell's outputs as the page shows them.

    With nb_merge_streams, myst-nb merges a cell's prints for the page by appending
    every later stream to the first of its name, in place, and writes the executed
    notebook so: the first stdout then holds all the text, and the later ones follow it
    still. Only that first one is kept, which merging again leaves as it is.
    """
    if not MERGES_STREAMS:
        return notebook
    for cell in notebook.cells:
        streams, outputs = set(), []
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                if output.name in streams:
                    continue
                streams.add(output.name)
            outputs.append(output)
        if cell.cell_type == "code":
            cell.outputs = outputs
    return notebook


def main(executed_dir, cache_dir):
    paths = sorted(executed_dir.rglob("*.ipynb"))
    if not paths:
        sys.exit(f"no executed notebooks in {executed_dir}: build the English book")
    shutil.rmtree(cache_dir, ignore_errors=True)  # this build's execution, no older one
    cache = get_cache(cache_dir)
    for path in paths:
        notebook = as_executed(nbformat.read(path, as_version=4))
        # Validated: every code cell executed, in order (execution counts 1, 2, ...).
        cache.cache_notebook_bundle(CacheBundleIn(notebook, str(path)))
    print(f"{cache_dir}: the English build's {len(paths)} executed notebooks")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python tools/reuse_execution.py EXECUTED_DIR CACHE_DIR")
    main(Path(sys.argv[1]), Path(sys.argv[2]))
