"""Coded diagnostics with source locations.

Every problem the build can detect has a stable code from :data:`CATALOGUE`, a location
(``file:line:col``) and a message. Problems are collected and raised together as a
:class:`BuildError`, so one run reports all of them and nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CATALOGUE: dict[str, str] = {
    "E-SOURCE-MISSING": "the source file does not exist",
    "E-SOURCE-EMPTY": "the source file is empty",
    "E-SOURCE-ENCODING": "the source file is not valid UTF-8",
    "E-SOURCE-TRUNCATED": "the source ends before the structure the edition expects",
    "E-INPUT-BOM": "an input file starts with a byte-order mark",
    "E-INPUT-CRLF": "an input file has CRLF or CR line endings",
    "E-DATA-MISSING": "an editorial data file does not exist",
    "E-DATA-ENCODING": "an editorial data file is not valid UTF-8",
    "E-DATA-SYNTAX": "an editorial YAML file cannot be parsed",
    "E-DATA-DUPKEY": "a YAML mapping repeats a key (YAML would silently keep the last)",
    "E-ID-UNSAFE": "an id or slug is not lowercase ASCII words joined by hyphens (it would become a path or markup)",
    "E-METADATA-MISSING": "metadata.yaml lacks a required field",
    "E-METADATA-TYPE": "a metadata.yaml field has the wrong type",
    "E-METADATA-DATE": "a metadata.yaml date is not an ISO date (YYYY-MM-DD)",
    "E-METADATA-URL": "a metadata.yaml URL or DOI is malformed",
    "E-CHAPTERS-SCHEMA": "chapters.yaml is malformed",
    "E-REPAIR-UNMAPPED": "a character outside plain text is neither in the glyph table nor known to be legitimate",
    "E-REPAIR-TABLE": "the glyph table is malformed",
    "E-STRUCT-UNDECIDED": "a line's paragraph status is ambiguous and no editorial decision covers it",
    "E-STRUCT-HEADING": "a heading in the source has no entry in chapters.yaml, or an entry matches nothing",
    "E-DECISION-REF": "an editorial decision refers to a line or text that does not exist",
    "E-DECISION-UNUSED": "an editorial decision applies to nothing that needs deciding",
    "E-DECISION-SCHEMA": "an editorial data file is malformed",
    "E-BIB-SYNTAX": "the BibTeX file cannot be parsed",
    "E-BIB-DUPLICATE": "two BibTeX entries share a key",
    "E-BIB-STATUS": "a BibTeX entry lacks a valid edition_status",
    "E-BIB-TYPE": "a BibTeX entry has a type the edition's style cannot format",
    "E-CITE-UNRESOLVED": "a citation matches no bibliography entry",
    "E-CITE-AMBIGUOUS": "a citation matches more than one bibliography entry",
    "E-CITE-UNCITED": "a bibliography entry is never cited",
    "E-CITE-UNREADABLE": "a bracket or narrative citation has a form the recogniser cannot read",
    "E-GLOSS-PINYIN": "a glossary entry's characters disagree with its romanisation",
    "E-GLOSS-MISSING": "a romanised term in the text has no glossary entry",
    "E-GLOSS-UNUSED": "a glossary entry's term never occurs in the text",
    "E-GLOSS-SCHEMA": "a glossary entry is malformed",
    "E-SITE-BUILD": "mkdocs build failed",
    "E-SITE-STAGING": "a staging path of the build is in the way (not a folder the build made)",
    "E-SITE-SWAP": "the finished site could not be swapped in; the previous site/ was kept",
    "E-DOCS-UNKNOWN": "docs/ holds a file the build neither generates nor lists as hand-written",
    "E-BUILD-LOCKED": "another build of this project is running",
    "E-PDF-BUILD": "the PDF could not be built",
    "E-PAGE-TEMPLATE": "a page template under editorial/pages/ is missing or cannot be rendered",
    "E-LABELS-SCHEMA": "editorial/labels.yaml is malformed or lacks the label of a kind of record",
    "E-SEARCH-SCHEMA": "editorial/search.yaml: a weight names no known field or page, lacks a positive boost or "
    "its reason, or the note title lacks its {number}",
    "E-PRINT-ID": "two pages use the same id, which the one print document cannot hold twice",
    "E-PRINT-LINK": "a link of the print document has no target in it",
    "E-RELEASES-SCHEMA": "releases/index.yaml is malformed: a missing field, or a bad version, date, commit or hash",
    "E-RELEASES-ORDER": "the versions in releases/index.yaml do not increase, oldest first",
    "E-RELEASES-ARCHIVE": "a release archive is missing, differs from its recorded SHA-256, or holds an unsafe member",
    "E-RELEASE-REFUSED": "make release cannot freeze this version (already released, or the working tree is not clean)",
    "E-CHANGES-RELEASE": "an earlier release's published files cannot be read for the changelog",
    "E-CHANGES-ORDER": "the versions given to the changelog are not in strictly increasing order",
    "E-URL-GONE": "a URL listed in urls.txt no longer resolves",
    "E-URL-UNLISTED": "the built site has a citable anchor urls.txt does not list",
    "E-INTERNAL": "an unexpected error inside a stage (a bug: please report it with the input that caused it)",
}

#: Warnings: printed with the build's output, they do not stop it.
WARNINGS: dict[str, str] = {
    "W-SITE-CLEANUP": "the previous site, moved aside by the swap, could not be deleted",
}


@dataclass(frozen=True, slots=True)
class Location:
    """A place in an input file; line and column are 1-based, 0 meaning 'whole file/line'."""

    file: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        name = _display(self.file)
        if self.line and self.col:
            return f"{name}:{self.line}:{self.col}"
        if self.line:
            return f"{name}:{self.line}"
        return name


def _display(file: str) -> str:
    """A path as diagnostics print it: relative to the working directory when inside it."""
    path = Path(file)
    if path.is_absolute():
        try:
            return str(path.relative_to(Path.cwd()))
        except ValueError:
            return file
    return file


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One coded problem at one location."""

    code: str
    location: Location
    message: str

    def __post_init__(self) -> None:
        if self.code not in CATALOGUE and self.code not in WARNINGS:
            raise ValueError(f"unknown diagnostic code {self.code}")

    def __str__(self) -> str:
        return f"{self.code} {self.location} {self.message}"


class BuildError(Exception):
    """Raised with every diagnostic a stage found; the build stops and writes nothing."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        super().__init__("\n".join(str(d) for d in diagnostics))

    def __reduce__(self) -> tuple[type[BuildError], tuple[list[Diagnostic]]]:
        """Pickled as its diagnostics (the print process sends its errors to the build's process)."""
        return (BuildError, (self.diagnostics,))

    @property
    def codes(self) -> set[str]:
        return {d.code for d in self.diagnostics}
