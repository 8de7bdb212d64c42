"""The build's one configuration object: every path and fixed setting, validated once.

``editorial/chapters.yaml`` (front page, chapters, back pages) and ``editorial/metadata.yaml``
(the article and the edition) are read here and only here, into frozen dataclasses. Every
problem is a coded diagnostic at its file and line (``E-CHAPTERS-…``, ``E-METADATA-…``,
``E-ID-UNSAFE``), reported all together; later stages, the MkDocs hook and the templates read
the typed values, so a missing field never surfaces as a ``KeyError`` deep in a stage.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from .datafiles import LINE_KEY, check_id, load_yaml, mapping_entries
from .diagnostics import BuildError, Diagnostic, Location
from .model import Version

ROOT = Path(__file__).resolve().parent.parent
SOURCE_NAME = "edney-2015-politics-aam.garbled.txt"
PDF_NAME = "edney-2015-edition.pdf"
OFFLINE_NAME = "edney-2015-edition-offline.zip"
DOI = re.compile(r"10\.\d{4,9}/[!-~]+")
ISSN = re.compile(r"\d{4}-\d{3}[\dX]")
URL = re.compile(r"https://[A-Za-z0-9.-]+(?:/[A-Za-z0-9._~/-]*)?/")


@dataclass(frozen=True, slots=True)
class ChapterSpec:
    """A chapter's fixed identity: id (heading anchor), URL slug, and its heading as printed."""

    id: str
    slug: str
    heading: str
    editorial: bool = False
    reason: str = ""


@dataclass(frozen=True, slots=True)
class PageSpec:
    """A page the edition adds (the front page, references, glossary, about, apparatus, downloads)."""

    id: str
    slug: str
    title: str


@dataclass(frozen=True, slots=True)
class Article:
    """The edited article, as publishers' and library records give it (``metadata.yaml: article``)."""

    title: str
    author: str
    author_family: str
    author_given: str
    affiliation: str
    journal: str
    publisher: str
    volume: str
    issue: str
    first_page: str
    last_page: str
    year: str
    date: str
    doi: str
    issn: str
    keywords: tuple[str, ...]
    special_issue: str = ""


@dataclass(frozen=True, slots=True)
class EditionInfo:
    """The edition itself (``metadata.yaml: edition``)."""

    title: str
    short_title: str
    editors: str
    """The corporate editor (a project's name, written whole in every citation form)."""
    version: str
    date: str
    """ISO date of this version; also the PDF's date. Never taken from the clock."""
    site_url: str
    source_note: str
    version_policy: str
    """What a new major, minor or patch version means (printed on the Changes page)."""
    release_note: str
    """One sentence for readers: what this version changes (recorded with the release)."""

    @property
    def versioned_url(self) -> str:
        """The permanent address of this version: ``<site_url><version>/`` (releases.py serves it)."""
        return f"{self.site_url}{self.version}/"


@dataclass(frozen=True, slots=True)
class Metadata:
    article: Article
    edition: EditionInfo
    proper_nouns: tuple[str, ...] = ()
    """Words in the titles that keep their capital in every style (BibTeX braces, CSL nocase)."""

    def as_extra(self) -> dict[str, Any]:
        """Plain dicts for MkDocs' ``config.extra`` (templates and ``tojson``)."""
        edition = asdict(self.edition) | {
            "description": self.edition_description(),
            "versioned_url": self.edition.versioned_url,
        }
        return {"article": asdict(self.article), "edition": edition, "proper_nouns": list(self.proper_nouns)}

    def edition_description(self) -> str:
        """One sentence on what the edition is, naming the article it edits by its DOI.

        Reference managers have no field for "edition of" (Zotero drops ``dc:relation``), so the
        edition's relation to the DOI travels in its abstract (HTML ``og:description``), its CSL and
        RIS notes and CITATION.cff's ``abstract``; the DOI is never given as the edition's own.
        """
        a, e = self.article, self.edition
        return (
            f"A repaired reading edition of the author’s accepted manuscript of {a.author}, “{a.title}”, "
            f"{a.journal} {a.volume}({a.issue}), {a.year}, pp. {a.first_page}–{a.last_page}, "
            f"https://doi.org/{a.doi}. Version {e.version}, {e.date}."
        )


