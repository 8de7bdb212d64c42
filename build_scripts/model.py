"""Typed records passed between the pipeline's stages.

Every stage takes and returns these frozen dataclasses, never loose dicts: the repair stage
returns :class:`RepairResult`, the structure stage a :class:`Document` of :class:`Block`\\ s, and
every change made to the source is one :class:`Intervention`, which feeds both the reading text
and the apparatus.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: What the edition inserts after an author's reading it keeps (a ``sic`` decision).
SIC_MARK = "[sic]"


@dataclass(frozen=True, slots=True)
class Intervention:
    """One editorial change to the source, replayable and shown in the apparatus."""

    id: str
    """Stable identifier, e.g. ``d0012`` (decode) or ``j0301`` (join)."""
    kind: str
    """A character edit (``decode``, ``normalise-quote``, ``normalise-dash``, ``label``, ``sic``, ``emend``:
    ``original`` at ``line:col`` becomes ``replacement``) or a structural record saying how source
    lines become blocks (``page-start``, ``join-line``, ``join-page``, ``paragraph-break``,
    ``continue``, ``heading``, ``block-quote``)."""
    line: int
    """1-based source line where the intervention applies."""
    col: int = 0
    """1-based source column for character-level edits; 0 for structural ones."""
    original: str = ""
    """The source reading (for edits, the exact characters replaced)."""
    replacement: str = ""
    """The edition's reading."""
    end_line: int = 0
    """Last source line concerned (joins: the next line; quotes: the last quoted line)."""
    rule: str = ""
    """The rule that made this intervention, or ``decision:<id>`` for an editorial decision."""
    reason: str = ""
    """Why: for decisions the reviewed reason from ``editorial/decisions.yaml``."""

    @property
    def where(self) -> str:
        """Source location as the apparatus prints it: ``line:col``, ``first–last`` or ``line``."""
        if self.col:
            return f"{self.line}:{self.col}"
        if self.end_line and self.end_line != self.line:
            return f"{self.line}–{self.end_line}"
        return str(self.line)


@dataclass(frozen=True, slots=True)
class RepairedLine:
    """A source line after character repair; ``raw`` keeps the source exactly."""

    number: int
    raw: str
    text: str

    @property
    def is_blank(self) -> bool:
        return not self.raw.strip()

    @property
    def opens_page(self) -> bool:
        """A non-blank line starting with a space opens a new manuscript page."""
        return self.raw.startswith(" ") and not self.is_blank


@dataclass(frozen=True, slots=True)
class RepairResult:
    """The output of the repair stage: repaired lines plus the edits that made them."""

    source_name: str
    lines: tuple[RepairedLine, ...]
    edits: tuple[Intervention, ...]


@dataclass(frozen=True, slots=True)
class PageMark:
    """A manuscript page that begins inside (or at the start of) a block."""

    page: int
    offset: int
    """Character offset in the block's text where the page begins."""


@dataclass(frozen=True, slots=True)
class Block:
    """One block of the reading text."""

    id: str
    """Anchor: ``abstract``, a heading id from chapters.yaml, or ``pN`` for paragraphs and quotes."""
    kind: str
    """``abstract`` | ``heading`` | ``paragraph`` | ``quote``."""
    section: str
    """Id of the chapter the block belongs to (``front`` for the abstract)."""
    text: str
    """Plain reading text, no markup."""
    first_line: int
    last_line: int
    number: int = 0
    """¶ number for paragraphs and quotes (1…N across the article); 0 otherwise."""
    pages: tuple[PageMark, ...] = ()
    editorial: bool = False
    """True for a heading the edition supplies."""
    line_offsets: tuple[tuple[int, int], ...] = ()
    """(source line, offset in ``text`` where that line's text begins), for locating diagnostics."""
    sics: tuple[int, ...] = ()
    """Offsets in ``text`` of each :data:`SIC_MARK` the edition inserted (a ``sic`` decision)."""

    def line_at(self, offset: int) -> int:
        """The source line holding ``offset`` of this block's text."""
        line = self.first_line
        for number, start in self.line_offsets:
            if start <= offset:
                line = number
        return line


@dataclass(frozen=True, slots=True)
class Chapter:
    """A chapter's fixed identity (from chapters.yaml) and its blocks."""

    id: str
    slug: str
    title: str
    editorial: bool
    blocks: tuple[Block, ...]


@dataclass(frozen=True, slots=True)
class Document:
    """The structured reading text: abstract, chapters, and every intervention."""

    abstract: Block
    chapters: tuple[Chapter, ...]
    interventions: tuple[Intervention, ...]
    page_count: int

    @property
    def blocks(self) -> tuple[Block, ...]:
        return (self.abstract, *tuple(b for c in self.chapters for b in c.blocks))

    @property
    def paragraphs(self) -> tuple[Block, ...]:
        return tuple(b for b in self.blocks if b.number)


SEMVER = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")


@dataclass(frozen=True, slots=True, order=True)
class Version:
    """A version of the edition, ``MAJOR.MINOR.PATCH`` (the policy is in ``metadata.yaml``).

    The one reading of a version number: the metadata, the release index and the changelog parse
    and order versions with it."""

    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str) -> Version | None:
        match = SEMVER.fullmatch(text)
        return cls(*(int(g) for g in match.groups())) if match else None

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"
