"""URL manifest: every citable URL of the published edition, one a line, in ``urls.txt``.

Published URLs are promises: a reader who cites ``…/cultural-security-in-china/#p17`` must find
¶17 there for good. The manifest is committed; tests check that every URL in it still resolves in
the built site and that the site has no citable anchor missing from it, so a URL can only
disappear, or a new one appear, on purpose. A page that moves keeps its old URL as a redirect
(``plugins.redirects.redirect_maps`` in mkdocs.yml).

Citable anchors are read from the built HTML (the article body only): headings with an id,
paragraphs and block quotations (``p.para``, ``#pN``), manuscript page markers (``span.ms``,
``#ms-N``), the abstract, glossary entries (``.gloss-entry``), bibliography entries
(``.reference``, anchors are BibTeX keys) and the changes between versions (``.change``,
``#v1.1.0-p20``: a changed ¶ links to its change). Footnote ids (renumbered on each web page by
MkDocs) and apparatus row ids are not citable.

``python -m build_scripts.urls --write`` rewrites ``urls.txt`` from ``site/`` (keeping every listed
URL that still resolves);
``python -m build_scripts.urls`` only reports differences (exit status 1 if any).
"""

from __future__ import annotations

import argparse
import html.parser
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .config import ROOT, Config, load_config

MANIFEST = ROOT / "urls.txt"
CITABLE_CLASSES = frozenset({"para", "ms", "abstract", "gloss-entry", "reference", "change"})
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
HEADER = """\
# Citable URLs of the edition: every page and every citable anchor (headings, ¶ #pN, manuscript
# pages #ms-N, glossary entries, bibliography entries, changes #v1.1.0-p20). Published URLs never
# change: a test fails if one stops resolving in the built site, or if the site has a citable
# anchor not listed here.
# Add new URLs on purpose with `python -m build_scripts.urls --write`; for a page that moves, add
# a redirect (mkdocs.yml, plugins.redirects.redirect_maps) instead of deleting its lines.
"""


@dataclass(slots=True)
class PageAnchors:
    """The ids of one built page: all of them (for resolving) and the citable ones, in order."""

    ids: set[str] = field(default_factory=set)
    citable: list[str] = field(default_factory=list)


class _AnchorParser(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = PageAnchors()
        self._in_article = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        classes = set(a.get("class", "").split())
        if tag == "article" and "md-content__inner" in classes:
            self._in_article = True
        if "id" not in a:
            return
        self.page.ids.add(a["id"])
        if self._in_article and (tag in HEADINGS or classes & CITABLE_CLASSES):
            self.page.citable.append(a["id"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "article":
            self._in_article = False


def read_anchors(html_text: str) -> PageAnchors:
    """All ids and the citable ids of one page's HTML."""
    parser = _AnchorParser()
    parser.feed(html_text)
    return parser.page


def site_url(mkdocs_yml: Path) -> str:
    """``site_url`` from mkdocs.yml (tags such as ``!ENV`` are read as plain values)."""

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("", lambda loader, suffix, node: None)
    url = str(yaml.load(mkdocs_yml.read_text(encoding="utf-8"), Loader=Loader)["site_url"])
    return url if url.endswith("/") else url + "/"


def page_slugs(config: Config) -> list[str]:
    """Every page in reading order: the front page, the chapters, the back matter."""
    return ["index", *(c.slug for c in config.chapters), *(p.slug for p in config.back)]


def page_path(slug: str) -> str:
    """The directory URL path of a page, relative to ``site_url``."""
    return "" if slug == "index" else f"{slug}/"


def page_file(site: Path, path: str) -> Path:
    """The built file that serves a directory URL path."""
    return site / path / "index.html"


def collect_urls(site: Path, config: Config) -> list[str]:
    """Every citable URL of the built ``site``: each page, then its citable anchors in page order."""
    base = site_url(config.mkdocs_yml)
    urls: list[str] = []
    for slug in page_slugs(config):
        path = page_path(slug)
        anchors = read_anchors(page_file(site, path).read_text(encoding="utf-8"))
        urls.append(base + path)
        urls.extend(f"{base}{path}#{anchor}" for anchor in dict.fromkeys(anchors.citable))
    return urls


def read_manifest(manifest: Path = MANIFEST) -> list[str]:
    """The URLs listed in a manifest file (comment and blank lines skipped)."""
    lines = manifest.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def unresolved(urls: list[str], site: Path, base: str) -> list[str]:
    """URLs that do not resolve in the built site: no page file, or no element with the anchor id."""
    cache: dict[str, PageAnchors | None] = {}
    missing = []
    for url in urls:
        if not url.startswith(base):
            missing.append(url)
            continue
        path, _, anchor = url[len(base) :].partition("#")
        if path not in cache:
            file = page_file(site, path)
            cache[path] = read_anchors(file.read_text(encoding="utf-8")) if file.is_file() else None
        page = cache[path]
        if page is None or (anchor and anchor not in page.ids):
            missing.append(url)
    return missing


def merged(current: list[str], listed: list[str], site: Path, base: str) -> list[str]:
    """``current`` plus every listed URL that still resolves (kept anchors, redirects), each after its page."""
    resolving = set(listed) - set(unresolved(listed, site, base)) - set(current)
    out = list(current)
    for url in (u for u in listed if u in resolving):
        page = url.partition("#")[0]
        last = max((i for i, u in enumerate(out) if u.partition("#")[0] == page), default=len(out) - 1)
        out.insert(last + 1, url)
    return out


def write_manifest(urls: list[str], manifest: Path = MANIFEST) -> None:
    manifest.write_text(HEADER + "\n".join(urls) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m build_scripts.urls", description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, help="built site (default: site/)")
    parser.add_argument("--write", action="store_true", help="rewrite urls.txt from the built site")
    args = parser.parse_args(argv)
    config = load_config()
    site = args.site or config.site_dir
    current = collect_urls(site, config)
    listed = read_manifest()
    if args.write:
        kept = merged(current, listed, site, site_url(config.mkdocs_yml))
        write_manifest(kept)
        print(f"urls.txt: {len(kept)} URLs")
        return 0
    gone = unresolved(listed, site, site_url(config.mkdocs_yml))
    new = sorted(set(current) - set(listed))
    for url in gone:
        print(f"E-URL-GONE {url}")
    for url in new:
        print(f"E-URL-UNLISTED {url}")
    return 1 if gone or new else 0


if __name__ == "__main__":
    sys.exit(main())
