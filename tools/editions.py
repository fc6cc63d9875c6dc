"""The book's two editions, English and Chinese: the switch between them, and the
Chinese build's refusal to leave English text on a page.

Every page gets a link, at the start of its header buttons, to the same page in the
other edition: ``other_edition`` in _config.yml (the Chinese site is the English
one's ``zh-cn/``) and in _config.zh.yml (the English site is ``..``). The link is
relative, so it works offline and wherever the site is copied.

In a translated build (``language`` set, as in _config.zh.yml), the captions of the
ToC (Foundations, ...) are translated too, which Sphinx's own translation misses
(sphinx-external-toc inserts the ToC after it), and every message of a page must come
out translated, or the build warns, naming the page and what is left, and ``-W`` makes
that an error:
- a message the page's catalog lacks, or has empty or fuzzy (the English text
  changed, or nobody translated it yet);
- a translation Sphinx read but could not apply: it keeps a message only if its
  translation parses as one paragraph, so a table cell translated as ``1. ...`` (a
  list) silently stays English;
- a prompt of a hidden cell ("Show solution", set in the cell's metadata, which no
  catalog extracts) without a translation in ``cell_prompts``.
"""
import posixpath
from pathlib import Path

from docutils import nodes
from myst_nb.sphinx_ import HideCodeCellNode
from sphinx import addnodes
from sphinx.locale import init as init_locale
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.i18n import docname_to_domain
from sphinx.util.nodes import extract_messages
from translations import quoted  # tools/translations.py, next to this file

LOGGER = logging.getLogger(__name__)
TEMPLATES = Path(__file__).parent / "templates"


def other_edition_url(pagename, edition_root):
    """The link from ``pagename`` to the same page of the edition at ``edition_root``
    (relative to this site's root)."""
    target = posixpath.join(edition_root, f"{pagename}.html")
    return posixpath.relpath(target, posixpath.dirname(pagename) or ".")


def add_switch_to_header(app, config):
    if not config.other_edition:
        return
    config.templates_path.append(str(TEMPLATES))
    options = config.html_theme_options
    # sphinx-book-theme's header ends with its buttons; the switch goes before them.
    buttons = options.get("article_header_end", ["article-header-buttons.html"])
    options["article_header_end"] = ["language-switch.html", *buttons]


def link_other_edition(app, pagename, templatename, context, doctree):
    edition = app.config.other_edition
    if not edition:
        return
    url = other_edition_url(pagename, edition["path"])
    context["other_edition"] = dict(edition, url=url)
    context["metatags"] = context.get("metatags", "") + (
        f'\n<link rel="alternate" hreflang="{edition["language"]}" href="{url}">')


def page_catalog(transform):
    """The page's catalog as {message: translation}, read as Sphinx's Locale transform
    reads it (fuzzy entries are not compiled, so they are absent), and its name."""
    config = transform.config
    domain = docname_to_domain(transform.env.docname, config.gettext_compact)
    directories = [str(Path(transform.env.srcdir, d)) for d in config.locale_dirs]
    translator, found = init_locale(directories, config.language, domain)
    merged = {}
    while found and translator is not None:
        merged = getattr(translator, "_catalog", {}) | merged
        translator = getattr(translator, "_fallback", None)
    return merged, domain


def translating(transform):
    """Whether this is a translated build (_config.zh.yml's), and not the extraction."""
    config = transform.config
    return (config.language not in (None, "", "en") and bool(config.locale_dirs)
            and transform.app.builder.name != "gettext")


class TranslateTocCaptions(SphinxTransform):
    """The captions of the ToC (Foundations, ...), which sphinx-external-toc inserts
    (priority 100) after Sphinx's Locale transform (20) translated the page."""

    default_priority = 101

    def apply(self, **kwargs):
        if not translating(self):
            return
        catalog, _ = page_catalog(self)
        for toctree in self.document.findall(addnodes.toctree):
            caption = toctree.get("rawcaption")
            if caption and toctree.get("caption") == caption and catalog.get(caption):
                toctree.apply_translated_message(caption, catalog[caption])


class RequireTranslation(SphinxTransform):
    """Once the page is translated, ToC included: warn for any text left English."""

    default_priority = 102

    def apply(self, **kwargs):
        if not translating(self):
            return
        catalog, domain = page_catalog(self)
        translations = set(catalog.values())
        # The page's front matter: a field list first in the page, which docutils
        # makes the page's metadata (its DocInfo transform's rule) and Sphinx removes
        # once the page is read, before the gettext builder would extract it.
        first = self.document.first_child_not_matching_class(nodes.PreBibliographic)
        front = self.document[first] if first is not None else None
        is_front_matter = isinstance(front, nodes.field_list)
        metadata = set(front.findall()) if is_front_matter else set()
        missing, unapplied, total = [], [], 0
        for node, message in extract_messages(self.document):
            if node in metadata:
                continue
            total += 1
            if isinstance(node, nodes.image) and message in translations:
                continue  # an alt text, already replaced by its translation
            if not catalog.get(message, "").strip():
                missing.append(message)
            # Custom translatable nodes (the ToC's captions) take the translation
            # whole; other nodes record whether Sphinx could apply it.
            elif not isinstance(node, addnodes.translatable) \
                    and not node.get("translated"):
                unapplied.append(message)
        where = f"{self.env.docname} ({domain}.po)"
        if missing:
            LOGGER.warning(
                f"{where}: {len(missing)} of {total} messages untranslated (missing, "
                f"empty or fuzzy in the catalog): {quoted(missing)}",
                location=self.env.docname)
        if unapplied:
            LOGGER.warning(
                f"{where}: {len(unapplied)} translations not applied: each must parse "
                f"as one paragraph (a leading '1.' makes a list: write '1\\.'): "
                f"{quoted(unapplied)}", location=self.env.docname)


class TranslateCellPrompts(SphinxPostTransform):
    """The prompts of hidden cells, after myst-nb wraps the cells (its priority 199)."""

    default_priority = 200
    formats = ("html",)

    def run(self, **kwargs):
        if not translating(self):
            return
        translations = self.config.cell_prompts
        for node in self.document.findall(HideCodeCellNode):
            for key in ("prompt_show", "prompt_hide"):
                if node[key] in translations:
                    node[key] = translations[node[key]]
                else:
                    LOGGER.warning(f"{self.env.docname}: no translation of the hidden "
                                   f"cell's prompt {node[key]!r} in cell_prompts",
                                   location=node)


def setup(app):
    app.add_config_value("other_edition", {}, "html", dict)
    app.add_config_value("cell_prompts", {}, "env", dict)
    app.connect("config-inited", add_switch_to_header)
    app.connect("html-page-context", link_other_edition)
    app.add_transform(TranslateTocCaptions)
    app.add_transform(RequireTranslation)
    app.add_post_transform(TranslateCellPrompts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