@dataclass(frozen=True, slots=True)
class Config:
    """Paths and fixed settings; build with :func:`load_config`."""

    root: Path
    source: Path
    glyphs: Path
    decisions: Path
    chapters_file: Path
    metadata_file: Path
    glossary: Path
    search: Path
    """The search ranking weights (build_scripts/searchindex.py)."""
    wordlist: Path
    bib: Path
    docs_dir: Path
    site_dir: Path
    mkdocs_yml: Path
    releases_dir: Path
    """Frozen released versions and their index (build_scripts/releases.py)."""
    front: PageSpec
    chapters: tuple[ChapterSpec, ...]
    back: tuple[PageSpec, ...]
    metadata: Metadata

    @property
    def source_name(self) -> str:
        """Source path as diagnostics print it (relative to the project)."""
        return str(self.source.relative_to(self.root)) if self.source.is_relative_to(self.root) else str(self.source)

    @property
    def page_templates(self) -> Path:
        """The reader-facing prose: page templates under ``editorial/pages/``."""
        return self.root / "editorial" / "pages"

    @property
    def pages(self) -> tuple[PageSpec, ...]:
        """Every page in reading order: front, chapters, back pages."""
        chapters = tuple(PageSpec(c.id, c.slug, c.heading) for c in self.chapters)
        return (self.front, *chapters, *self.back)

    def nav(self) -> list[dict[str, str]]:
        """MkDocs' ``nav``: every page in reading order (the hook sets it; mkdocs.yml does not repeat it)."""
        return [{page.title: f"{page.slug}.md"} for page in self.pages]


def load_config(root: Path = ROOT, **overrides: Path) -> Config:
    """Load chapters.yaml and metadata.yaml under ``root``; ``overrides`` replace single paths (tests)."""
    paths: dict[str, Path] = {
        "source": root / "source" / SOURCE_NAME,
        "glyphs": root / "editorial" / "glyphs.tsv",
        "decisions": root / "editorial" / "decisions.yaml",
        "chapters_file": root / "editorial" / "chapters.yaml",
        "metadata_file": root / "editorial" / "metadata.yaml",
        "glossary": root / "editorial" / "glossary.yaml",
        "search": root / "editorial" / "search.yaml",
        "wordlist": root / "editorial" / "wordlist.txt",
        "bib": root / "bib" / "references.bib",
        "docs_dir": root / "docs",
        "site_dir": root / "site",
        "mkdocs_yml": root / "mkdocs.yml",
        "releases_dir": root / "releases",
    }
    paths.update(overrides)
    (front, chapters, back), page_problems = _pages(paths["chapters_file"])
    metadata, metadata_problems = _metadata(paths["metadata_file"])
    if page_problems or metadata_problems or metadata is None:
        raise BuildError(page_problems + metadata_problems)
    return Config(root=root, front=front, chapters=chapters, back=back, metadata=metadata, **paths)


# --- chapters.yaml -------------------------------------------------------------------------------


Pages = tuple[PageSpec, tuple[ChapterSpec, ...], tuple[PageSpec, ...]]


def _pages(path: Path) -> tuple[Pages, list[Diagnostic]]:
    """(front, chapters, back) of chapters.yaml, and every problem found."""
    problems: list[Diagnostic] = []
    data = load_yaml(path)
    code = "E-CHAPTERS-SCHEMA"
    chapters_data = mapping_entries(data, "chapters", path, code)
    back_data = mapping_entries(data, "back", path, code)
    front_data = data.get("front")
    if not isinstance(front_data, dict):
        problems.append(Diagnostic(code, Location(str(path), data.get(LINE_KEY, 1)), "'front' must be a mapping"))
        front_data = {"id": "index", "slug": "index", "title": "Front matter"}
    front, found = _page(front_data, path)
    problems += found
    chapters = []
    for entry in chapters_data:
        problems += _strings(entry, ("id", "slug", "heading", "reason"), path) + _check_ids(entry, path)
        for key in ("id", "slug", "heading"):
            if not entry.get(key):
                problems.append(Diagnostic(code, Location(str(path), entry[LINE_KEY]), f"chapter lacks '{key}'"))
        chapters.append(
            ChapterSpec(
                id=str(entry.get("id", "")),
                slug=str(entry.get("slug", "")),
                heading=str(entry.get("heading", "")),
                editorial=entry.get("editorial", False) is True,
                reason=" ".join(str(entry.get("reason", "")).split()),
            )
        )
    if not chapters:
        problems.append(Diagnostic(code, Location(str(path), data.get(LINE_KEY, 1)), "no chapters"))
    back = []
    for entry in back_data:
        page, found = _page(entry, path)
        back.append(page)
        problems += found
    pages = [front, *(PageSpec(c.id, c.slug, c.heading) for c in chapters), *back]
    for what in ("id", "slug"):
        values = [getattr(p, what) for p in pages]
        for value in sorted({v for v in values if values.count(v) > 1}):
            problems.append(Diagnostic(code, Location(str(path)), f"{what} {value!r} is used by more than one page"))
    return (front, tuple(chapters), tuple(back)), problems


