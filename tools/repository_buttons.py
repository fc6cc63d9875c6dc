"""Repository, issues and Binder buttons only when the repository's address is set.

One setting decides: ``repository: url:`` in _config.yml (empty by default). With
an address, every page gets the repository and issues buttons and a Binder button
that opens the chapter in JupyterLab (``postBuild`` makes Jupytext's notebook view
the default there, so a MyST ``.md`` opens as a notebook, not as text). Without one,
no button points at a placeholder, and the executed ``.ipynb`` is still offered in
the download menu, which sphinx-book-theme otherwise does only on the way to making
a launch button.
"""
from pathlib import Path
from shutil import copy2


def repository_url(config):
    return (config.html_theme_options.get("repository_url") or "").strip()


def set_buttons(app, config):
    options = config.html_theme_options
    configured = bool(repository_url(config))
    options["use_repository_button"] = options["use_issues_button"] = configured
    if not configured:
        options["launch_buttons"] = {}


def offer_executed_notebook(app, pagename, templatename, context, doctree):
    """Offer the executed notebook in the download menu (no launch buttons)."""
    executed_dir = (app.config.executed_notebooks
                    or Path(app.outdir).parent / "jupyter_execute")
    executed = Path(app.srcdir, executed_dir, f"{pagename}.ipynb")
    if repository_url(app.config) or not executed.is_file():
        return
    offered = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    offered.parent.mkdir(parents=True, exist_ok=True)
    copy2(executed, offered)
    context["ipynb_source"] = f"{pagename}.ipynb"


def setup(app):
    # Where the executed notebooks are, relative to the book's root: by default this
    # build's own (jupyter_execute next to the site).
    app.add_config_value("executed_notebooks", "", "html", str)
    app.connect("config-inited", set_buttons)
    # Before sphinx-book-theme's header buttons (priority 501), which read ipynb_source.
    app.connect("html-page-context", offer_executed_notebook, priority=500)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
