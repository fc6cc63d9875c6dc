"""The repository, issues and Binder buttons exist only with an address, and work then.

tools/repository_buttons.py reads the one setting, ``repository: url:`` in
_config.yml. The Binder link is made here by sphinx-book-theme itself, offline, and
checked against what Binder needs; the built site (``make book``, no address
configured) must have no such buttons.
"""
import os
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE = Path(os.environ.get("TT_SITE_DIR", ROOT / "_build" / "html"))
sys.path.insert(0, str(ROOT / "tools"))
import repository_buttons  # noqa: E402

yaml = pytest.importorskip("yaml")
from check_site import chapters  # noqa: E402  (the ToC reading the site checks use)

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf8"))
ADDRESS = "https://github.com/someone/tinygrad-tutorial"


def theme_options(url):
    """html_theme_options as Jupyter Book makes them from _config.yml, with this url."""
    repository = CONFIG["repository"]
    config = SimpleNamespace(html_theme_options={
        "repository_url": url, "repository_branch": repository["branch"],
        "path_to_docs": repository["path_to_book"],
        "launch_buttons": dict(CONFIG["launch_buttons"])})
    repository_buttons.set_buttons(None, config)
    return config.html_theme_options


def test_the_default_is_no_address_and_then_no_buttons():
    assert not CONFIG["repository"]["url"], "_config.yml should name no placeholder"
    options = theme_options("")
    assert not options["use_repository_button"] and not options["use_issues_button"]
    assert options["launch_buttons"] == {}


def test_an_address_turns_on_the_repository_issues_and_binder_buttons():
    options = theme_options(ADDRESS)
    assert options["use_repository_button"] and options["use_issues_button"]
    assert options["launch_buttons"]["binderhub_url"] == "https://mybinder.org"


def binder_link(pagename, tmp_path):
    """The Binder link sphinx-book-theme puts on a chapter, with ADDRESS configured."""
    launch = pytest.importorskip("sphinx_book_theme.header_buttons.launch")
    executed = tmp_path / "jupyter_execute" / f"{pagename}.ipynb"
    executed.parent.mkdir(parents=True)
    executed.write_text("{}")
    app = SimpleNamespace(
        config={"html_theme_options": theme_options(ADDRESS)},
        outdir=str(tmp_path / "html"),
        env=SimpleNamespace(doc2path=lambda name: str(ROOT / f"{name}.md"),
                            metadata={pagename: {"kernelspec": {"name": "python3"}}}))
    owner, repo = ADDRESS.rsplit("/", 2)[1:]
    context = {"pagename": pagename, "sourcename": f"{pagename}.md",
               "header_buttons": [], "github_url": "https://github.com",
               "github_user": owner, "github_repo": repo}
    launch.add_launch_buttons(app, pagename, "page.html", context, None)
    [menu] = context["header_buttons"]
    return {button["text"]: button["url"] for button in menu["buttons"]}["Binder"]


def test_binder_opens_a_chapter_as_a_notebook_in_jupyterlab(tmp_path):
    link = binder_link("book/02_tensors", tmp_path)
    assert link == ("https://mybinder.org/v2/gh/someone/tinygrad-tutorial/main"
                    "?urlpath=lab/tree/book/02_tensors.md")
    assert (ROOT / link.split("lab/tree/")[1]).is_file(), "a file of the repository"
    # Binder installs requirements.txt (jupytext, jupyterlab) and runs postBuild, which
    # makes Jupytext's notebook the default view of a .md; a binder/ folder would make
    # Binder ignore both files.
    requirements = (ROOT / "requirements.txt").read_text()
    assert "jupytext" in requirements and "jupyterlab" in requirements
    post_build = ROOT / "postBuild"
    assert "jupytext-config set-default-viewer" in post_build.read_text()
    assert post_build.stat().st_mode & 0o111, "repo2docker runs postBuild as a program"
    assert not (ROOT / "binder").exists() and not (ROOT / ".binder").exists()


@pytest.mark.skipif(not (SITE / "index.html").exists(),
                    reason=f"no built site at {SITE}: run make book first")
@pytest.mark.parametrize("entry", chapters())
def test_the_built_pages_have_no_repository_or_launch_buttons(entry):
    page = (SITE / f"{entry}.html").read_text(encoding="utf8")
    for marker in ("mybinder.org", "Source repository", "Open an issue", "Launch on",
                   "tinygrad-tutorial/tinygrad-tutorial"):  # the old placeholder
        assert marker not in page, f"{entry}.html has {marker!r}, yet no address is set"
    if "code-cell" in (ROOT / f"{entry}.md").read_text(encoding="utf8"):
        assert f"_sources/{entry}.ipynb" in page, "the executed notebook is offered"