def _page(entry: dict[str, Any], path: Path) -> tuple[PageSpec, list[Diagnostic]]:
    keys = ("id", "slug", "title")
    problems = _strings(entry, keys, path) + _check_ids(entry, path)
    problems += [
        Diagnostic("E-CHAPTERS-SCHEMA", Location(str(path), entry.get(LINE_KEY, 0)), f"page lacks '{key}'")
        for key in keys
        if not entry.get(key)
    ]
    page = PageSpec(id=str(entry.get("id", "")), slug=str(entry.get("slug", "")), title=str(entry.get("title", "")))
    return page, problems


def _strings(entry: dict[str, Any], keys: tuple[str, ...], path: Path) -> list[Diagnostic]:
    return [
        Diagnostic(
            "E-CHAPTERS-SCHEMA",
            Location(str(path), entry.get(LINE_KEY, 0)),
            f"'{key}' must be text, found {type(entry[key]).__name__}",
        )
        for key in keys
        if key in entry and not isinstance(entry[key], str)
    ]


def _check_ids(entry: dict[str, Any], path: Path) -> list[Diagnostic]:
    where = Location(str(path), entry.get(LINE_KEY, 0))
    return [d for key in ("id", "slug") if entry.get(key) for d in check_id(entry[key], key, where)]


# --- metadata.yaml -------------------------------------------------------------------------------


def _metadata(path: Path) -> tuple[Metadata | None, list[Diagnostic]]:
    """The typed metadata (None if a section is unusable), and every problem found."""
    data = load_yaml(path)
    if not isinstance(data, dict):
        return None, [Diagnostic("E-METADATA-TYPE", Location(str(path), 1), "metadata.yaml must be a mapping")]
    article, problems = _record(Article, data, "article", path)
    edition, found = _record(EditionInfo, data, "edition", path)
    problems += found
    if article is None or edition is None:
        return None, problems
    checks = [
        (article.date, "article.date", _is_date),
        (edition.date, "edition.date", _is_date),
    ]
    for value, name, ok in checks:
        if not ok(value):
            problems.append(Diagnostic("E-METADATA-DATE", Location(str(path)), f"{name} {value!r} is not YYYY-MM-DD"))
    for value, name, pattern in (
        (article.doi, "article.doi", DOI),
        (article.issn, "article.issn", ISSN),
        (edition.site_url, "edition.site_url", URL),
    ):
        if not pattern.fullmatch(value):
            problems.append(
                Diagnostic("E-METADATA-URL", Location(str(path)), f"{name} {value!r} is not a well-formed value")
            )
    if Version.parse(edition.version) is None:
        problems.append(
            Diagnostic(
                "E-METADATA-TYPE", Location(str(path)), f"edition.version {edition.version!r} is not MAJOR.MINOR.PATCH"
            )
        )
    nouns = data.get("proper_nouns", [])
    if not isinstance(nouns, list) or not all(isinstance(n, str) and n for n in nouns):
        problems.append(Diagnostic("E-METADATA-TYPE", Location(str(path)), "proper_nouns must be a list of text"))
        nouns = []
    return Metadata(article, edition, tuple(nouns)), problems


def _record(cls: Any, data: dict[str, Any], section: str, path: Path) -> tuple[Any, list[Diagnostic]]:
    """One metadata section as ``cls`` (every field present and of its type), or None; and the problems."""
    problems: list[Diagnostic] = []
    raw = data.get(section)
    where = Location(str(path), data.get(LINE_KEY, 1))
    if not isinstance(raw, dict):
        return None, [Diagnostic("E-METADATA-MISSING", where, f"no '{section}' mapping")]
    where = Location(str(path), raw.get(LINE_KEY, 1))
    values: dict[str, Any] = {}
    ok = True
    for f in fields(cls):
        value = raw.get(f.name)
        required = f.default is not None and f.default != ""
        if value is None or value == "":
            if required:
                problems.append(Diagnostic("E-METADATA-MISSING", where, f"{section}.{f.name} is missing"))
                ok = False
            continue
        if f.type == "tuple[str, ...]":
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                problems.append(Diagnostic("E-METADATA-TYPE", where, f"{section}.{f.name} must be a list of text"))
                ok = False
                continue
            value = tuple(value)
        elif isinstance(value, datetime.date) or not isinstance(value, str):
            problems.append(
                Diagnostic(
                    "E-METADATA-TYPE",
                    where,
                    f"{section}.{f.name} must be quoted text, found {type(value).__name__} {value!r}",
                )
            )
            ok = False
            continue
        values[f.name] = " ".join(value.split()) if isinstance(value, str) else value
    return (cls(**values) if ok else None), problems


def _is_date(value: str) -> bool:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return False
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return True
