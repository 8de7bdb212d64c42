"""Glossary stage: load the reviewed glossary, check it against pypinyin and the text, find occurrences.

Checks (each stops the build with a coded diagnostic naming the entry or the text):

* ``E-GLOSS-PINYIN``: the toneless pinyin of an entry's characters (pypinyin) must equal its
  romanisation as the text writes it, spaces ignored;
* ``E-GLOSS-MISSING``: every romanised term the text gives in parentheses or brackets has an entry;
* ``E-GLOSS-UNUSED``: every entry's term occurs in the text.

Where a term is linked to its entry is the reviewed policy in the file's ``links:`` mapping
(:class:`LinkPolicy`: every occurrence, first in each chapter, first in the edition, or never, per
kind of entry). The glossary page lists every paragraph where a term occurs.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pypinyin import lazy_pinyin
from pypinyin.pinyin_dict import pinyin_dict
from wordfreq import zipf_frequency

from .datafiles import LINE_KEY, check_id, load_yaml, mapping_entries, require
from .diagnostics import BuildError, Diagnostic, Location
from .model import Document
from .typography import smarten

COMMON_ENGLISH = 3.5
"""wordfreq Zipf frequency above which a word counts as common English (about 1 in 300,000 words)."""
BRACKETED = re.compile(r"[(\[]([a-z][a-z ]*[a-z])[)\]]")


@dataclass(frozen=True, slots=True)
class GlossaryEntry:
    """One reviewed glossary entry."""

    id: str
    kind: str
    """``chinese`` or ``concept``."""
    term: str
    definition: str
    hanzi: str = ""
    pinyin: str = ""
    gloss: str = ""
    attribution: str = ""
    data_line: int = 0

    @property
    def tooltip(self) -> str:
        """Short text for hover tooltips (tone-marked pinyin stays on the glossary page)."""
        if self.kind == "chinese":
            return f"{self.hanzi} ‘{self.gloss}’: {self.definition}"
        return self.definition


#: Where the text may link a term to its entry (``links:`` in glossary.yaml, one rule per kind).
LINK_RULES = ("every-occurrence", "first-in-chapter", "first-in-edition", "never")


@dataclass(frozen=True, slots=True)
class LinkPolicy:
    """The reviewed linking policy of ``editorial/glossary.yaml``: a rule for each kind of entry."""

    chinese: str
    concept: str
    reason: str
    """Why, as the editors put it; the glossary page prints it."""

    def rule(self, kind: str) -> str:
        return self.chinese if kind == "chinese" else self.concept


def load_link_policy(path: Path) -> LinkPolicy:
    """The ``links:`` mapping of the glossary file, validated (``E-GLOSS-SCHEMA`` at its line)."""
    data = load_yaml(path)
    links = data.get("links") if isinstance(data, dict) else None
    where = Location(str(path), (links or {}).get(LINE_KEY, 1) if isinstance(links, dict) else 1)
    if not isinstance(links, dict):
        raise BuildError([Diagnostic("E-GLOSS-SCHEMA", where, "needs a 'links' mapping: chinese, concept, reason")])
    problems = [
        Diagnostic("E-GLOSS-SCHEMA", where, f"links.{kind} must be one of {', '.join(LINK_RULES)}")
        for kind in ("chinese", "concept")
        if links.get(kind) not in LINK_RULES
    ]
    if not isinstance(links.get("reason"), str) or not links["reason"].strip():
        problems.append(Diagnostic("E-GLOSS-SCHEMA", where, "links.reason must say why"))
    if problems:
        raise BuildError(problems)
    return LinkPolicy(links["chinese"], links["concept"], smarten(" ".join(links["reason"].split())))


@dataclass(frozen=True, slots=True)
class Occurrence:
    """A glossary term found in a block's text."""

    entry: str
    block: str
    start: int
    end: int
    linked: bool


def load_glossary(path: Path) -> tuple[GlossaryEntry, ...]:
    """Load and schema-check the glossary file."""
    problems: list[Diagnostic] = []
    entries: list[GlossaryEntry] = []
    for raw in mapping_entries(load_yaml(path), "entries", path, "E-GLOSS-SCHEMA"):
        keys: tuple[str, ...] = ("id", "kind", "term", "definition")
        if raw.get("kind") == "chinese":
            keys += ("hanzi", "pinyin", "gloss")
        problems += require(raw, keys, path, "E-GLOSS-SCHEMA")
        where = Location(str(path), raw.get(LINE_KEY, 0))
        if raw.get("id"):
            problems += check_id(raw["id"], "glossary id", where)
        if raw.get("kind") not in ("chinese", "concept"):
            problems.append(Diagnostic("E-GLOSS-SCHEMA", where, f"kind {raw.get('kind')!r} is not chinese or concept"))
        fields = ("id", "kind", "term", "definition", "hanzi", "pinyin", "gloss", "attribution", "reason")
        problems += [
            Diagnostic("E-GLOSS-SCHEMA", where, f"'{k}' must be text")
            for k in fields
            if k in raw and not isinstance(raw[k], str)
        ]
        entries.append(
            GlossaryEntry(
                id=str(raw.get("id", "")),
                kind=str(raw.get("kind", "")),
                term=str(raw.get("term", "")),
                definition=smarten(" ".join(str(raw.get("definition", "")).split())),
                hanzi=str(raw.get("hanzi", "")),
                pinyin=str(raw.get("pinyin", "")),
                gloss=str(raw.get("gloss", "")),
                attribution=smarten(str(raw.get("attribution", ""))),
                data_line=raw.get(LINE_KEY, 0),
            )
        )
    ids = [e.id for e in entries]
    problems += [
        Diagnostic("E-GLOSS-SCHEMA", Location(str(path), e.data_line), f"duplicate id {e.id}")
        for n, e in enumerate(entries)
        if e.id in ids[:n]
    ]
    if problems:
        raise BuildError(problems)
    return tuple(entries)


