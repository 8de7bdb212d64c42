"""The edition model: the output of every text stage, and the per-block lookups the pages need.

:func:`~build_scripts.pipeline.prepare` builds one :class:`Edition`; the emit, page and PDF stages
only read it. Everything cross-page (footnote numbers, the blocks citing each work, the blocks
where each glossary term occurs, the interventions concerning each block) is collected here
once, in :class:`EditionIndex`, so that rendering is linear in the edition's size and no stage
has to import another stage to find it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .bibliography import Bibliography
from .changelog import Snapshot
from .citations import Citation
from .config import Article, Config
from .decisions import Decision
from .glossary import GlossaryEntry, LinkPolicy, Occurrence
from .model import Block, Chapter, Document, Intervention


@dataclass(frozen=True, slots=True)
class EditionIndex:
    """Lookups gathered in one pass over the edition (collect first, render second)."""

    numbers: dict[tuple[str, int], int]
    """(block id, citation start) → note number, continuous through the article; the works of one
    bracket group share one note (one call)."""
    citations: dict[str, tuple[Citation, ...]]
    """Citations by block id."""
    occurrences: dict[str, tuple[Occurrence, ...]]
    """Glossary occurrences by block id."""
    interventions: dict[str, tuple[Intervention, ...]]
    """Interventions by the block they concern (the apparatus's grouping)."""
    entries: dict[str, GlossaryEntry]
    chapters: dict[str, Chapter]
    """Chapters by id (a block's ``section``)."""
    start_pages: dict[str, int]
    """Manuscript page on which each block begins."""
    citing_blocks: dict[str, tuple[Block, ...]]
    """Bibliography key → the blocks citing it, in reading order, each once."""
    entry_blocks: dict[str, tuple[Block, ...]]
    """Glossary entry id → the blocks where its term occurs, in reading order, each once."""


@dataclass(frozen=True, slots=True)
class Edition:
    """Everything the emit, site and PDF stages render: the output of all earlier stages."""

    config: Config
    document: Document
    decisions: tuple[Decision, ...]
    bibliography: Bibliography
    citations: tuple[Citation, ...]
    glossary: tuple[GlossaryEntry, ...]
    occurrences: tuple[Occurrence, ...]
    coverage: dict[str, Any]
    source_sha256: str
    """SHA-256 of the source file's bytes, as the source stage read them."""
    link_policy: LinkPolicy
    """Where glossary terms are linked in the text (``links:`` in glossary.yaml)."""
    earlier: tuple[Snapshot, ...] = ()
    """The earlier releases, oldest first, as their published files record them: what the
    "Changes between versions" page and ``changelog.json`` compare this edition with."""
    index: EditionIndex = field(init=False, repr=False, compare=False)
    """Derived from the fields above whenever an edition is made (also by ``dataclasses.replace``)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", index_edition(self))

    @property
    def meta(self) -> Article:
        return self.config.metadata.article


def index_edition(edition: Edition) -> EditionIndex:
    """Collect every per-block lookup once."""
    doc = edition.document
    by_id = {b.id: b for b in doc.blocks}
    citations: dict[str, list[Citation]] = {}
    citing: dict[str, dict[str, None]] = {}
    for c in edition.citations:
        citations.setdefault(c.block, []).append(c)
        citing.setdefault(c.key, {})[c.block] = None
    occurrences: dict[str, list[Occurrence]] = {}
    where: dict[str, dict[str, None]] = {}
    for o in edition.occurrences:
        occurrences.setdefault(o.block, []).append(o)
        where.setdefault(o.entry, {})[o.block] = None
    by_line: dict[int, str] = {}
    for b in doc.blocks:
        if not b.editorial:
            by_line.update(dict.fromkeys(range(b.first_line, b.last_line + 1), b.id))
    interventions: dict[str, list[Intervention]] = {}
    for i in doc.interventions:
        owner = i.replacement if i.kind == "heading" else by_line.get(i.line)
        if owner:
            interventions.setdefault(owner, []).append(i)
    return EditionIndex(
        numbers=footnote_numbers(doc, edition.citations),
        citations={k: tuple(v) for k, v in citations.items()},
        occurrences={k: tuple(v) for k, v in occurrences.items()},
        interventions={k: tuple(v) for k, v in interventions.items()},
        entries={e.id: e for e in edition.glossary},
        chapters={c.id: c for c in doc.chapters},
        start_pages=start_pages(doc),
        citing_blocks={key: tuple(by_id[b] for b in blocks) for key, blocks in citing.items()},
        entry_blocks={entry: tuple(by_id[b] for b in blocks) for entry, blocks in where.items()},
    )


def footnote_numbers(document: Document, citations: tuple[Citation, ...]) -> dict[tuple[str, int], int]:
    """(block id, citation start) → note number, continuous through the article.

    The one place note numbers come from (print and web): citations sharing a call (the works of
    one bracket group) share its number.
    """
    numbers: dict[tuple[str, int], int] = {}
    calls: dict[tuple[str, int], int] = {}
    order = {b.id: n for n, b in enumerate(document.blocks)}
    for c in sorted(citations, key=lambda c: (order[c.block], c.marker, c.start)):
        number = calls.setdefault((c.block, c.marker), len(calls) + 1)
        numbers[(c.block, c.start)] = number
    return numbers


def start_pages(document: Document) -> dict[str, int]:
    """Manuscript page on which each block begins (``data-ms``, read by the "Cite this" control)."""
    out: dict[str, int] = {}
    page = 1
    for b in document.blocks:
        if b.pages and b.pages[0].offset == 0:
            page = b.pages[0].page
        out[b.id] = page
        if b.pages:
            page = b.pages[-1].page
    return out
