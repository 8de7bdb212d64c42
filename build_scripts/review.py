"""``make review``: pictures of the built edition for a human to look at, not assertions.

Screenshots of every page type of ``site/`` at a desktop (1280 px) and a phone (390 px) width,
taken in Debian's Chromium through Playwright, and PNG renders of chosen PDF pages (pdftoppm), all
written to ``test-artifacts/review/``. Tests check behaviour; these files are for the eye (a
typographer reading the PDF page by page, a designer checking the layout), so nothing here
asserts a file size. Run ``make build`` first.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from .config import PDF_NAME, ROOT, load_config
from .serving import serve

OUT = ROOT / "test-artifacts" / "review"
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
PDF_PAGES = (1, 2, 3, 5, 8)


def screenshots(site: Path, slugs: list[str]) -> list[Path]:
    """Full-page screenshots of each page at each width."""
    from playwright.sync_api import sync_playwright

    written = []
    with serve(site) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for label, (width, height) in WIDTHS.items():
            context = browser.new_context(viewport={"width": width, "height": height})
            tab = context.new_page()
            for slug in slugs:
                tab.goto(base + ("" if slug == "index" else f"{slug}/"), wait_until="networkidle")
                target = OUT / f"site-{slug}-{label}.png"
                tab.screenshot(path=str(target), full_page=False)
                written.append(target)
            context.close()
        browser.close()
    return written


def pdf_pages(pdf: Path) -> list[Path]:
    written = []
    for number in PDF_PAGES:
        target = OUT / f"pdf-page-{number:02d}"
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "110",
                "-singlefile",
                "-f",
                str(number),
                "-l",
                str(number),
                str(pdf),
                str(target),
            ],
            check=True,
        )
        written.append(target.with_suffix(".png"))
    return written


def main() -> int:
    config = load_config()
    site = config.site_dir
    if not (site / "index.html").is_file():
        print("no built site: run `make build` first", file=sys.stderr)
        return 1
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    slugs = [page.slug for page in config.pages]
    written = screenshots(site, slugs) + pdf_pages(site / "downloads" / PDF_NAME)
    for path in written:
        print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
