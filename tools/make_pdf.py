"""The whole book as one PDF: ``python tools/make_pdf.py _build/html OUTPUT.pdf``.

``make pdf`` runs this after ``make book``. Chromium (Debian's, which the browser tests
use; nothing is downloaded) prints each page of the executed site in ``_toc.yml`` order,
once MathJax has typeset it and its figures have loaded, with hidden cells and dropdowns
(exercise solutions) opened, since paper cannot click them. pypdf joins the pages into
one file with a bookmark per chapter.
"""
import sys
import tempfile
from pathlib import Path

import yaml
from playwright.sync_api import sync_playwright
from pypdf import PdfWriter

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from check_site import toc_files  # noqa: E402  (the ToC reading the site checks use)

CHROMIUM = "/usr/bin/chromium"
# Paper cannot scroll: long code lines wrap instead of being cut off at the margin; and
# opened dropdowns print at once, not midway through their fade-in.
PRINT_CSS = """pre { white-space: pre-wrap !important; overflow-wrap: anywhere; }
* { animation: none !important; transition: none !important; }"""
READY = """() => Promise.all([
    (window.MathJax && MathJax.startup && MathJax.startup.promise) || true,
    ...[...document.images].map(img => img.decode().catch(() => null)),
]).then(() => document.querySelectorAll('details').forEach(d => { d.open = true; }))"""


def print_pages(site, pages, out_dir):
    """Print each page of the site into out_dir: [(title, path), ...] in order."""
    printed = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                             args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        for number, name in enumerate(pages):
            html = site / f"{name}.html"
            if not html.is_file():
                sys.exit(f"{html} is missing: build the book first (make book)")
            page.goto(html.as_uri(), wait_until="load")
            page.add_style_tag(content=PRINT_CSS)
            page.evaluate(READY)
            path = out_dir / f"{number:02d}.pdf"
            margins = {side: "15mm" for side in ("top", "bottom", "left", "right")}
            page.pdf(path=str(path), format="A4", print_background=True, margin=margins)
            title = page.locator("main h1").first.inner_text().strip("#¶ \n")
            printed.append((title, path))
        browser.close()
    return printed


def main(site, output):
    site, output = Path(site).resolve(), Path(output)
    pages = [entry.removesuffix(".md") for entry in
             toc_files(yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf8")))]
    with tempfile.TemporaryDirectory() as tmp:
        writer = PdfWriter()
        for title, path in print_pages(site, pages, Path(tmp)):
            writer.append(path, outline_item=title)
        output.parent.mkdir(parents=True, exist_ok=True)
        with open(output, "wb") as file:
            writer.write(file)
    print(f"{output}: {len(writer.pages)} pages, {len(pages)} chapters")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python tools/make_pdf.py SITE_DIR OUTPUT.pdf")
    main(*sys.argv[1:])
