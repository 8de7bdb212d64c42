"""Reader cost: the bytes a first chapter load downloads, and the search index against the text.

A first load is the chapter's HTML plus everything it makes the browser fetch at once: linked
stylesheets, scripts and the favicon, the fonts declared by ``@font-face`` in those stylesheets
(counted when the page's rendered text holds a character the font is needed for, i.e. any CJK
character for the edition's Chinese subset; Chinese only in a tooltip is fetched on hover, not on
load; Material's own text fonts are off, ``font: false``, in both sites), and
Material's search worker and ``search_index.json``, which its bundle fetches on page load.
Each is counted raw and gzip-compressed (level 9, as a server would send it). Any URL on another
host is a third-party request.
"""

from __future__ import annotations

import gzip
import html.parser
import json
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlparse

FONT_FACE = re.compile(r"@font-face\s*{([^}]*)}", re.S)
FONT_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)")
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True, slots=True)
class Resource:
    url: str
    kind: str
    raw: int
    gzip: int
    third_party: bool = False


class _Page(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fetch: list[tuple[str, str]] = []
        self.config = ""
        self._in_config = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        rel = a.get("rel", "")
        if tag == "link" and rel in ("stylesheet", "icon", "preload", "modulepreload") and a.get("href"):
            self.fetch.append((rel, a["href"]))
        elif tag == "script" and a.get("src"):
            self.fetch.append(("script", a["src"]))
        elif tag == "img" and a.get("src") and a.get("loading") != "lazy":
            self.fetch.append(("image", a["src"]))
        self._in_config = tag == "script" and a.get("id") == "__config"

    def handle_data(self, data: str) -> None:
        if self._in_config:
            self.config += data

    def handle_endtag(self, tag: str) -> None:
        self._in_config = False


def _gz(data: bytes) -> int:
    return len(gzip.compress(data, 9, mtime=0))


def _resource(site: Path, page_url: str, url: str, kind: str) -> Resource:
    parts = urlparse(url)
    if parts.scheme in ("http", "https") or parts.netloc:
        return Resource(url, kind, 0, 0, third_party=True)
    path = urlparse(urljoin(page_url, url)).path.lstrip("/")
    data = (site / path).read_bytes()
    return Resource(path, kind, len(data), _gz(data))


def first_load(site: Path, page: str) -> list[Resource]:
    """Everything a browser downloads when it opens ``page`` (e.g. ``introduction/index.html``)."""
    page_url = "/" + page
    html_bytes = (site / page).read_bytes()
    text = html_bytes.decode("utf-8")
    parser = _Page()
    parser.feed(text)
    visible = visible_text(text)
    out = [Resource(page, "html", len(html_bytes), _gz(html_bytes))]
    for kind, url in parser.fetch:
        res = _resource(site, page_url, url, kind)
        out.append(res)
        if kind == "stylesheet" and not res.third_party:
            css = (site / res.url).read_text(encoding="utf-8")
            for face in FONT_FACE.findall(css):
                urls = FONT_URL.findall(face)
                if urls and CJK.search(visible):
                    out.append(_resource(site, "/" + res.url, urls[0], "font"))
    if parser.config:
        config = json.loads(parser.config)
        if config.get("search"):
            out.append(_resource(site, page_url, config["search"], "search worker"))
            base = config.get("base", ".")
            out.append(_resource(site, page_url, f"{base}/search/search_index.json", "search index"))
    return out


class _ArticleText(html.parser.HTMLParser):
    """The visible text inside ``<article>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.skip = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.depth += tag == "article"
        self.skip += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self.depth -= tag == "article" and self.depth > 0
        self.skip -= tag in ("script", "style") and self.skip > 0

    def handle_data(self, data: str) -> None:
        if self.depth and not self.skip:
            self.parts.append(data)


class _VisibleText(_ArticleText):
    """All rendered text of a page (attributes such as tooltip titles excluded)."""

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def visible_text(page_html: str) -> str:
    parser = _VisibleText()
    parser.feed(page_html)
    return "".join(parser.parts)


def site_text_bytes(site: Path, skip: tuple[str, ...] = ("search",)) -> int:
    """UTF-8 bytes of the visible article text of every page the search indexes (whitespace collapsed).

    The pages are those whose location appears in ``search/search_index.json``, so a page kept out of
    the index (the apparatus) is kept out of the comparison too; ``skip`` removes further pages.
    """
    docs = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    indexed = {d["location"].split("#")[0] for d in docs}
    total = 0
    for page in sorted(site.rglob("index.html")):
        rel = page.parent.relative_to(site).as_posix()
        location = "" if rel == "." else rel + "/"
        if page.parent.name in skip or location not in indexed:
            continue
        parser = _ArticleText()
        parser.feed(page.read_text(encoding="utf-8"))
        total += len(" ".join("".join(parser.parts).split()).encode("utf-8"))
    return total


@dataclass(frozen=True, slots=True)
class ReaderCost:
    edition: list[Resource]
    bare: list[Resource]
    index_bytes: int
    bare_index_bytes: int
    text_bytes: int
    reading_text_bytes: int
    unescaped_index_bytes: int
    """The same index written without ASCII escapes (``ensure_ascii=False``)."""
    index_without_apparatus: tuple[int, int]
    """(index bytes, text bytes) if the apparatus page were left out of the search."""

    @staticmethod
    def total(resources: list[Resource], field: str, exclude: tuple[str, ...] = ()) -> int:
        return sum(getattr(r, field) for r in resources if r.kind not in exclude)


def _index_variants(site: Path) -> tuple[int, tuple[int, int]]:
    data = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    unescaped = len(json.dumps(data, ensure_ascii=False).encode("utf-8"))
    data["docs"] = [d for d in data["docs"] if not d["location"].startswith("apparatus/")]
    without = len(json.dumps(data).encode("utf-8"))
    return unescaped, (without, site_text_bytes(site, ("search", "apparatus")))


def measure(edition_site: Path, bare_site: Path, page: str = "introduction/index.html") -> ReaderCost:
    unescaped, without_apparatus = _index_variants(edition_site)
    return ReaderCost(
        unescaped_index_bytes=unescaped,
        index_without_apparatus=without_apparatus,
        edition=first_load(edition_site, page),
        bare=first_load(bare_site, page),
        index_bytes=(edition_site / "search" / "search_index.json").stat().st_size,
        bare_index_bytes=(bare_site / "search" / "search_index.json").stat().st_size,
        text_bytes=site_text_bytes(edition_site),
        reading_text_bytes=(edition_site / "downloads" / "edition.txt").stat().st_size,
    )
