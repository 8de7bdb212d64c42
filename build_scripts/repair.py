"""Repair stage: decode the glyph-ID damage and normalise typography, one line at a time.

Each character is decided in context. Glyph code points (``kind = glyph`` in
``editorial/glyphs.tsv``) never occur legitimately in this source and are always decoded.
``shared`` code points are also real characters (the PDF's missing 'S' and 'R' glyphs came out
as typographic quote marks); they are decoded only where the context proves they are glyphs:
directly before a glyph character, or between two letters. Anything else outside plain text
stops the build with ``E-REPAIR-UNMAPPED``.

The stage returns the repaired lines *and* the edits that produced them;
:func:`apply_edits` replays those edits on the source and must give the same lines.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, replace
from pathlib import Path

from .datafiles import read_text
from .diagnostics import BuildError, Diagnostic, Location
from .model import Intervention, RepairedLine, RepairResult

#: Characters legitimate in this plain-text source besides printable ASCII.
LEGITIMATE = frozenset("\u2013\u2014\u2018\u2019\u201c\u201d\u2026")
OPENING_CONTEXT = frozenset(" \t([{\u2018\u201c\u2014")


@dataclass(frozen=True, slots=True)
class GlyphTable:
    """The reviewed decoding table: glyph → decoded text, split by whether the glyph is also a real character."""

    glyph: dict[str, str]
    shared: dict[str, str]

    @property
    def alphabet(self) -> dict[str, str]:
        """Decoded character → glyph (the inverse table), for round-trip tests."""
        return {v: k for k, v in {**self.glyph, **self.shared}.items()}


def load_glyph_table(path: Path) -> GlyphTable:
    """Parse ``glyphs.tsv``; a malformed row stops the build with its line number."""
    glyph: dict[str, str] = {}
    shared: dict[str, str] = {}
    problems: list[Diagnostic] = []
    rows = read_text(path, code="E-REPAIR-TABLE", missing="E-REPAIR-TABLE").split("\n")
    data_rows = [(n, r) for n, r in enumerate(rows, 1) if r and not r.startswith("#")]
    parsed = csv.reader([r for _, r in data_rows[1:]], delimiter="\t", quoting=csv.QUOTE_NONE)
    for (lineno, row), fields in zip(data_rows[1:], parsed, strict=True):
        char, why = _table_row(fields)
        if why:
            problems.append(Diagnostic("E-REPAIR-TABLE", Location(str(path), lineno), f"{why}: {row!r}"))
            continue
        target = glyph if fields[2] == "glyph" else shared if fields[2] == "shared" else None
        if target is None or char in glyph or char in shared:
            problems.append(
                Diagnostic("E-REPAIR-TABLE", Location(str(path), lineno), f"bad kind or duplicate {fields[0]}")
            )
            continue
        target[char] = fields[1]
    if problems:
        raise BuildError(problems)
    return GlyphTable(glyph, shared)


def _table_row(fields: list[str]) -> tuple[str, str]:
    """(glyph character, '') for a well-formed row, else ('', what is wrong with it)."""
    if len(fields) < 3:
        return "", "a row needs code point, decoded text and kind separated by tabs"
    code = fields[0]
    if not (code.startswith("U+") and 4 <= len(code) - 2 <= 6 and all(c in "0123456789ABCDEFabcdef" for c in code[2:])):
        return "", f"{code!r} is not a code point written U+XXXX"
    value = int(code[2:], 16)
    if value > 0x10FFFF or 0xD800 <= value <= 0xDFFF:
        return "", f"{code} is not a Unicode scalar value"
    if len(fields[1]) != 1:
        return "", f"decoded text {fields[1]!r} must be exactly one character (edits map one character to one)"
    return chr(value), ""


def decode_char(line: str, i: int, table: GlyphTable) -> str | None:
    """Decode ``line[i]`` in context; ``None`` means the character is not damage."""
    ch = line[i]
    if ch in table.glyph:
        return table.glyph[ch]
    if ch in table.shared:
        nxt = line[i + 1] if i + 1 < len(line) else ""
        prev = line[i - 1] if i else ""
        if nxt in table.glyph or (prev.isalpha() and nxt.isalpha() and nxt not in table.shared):
            return table.shared[ch]
    return None


def normalise_char(text: str, i: int) -> tuple[str, str] | None:
    """Typographic normalisation of one already-decoded character: (kind, replacement) or None."""
    ch = text[i]
    prev = text[i - 1] if i else " "
    nxt = text[i + 1] if i + 1 < len(text) else ""
    if ch == "'":
        return ("normalise-quote", "\u2018" if prev in OPENING_CONTEXT else "\u2019")
    if ch == '"':
        return ("normalise-quote", "\u201c" if prev in OPENING_CONTEXT else "\u201d")
    if ch == "-" and prev.isdigit() and nxt.isdigit():
        return ("normalise-dash", "\u2013")
    return None


def decode_line(line: str, table: GlyphTable) -> str:
    """Decode a whole line (no normalisation); used by round-trip tests and the fuzzers."""
    return "".join(d if (d := decode_char(line, i, table)) is not None else c for i, c in enumerate(line))


def _is_neutral(ch: str) -> bool:
    """Clean characters that may sit inside a damaged span without splitting it."""
    return ch.isspace() or ("A" <= ch <= "Z") or (ch.isascii() and not ch.isalnum() and ch not in "'\"")


def repair_line(
    number: int, raw: str, table: GlyphTable, source_name: str
) -> tuple[str, list[Intervention], list[Diagnostic]]:
    """Repair one line: per-character decoding, then normalisation, grouped into edit records."""
    decoded: list[str] = []
    kinds: list[str] = []
    problems: list[Diagnostic] = []
    for i, ch in enumerate(raw):
        d = decode_char(raw, i, table)
        if d is not None:
            decoded.append(d)
            kinds.append("decode")
            continue
        if not (" " <= ch <= "~" or ch in LEGITIMATE or ch in table.shared):
            problems.append(
                Diagnostic("E-REPAIR-UNMAPPED", Location(source_name, number, i + 1), f"U+{ord(ch):04X} {ch!r}")
            )
        decoded.append(ch)
        kinds.append("")
    text = "".join(decoded)
    final = list(text)
    for i in range(len(text)):
        if kinds[i]:
            continue
        norm = normalise_char(text, i)
        if norm:
            kinds[i], final[i] = norm
    return "".join(final), _group_edits(number, raw, final, kinds), problems


def _group_edits(number: int, raw: str, final: list[str], kinds: list[str]) -> list[Intervention]:
    edits: list[Intervention] = []
    i = 0
    while i < len(raw):
        if not kinds[i]:
            i += 1
            continue
        j = i + 1
        if kinds[i] == "decode":
            k = j
            while k < len(raw) and (kinds[k] == "decode" or (not kinds[k] and _is_neutral(raw[k]))):
                if kinds[k] == "decode":
                    j = k + 1
                k += 1
        edits.append(
            Intervention(
                id="",
                kind=kinds[i],
                line=number,
                col=i + 1,
                original=raw[i:j],
                replacement="".join(final[i:j]),
                rule="glyph-table" if kinds[i] == "decode" else kinds[i],
            )
        )
        i = j
    return edits


def repair(source_text: str, table: GlyphTable, source_name: str) -> RepairResult:
    """Repair every line; collect all unmapped characters before stopping."""
    lines: list[RepairedLine] = []
    edits: list[Intervention] = []
    problems: list[Diagnostic] = []
    for number, raw in enumerate(source_text.split("\n"), 1):
        text, line_edits, line_problems = repair_line(number, raw, table, source_name)
        lines.append(RepairedLine(number, raw, text))
        edits.extend(line_edits)
        problems.extend(line_problems)
    if problems:
        raise BuildError(problems)
    numbered = tuple(replace(e, id=f"{_PREFIX[e.kind]}{n:04d}") for n, e in enumerate(edits, 1))
    return RepairResult(source_name, tuple(lines), numbered)


_PREFIX = {"decode": "d", "normalise-quote": "q", "normalise-dash": "n"}
REPAIR_KINDS = frozenset(_PREFIX)


def apply_edits(source_text: str, edits: tuple[Intervention, ...] | list[Intervention]) -> list[str]:
    """Replay character edits on the source: the inverse check of :func:`repair` (ftfy's ``apply_plan``).

    Repair edits (decode, normalise) map one character to one, so their columns hold in the
    repaired line too; they are applied first. Editorial edits (label, sic, emend) are applied to
    the repaired line, right to left within a line so earlier columns stay valid.
    """
    lines = source_text.split("\n")
    for phase in (REPAIR_KINDS, None):
        by_line: dict[int, list[Intervention]] = {}
        for e in edits:
            if (e.kind in REPAIR_KINDS) == (phase is not None):
                by_line.setdefault(e.line, []).append(e)
        for number, line_edits in by_line.items():
            text = lines[number - 1]
            for e in sorted(line_edits, key=lambda e: e.col, reverse=True):
                start = e.col - 1
                if text[start : start + len(e.original)] != e.original:
                    raise ValueError(f"edit {e.id} does not match the text at {number}:{e.col}")
                text = text[:start] + e.replacement + text[start + len(e.original) :]
            lines[number - 1] = text
    return lines
