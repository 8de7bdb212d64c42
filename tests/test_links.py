"""Zero broken internal links or anchors in the built site, checked over the real HTML.

:func:`check_links` reads every built page, resolves every ``href``/``src`` that points inside
the site (relative, root-relative, or absolute under ``site_url``) to a file, and every
``#fragment`` to an ``id`` (or ``name``) in the target page; CSS ``url(...)`` references and the
sitemap's ``<loc>`` entries are checked the same way. It is tested on the real build and on a
deliberately broken copy, so it cannot pass by checking nothing.
"""

from __future__ import annotations

import html.parser
import os
import re
import shutil
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import pytest

from build_scripts.config import ROOT

CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)")
SITEMAP_LOC = re.compile(r"<loc>([^<]+)</loc>")
LINK_ATTRS = {"href", "src"}


def site_url() -> str:
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    match = re.search(r"^site_url:\s*(\S+)", text, re.M)
    return match.group(1) if match else ""


@dataclass(frozen=True, slots=True)
class BrokenLink:
    """One reference that does not resolve."""

    page: str
    url: str
    why: str

    def __str__(self) -> str:
        return f"{self.page}: {self.url} ({self.why})"


class _Refs(html.parser.HTMLParser):
    """Collects the link targets and the anchor ids of one HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (name == "name" and tag == "a"):
                self.ids.add(value)
            elif name in LINK_ATTRS and not (tag == "link" and _is_hint(attrs)):
                self.urls.append(value)
            elif name == "srcset":
                self.urls += [part.split()[0] for part in value.split(",") if part.strip()]


def _is_hint(attrs: list[tuple[str, str | None]]) -> bool:
    """``<link rel=canonical>`` and friends name the public URL, not a file to fetch here."""
    rel = dict(attrs).get("rel") or ""
    return rel in ("canonical", "alternate")


@dataclass
class _Page:
    urls: list[str]
    ids: set[str]


def _parse(path: Path) -> _Page:
    parser = _Refs()
    parser.feed(path.read_text(encoding="utf-8"))
    return _Page(parser.urls, parser.ids)


def check_links(site: Path, base_url: str | None = None, only: list[Path] | None = None) -> list[BrokenLink]:
    """Every broken internal reference in the built ``site`` (empty list: none); with ``only``, the
    references of those pages alone (their targets are still looked up in the whole site)."""
    base = urlparse(base_url if base_url is not None else site_url())
    prefix = base.path if base.path.endswith("/") else base.path + "/"

    @cache
    def page(path: Path) -> _Page:
        return _parse(path)

    def resolve(url: str, from_file: Path) -> tuple[Path | None, str, str]:
        """(target file, fragment, why-not) for an internal URL; (None, '', '') for an external one."""
        parts = urlparse(url)
        if parts.scheme in ("data", "mailto", "tel", "javascript"):
            return None, "", ""
        if parts.scheme or parts.netloc:
            if parts.netloc != base.netloc:
                return None, "", ""
            path = parts.path
        elif parts.path.startswith("/"):
            path = parts.path
        else:
            page_url = "/" + from_file.relative_to(site).as_posix()
            path = urlparse(urljoin(page_url, url)).path if parts.path else page_url
            path = prefix + path.lstrip("/")
        if not path.startswith(prefix) and path + "/" != prefix:
            return site, parts.fragment, f"outside the site root {prefix}"
        rel = unquote(path[len(prefix) :])
        target = site / rel
        if rel == "" or rel.endswith("/") or target.is_dir():
            target = target / "index.html"
        if not target.resolve().is_relative_to(site.resolve()):
            return site, parts.fragment, "escapes the site"
        return target, unquote(parts.fragment), ""

    broken: list[BrokenLink] = []

    def check(url: str, from_file: Path) -> None:
        name = from_file.relative_to(site).as_posix()
        target, fragment, why = resolve(url, from_file)
        if target is None:
            return
        if why:
            broken.append(BrokenLink(name, url, why))
        elif not target.is_file():
            broken.append(BrokenLink(name, url, f"no file {target.relative_to(site)}"))
        elif fragment and target.suffix == ".html" and fragment not in page(target).ids:
            broken.append(BrokenLink(name, url, f"no id {fragment!r} in {target.relative_to(site)}"))

    for html_file in sorted(only if only is not None else site.rglob("*.html")):
        for url in page(html_file).urls:
            check(url, html_file)
    if only is not None:
        return broken
    for css in sorted(site.rglob("*.css")):
        for url in CSS_URL.findall(css.read_text(encoding="utf-8")):
            if not url.startswith(("data:", "#")):
                check(url.split("?")[0], css)
    sitemap = site / "sitemap.xml"
    if sitemap.exists():
        for url in SITEMAP_LOC.findall(sitemap.read_text(encoding="utf-8")):
            check(url, sitemap)
    return broken


def test_the_real_site_has_no_broken_links(built_site: Path) -> None:
    broken = check_links(built_site)
    assert broken == [], "\n".join(map(str, broken))


def test_the_checker_sees_links(built_site: Path) -> None:
    """Guard against a checker that passes by reading nothing: the chapter pages hold many links."""
    chapter = _parse(built_site / "introduction" / "index.html")
    assert sum(u.startswith("#") for u in chapter.urls) > 20
    assert any(u.startswith("../references/#") for u in chapter.urls)


@pytest.mark.parametrize(
    ("inject", "why"),
    [
        ('<a href="../references/#no-such-entry">x</a>', "no id 'no-such-entry'"),
        ('<a href="#nowhere">x</a>', "no id 'nowhere'"),
        ('<a href="../no-such-page/">x</a>', "no file no-such-page/index.html"),
        ('<img src="../assets/missing.png">', "no file assets/missing.png"),
        ('<a href="/edition/glossary/#not-a-term">x</a>', "no id 'not-a-term'"),
        ('<a href="https://edney-soft-power.github.io/edition/gone/">x</a>', "no file gone/index.html"),
    ],
)
def test_a_deliberately_broken_page_fails(built_site: Path, tmp_path: Path, inject: str, why: str) -> None:
    site = tmp_path / "site"
    shutil.copytree(built_site, site, copy_function=os.link)  # hard links: the whole tree, no bytes copied
    page_file = site / "introduction" / "index.html"
    before = set(check_links(site, only=[page_file]))
    text = page_file.read_text(encoding="utf-8")
    page_file.unlink()  # a new file, so the shared built site's page stays as it is
    page_file.write_text(text.replace("</article>", inject + "</article>", 1), encoding="utf-8")
    new = set(check_links(site, only=[page_file])) - before
    assert [b.page for b in new] == ["introduction/index.html"]
    assert next(iter(new)).why.startswith(why)


def test_external_links_are_not_followed(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text(
        '<a href="https://doi.org/10.1111/x">doi</a><a href="mailto:a@b">m</a><a id="top" href="#top">t</a>'
    )
    assert check_links(tmp_path, "https://example.org/ed/") == []