def check_pinyin(entries: tuple[GlossaryEntry, ...], path: Path) -> None:
    """Stop with E-GLOSS-PINYIN for every Chinese entry whose characters read otherwise."""
    problems = []
    for e in entries:
        if e.kind != "chinese":
            continue
        reading = "".join(lazy_pinyin(e.hanzi)).lower()
        toned = _strip_tones(e.pinyin).replace(" ", "")
        if reading != e.term.replace(" ", "") or toned != reading:
            problems.append(
                Diagnostic(
                    "E-GLOSS-PINYIN",
                    Location(str(path), e.data_line),
                    f"entry {e.id}: {e.hanzi} reads '{reading}', term is '{e.term}', pinyin '{e.pinyin}'",
                )
            )
    if problems:
        raise BuildError(problems)


def _strip_tones(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("ü", "v").lower()


@cache
def pinyin_syllables() -> frozenset[str]:
    """Every toneless pinyin syllable pypinyin knows."""
    out: set[str] = set()
    for readings in pinyin_dict.values():
        for r in readings.split(","):
            out.add(_strip_tones(r))
    return frozenset(s for s in out if s.isalpha())


def is_pinyin(words: str) -> bool:
    """True if the words read as romanised Chinese rather than English.

    Every word must split into pinyin syllables, there must be at least two syllables, and the
    words must not all be common English words ("see" is se + e; "he said" is not Chinese).
    """
    if all(zipf_frequency(w, "en") >= COMMON_ENGLISH for w in words.split()):
        return False
    syllables = pinyin_syllables()
    count = 0
    for word in words.split():
        n = _split_count(word, syllables)
        if n == 0:
            return False
        count += n
    return count >= 2


def _split_count(word: str, syllables: frozenset[str]) -> int:
    best = [0] + [-1] * len(word)
    for i in range(1, len(word) + 1):
        for j in range(max(0, i - 6), i):
            if best[j] >= 0 and word[j:i] in syllables and (best[i] < 0 or best[j] + 1 < best[i]):
                best[i] = best[j] + 1
    return max(best[-1], 0)


def _pattern(term: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in term.split()]
    return re.compile(r"\b" + r"\s+".join(words) + r"\b", re.IGNORECASE)


def find_occurrences(
    entries: tuple[GlossaryEntry, ...],
    document: Document,
    source_name: str,
    glossary_path: Path,
    policy: LinkPolicy,
    avoid: dict[str, list[tuple[int, int]]] | None = None,
) -> tuple[Occurrence, ...]:
    """Find every occurrence of every entry (longest match wins), check coverage, choose which to link.

    ``avoid`` maps block ids to ranges (citations) that must not be linked.
    """
    problems: list[Diagnostic] = []
    blocks = [b for b in document.blocks if b.kind != "heading"]
    terms = {e.term.lower(): e for e in entries if e.kind == "chinese"}
    for block in blocks:
        for m in BRACKETED.finditer(block.text):
            words = " ".join(m.group(1).split())
            if is_pinyin(words) and words not in terms:
                line = block.line_at(m.start())
                problems.append(
                    Diagnostic(
                        "E-GLOSS-MISSING",
                        Location(source_name, line),
                        f"¶{block.number or block.id}: romanised term {m.group(0)!r} has no glossary entry",
                    )
                )
    found: list[Occurrence] = []
    for block in blocks:
        taken = list((avoid or {}).get(block.id, []))
        for entry in sorted(entries, key=lambda e: -len(e.term)):
            for m in _pattern(entry.term).finditer(block.text):
                if any(m.start() < end and start < m.end() for start, end in taken):
                    continue
                taken.append((m.start(), m.end()))
                found.append(Occurrence(entry.id, block.id, m.start(), m.end(), linked=False))
    for entry in entries:
        if not any(o.entry == entry.id for o in found):
            problems.append(
                Diagnostic(
                    "E-GLOSS-UNUSED",
                    Location(str(glossary_path), entry.data_line),
                    f"entry {entry.id}: term {entry.term!r} never occurs in the text",
                )
            )
    if problems:
        raise BuildError(problems)
    return _choose_links(entries, found, document, policy)


def _choose_links(
    entries: tuple[GlossaryEntry, ...], found: list[Occurrence], document: Document, policy: LinkPolicy
) -> tuple[Occurrence, ...]:
    kinds = {e.id: e.kind for e in entries}
    order = {b.id: n for n, b in enumerate(document.blocks)}
    section = {b.id: b.section for b in document.blocks}
    seen_in_chapter: set[tuple[str, str]] = set()
    seen: set[str] = set()
    out = []
    for o in sorted(found, key=lambda o: (order[o.block], o.start)):
        rule = policy.rule(kinds[o.entry])
        link = (
            rule == "every-occurrence"
            or (rule == "first-in-chapter" and (o.entry, section[o.block]) not in seen_in_chapter)
            or (rule == "first-in-edition" and o.entry not in seen)
        )
        seen_in_chapter.add((o.entry, section[o.block]))
        seen.add(o.entry)
        out.append(Occurrence(o.entry, o.block, o.start, o.end, linked=link))
    return tuple(out)
