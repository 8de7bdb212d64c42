"""The build's one configuration object: every path and fixed setting, validated once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .datafiles import load_yaml, require
from .diagnostics import BuildError, Diagnostic, Location

ROOT = Path(__file__).resolve().parent.parent


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
    """A page the edition adds (front matter, references, glossary, method, apparatus)."""

    id: str
    slug: str
    title: str


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
    wordlist: Path
    bib: Path
    docs_dir: Path
    site_dir: Path
    mkdocs_yml: Path
    chapters: tuple[ChapterSpec, ...]
    back: tuple[PageSpec, ...]
    metadata: dict[str, Any]

    @property
    def source_name(self) -> str:
        """Source path as diagnostics print it (relative to the project)."""
        return str(self.source.relative_to(self.root)) if self.source.is_relative_to(self.root) else str(self.source)

    def page(self, page_id: str) -> PageSpec:
        return next(p for p in self.back if p.id == page_id)


def load_config(root: Path = ROOT, **overrides: Path) -> Config:
    """Load chapters.yaml and metadata.yaml under ``root``; ``overrides`` replace single paths (tests)."""
    paths: dict[str, Path] = {
        "source": root / "source" / "edney-2015-politics-aam.garbled.txt",
        "glyphs": root / "editorial" / "glyphs.tsv",
        "decisions": root / "editorial" / "decisions.yaml",
        "chapters_file": root / "editorial" / "chapters.yaml",
        "metadata_file": root / "editorial" / "metadata.yaml",
        "glossary": root / "editorial" / "glossary.yaml",
        "wordlist": root / "editorial" / "wordlist.txt",
        "bib": root / "bib" / "references.bib",
        "docs_dir": root / "docs",
        "site_dir": root / "site",
        "mkdocs_yml": root / "mkdocs.yml",
    }
    paths.update(overrides)
    chapters_data = load_yaml(paths["chapters_file"])
    problems: list[Diagnostic] = []
    chapters = []
    for entry in chapters_data.get("chapters", []):
        problems += require(entry, ("id", "slug", "heading"), paths["chapters_file"], "E-DECISION-SCHEMA")
        chapters.append(
            ChapterSpec(
                id=entry.get("id", ""),
                slug=entry.get("slug", ""),
                heading=entry.get("heading", ""),
                editorial=bool(entry.get("editorial", False)),
                reason=entry.get("reason", ""),
            )
        )
    back = tuple(PageSpec(e["id"], e["slug"], e["title"]) for e in chapters_data.get("back", []))
    if not chapters:
        problems.append(Diagnostic("E-DECISION-SCHEMA", Location(str(paths["chapters_file"])), "no chapters"))
    if problems:
        raise BuildError(problems)
    metadata = load_yaml(paths["metadata_file"])
    return Config(root=root, chapters=tuple(chapters), back=back, metadata=metadata, **paths)
