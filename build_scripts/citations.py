"""Citation stage: find every author-date citation in the reading text and resolve it to a key.

The article cites in several ways, and each instance is recognised where it stands so later
stages can link the cited text and place a note marker:

* parenthetical ``(Nye, 2011, pp. 20–21)``, several works in one group separated by ``;``, a
  prefix (``see``, ``e.g.``), a missing comma (``CCP Central Committee 2011, 2013``), and an
  author carried over to later years of the group (``Nye, 2014, p. 22; 2013; 2011, p. 90``);
* narrative ``Li (2009, p. 31)`` and possessive ``Jiang’s (2010)``;
* a bare year ``(2004, p. 12)`` whose author was named earlier in the sentence.

Names the text gives are resolved through :meth:`Bibliography.lookup`. A bare year is resolved by
rule only when exactly one candidate first author of that year occurs earlier in the same
sentence; otherwise it needs a reviewed ``kind: citation`` decision. Anything unresolved or
ambiguous, any decision that decides nothing, and any bibliography entry never cited stops the
build, all reported together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .bibliography import Bibliography
from .decisions import Decision
from .diagnostics import BuildError, Diagnostic, Location
from .model import Block, Document
from .typography import ABBREVIATIONS

_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_WORD = rf"(?!(?:{_MONTHS})\b)[A-Z][\w’'\-]*"
AUTHOR = rf"{_WORD}(?:\s+{_WORD})*(?:\s+and\s+{_WORD}(?:\s+{_WORD})*)?(?:\s+et\s+al\.)?"
#: A year (``2011``, ``2012a``) or "no date" (``n.d.``).
YEAR = r"(?:(?:1[5-9]|20)\d\d[a-z]?|n\.\s?d\.)(?![\w–-])"
_PAGES = r"\d+(?:\s?[–-]\s?\d+)?"
#: ``p. 20``, ``pp. 20–21``, ``ch. 3``, ``para. 67``: the forms the footnote prints as written.
LOCATOR = rf"(?:pp?\.|ch\.|paras?\.)\s?{_PAGES}(?:,\s?(?!{YEAR}){_PAGES})*"
PREFIX = re.compile(r"\s*(?:(?i:see\s+also|see|e\.g\.,?|cf\.|i\.e\.,?)\s+)?")
MEMBER_AUTHOR = re.compile(rf"({AUTHOR}),?\s+(?={YEAR})")
#: A year and its locator: ``2011, pp. 20–21`` or, in the colon style, ``1983: 67`` (bare pages).
PIECE = re.compile(rf"(?P<year>{YEAR})(?:,\s+(?P<loc>{LOCATOR})|:\s?(?P<pages>{_PAGES}(?:,\s?{_PAGES})*))?")
PIECE_SEP = re.compile(r",\s+")
#: A parenthetical group ``(…)`` or a square-bracket group ``[…]``.
GROUP = re.compile(r"\((?P<paren>[^()]*)\)|\[(?P<square>[^\[\]()]*)\]")
POSSESSIVE = re.compile(rf"(?<![\w’'\-])({AUTHOR})[’']s\s*$")
NARRATIVE = re.compile(rf"(?<![\w’'\-])({AUTHOR})\s*$")
#: What looks like an author-date citation: a capitalised name, then a year or n.d. A bracket member
#: that looks like one but does not parse is an error, never silently dropped.
LOOKS_CITED = re.compile(rf"{_WORD}[\s,]+(?:(?:1[5-9]|20)\d\d[a-z]?\b|n\.\s?d\.)")
SENTENCE_END = re.compile(r"[.?!][’”)\]]*\s+(?=[‘“(\[]?[A-Z])")
LOOKBACK = 160
#: Punctuation a note call follows when it closes on a bracket (a dash it precedes instead).
CLOSING = re.compile(r"[.,;:?!]*[”’]?")


@dataclass(frozen=True, slots=True)
class Citation:
    """One reference to one work at one place in the reading text."""

    block: str
    """Id of the block (``p12``, ``abstract``)."""
    start: int
    """Offset in the block's text where the cited text begins (after any ``see``/``e.g.``)."""
    end: int
    marker: int
    """Offset where the note call goes: after the bracket and any punctuation closing on it.

    Every work of one bracket group shares the call (one note lists them all), and the call follows
    a comma, full stop, semicolon or colon that directly follows the bracket, as note styles require
    (never inside the bracket, never directly after a page number)."""
    cited: str
    """``block.text[start:end]``: the citation as written."""
    key: str
    locator: str
    """``p. 82``, ``pp. 88–89``, or ``''``."""
    form: str
    """``parenthetical``, ``narrative``, ``possessive`` or ``bare-year``."""
    line: int
    """Source line where the year appears."""
    rule: str
    """``explicit-author`` | ``carried-author`` | ``implied-author-in-sentence`` | ``decision:<id>``."""


@dataclass(frozen=True, slots=True)
class _Piece:
    """A year (with optional locator) inside a bracket, before resolution."""

    start: int
    end: int
    year: str
    year_at: int
    locator: str


@dataclass(frozen=True, slots=True)
class _Member:
    """One ``;``-separated member of a bracket: an optional author and its years."""

    author: str
    author_at: int
    pieces: tuple[_Piece, ...]


@dataclass(frozen=True, slots=True)
class _Found:
    """A recognised citation awaiting its key: ``name`` is '' for a bare year."""

    block: Block
    start: int
    end: int
    marker: int
    year: str
    year_at: int
    locator: str
    form: str
    name: str
    rule: str

    @property
    def line(self) -> int:
        return self.block.line_at(self.year_at)

    @property
    def cited(self) -> str:
        return self.block.text[self.start : self.end]

    def resolve(self, key: str, rule: str) -> Citation:
        return Citation(
            block=self.block.id,
            start=self.start,
            end=self.end,
            marker=self.marker,
            cited=self.cited,
            key=key,
            locator=self.locator,
            form=self.form,
            line=self.line,
            rule=rule,
        )


def recognise_citations(
    document: Document,
    bibliography: Bibliography,
    decisions: tuple[Decision, ...],
    source_name: str,
) -> tuple[Citation, ...]:
    """Every citation instance in reading order, each resolved to a bibliography key."""
    problems: list[Diagnostic] = []
    found: list[_Found] = []
    names = frozenset(_apostrophes(r.cite_name) for r in bibliography.references)
    for block in document.blocks:
        if block.kind != "heading":
            block_found, block_problems = find_citations(block, names, source_name)
            found += block_found
            problems += block_problems
    resolved: dict[int, Citation] = {}
    pending: dict[int, tuple[str, str]] = {}
    for n, item in enumerate(found):
        key, rule, why = _resolve(item, bibliography)
        if key:
            resolved[n] = item.resolve(key, rule)
        else:
            pending[n] = (rule, why)
    problems += _apply_decisions(found, resolved, pending, document, bibliography, decisions)
    for n, (code, why) in pending.items():
        item = found[n]
        message = f"{_where(item.block)}: ‘{item.cited}’ {why}"
        problems.append(Diagnostic(code, Location(source_name, item.line), message))
    cited_keys = {c.key for c in resolved.values()}
    for ref in bibliography.references:
        if ref.key not in cited_keys:
            problems.append(
                Diagnostic(
                    "E-CITE-UNCITED",
                    Location(bibliography.path, ref.line),
                    f"entry {ref.key} ({ref.label}) is never cited in the text",
                )
            )
    if problems:
        raise BuildError(problems)
    return tuple(resolved[n] for n in sorted(resolved))


def find_citations(block: Block, names: frozenset[str], source_name: str) -> tuple[list[_Found], list[Diagnostic]]:
    """Recognise the citations in one block, unresolved, and a diagnostic for each unreadable bracket member.

    ``names`` are the bibliography's cite names: a capitalised word before a bracket that opens with
    a year is a narrative citation only if it is one of them (``Li (2009)``, not ``China (2004)``).
    """
    text = block.text
    out: list[_Found] = []
    problems: list[Diagnostic] = []
    for group in GROUP.finditer(text):
        body = "paren" if group.group("paren") is not None else "square"
        members = _members(text, group.start(body), group.end(body))
        readable = [m for _, m in members if m is not None]
        for member_text, member in members:
            if member is None and LOOKS_CITED.search(member_text):
                problems.append(
                    Diagnostic(
                        "E-CITE-UNREADABLE",
                        Location(source_name, block.line_at(group.start())),
                        f"{_where(block)}: cannot read ‘{member_text.strip()}’ as an author-date citation "
                        "(forms read: Author, 2011, p. 20 · Author 2011: 20 · Author, n.d. · para. · ch.)",
                    )
                )
        if readable:
            out += _group_citations(block, group, readable, names)
    return out, problems


def _group_citations(block: Block, group: re.Match[str], members: list[_Member], names: frozenset[str]) -> list[_Found]:
    """Turn a bracket's members into citations; author-less members before any name take it from outside."""
    text = block.text
    form, name, name_at, rule = "parenthetical", "", -1, "carried-author"
    if not members[0].author:
        form, name, name_at = _outside(text, group.start(), names)
        rule = "explicit-author" if name else "implied"
    pieces = [(m, p) for m in members for p in m.pieces]
    call = note_call(text, group.end())
    out = []
    for n, (member, piece) in enumerate(pieces):
        last = n == len(pieces) - 1
        opens_member = bool(member.author) and piece is member.pieces[0]
        if opens_member:
            form, name, rule = "parenthetical", member.author, "explicit-author"
        start = member.author_at if opens_member else piece.start
        end = piece.end
        if n == 0 and name_at >= 0:
            start = name_at
            end = group.end() if last else piece.end
        out.append(
            _Found(
                block=block,
                start=start,
                end=end,
                marker=call,
                year=piece.year,
                year_at=piece.year_at,
                locator=piece.locator,
                form=form,
                name=name,
                rule=rule,
            )
        )
        if rule == "explicit-author":
            rule = "carried-author"
    return out


def note_call(text: str, end: int) -> int:
    """Offset for a note call after a bracket ending at ``end``: past any closing punctuation."""
    m = CLOSING.match(text, end)
    return m.end() if m else end


def _members(text: str, start: int, end: int) -> list[tuple[str, _Member | None]]:
    out = []
    at = start
    for part in text[start:end].split(";"):
        out.append((part, _parse_member(text, at, at + len(part))))
        at += len(part) + 1
    return out


def _parse_member(text: str, start: int, end: int) -> _Member | None:
    """``[prefix] [Author[,]] year[, locator][, year[, locator]]…`` or None."""
    prefix = PREFIX.match(text, start, end)
    pos = prefix.end() if prefix else start
    author, author_at = "", pos
    m = MEMBER_AUTHOR.match(text, pos, end)
    if m:
        author = m.group(1)
        pos = m.end()
    pieces = []
    while True:
        p = PIECE.match(text, pos, end)
        if not p:
            return None
        loc = p.group("loc") or _pages_locator(p.group("pages") or "")
        pieces.append(_Piece(start=p.start(), end=p.end(), year=p.group("year"), year_at=p.start(), locator=loc))
        pos = p.end()
        if not text[pos:end].strip():
            return _Member(author=author, author_at=author_at, pieces=tuple(pieces))
        sep = PIECE_SEP.match(text, pos, end)
        if not sep:
            return None
        pos = sep.end()


def _pages_locator(pages: str) -> str:
    """Bare pages after a colon (``1983: 67``) as the locator the notes print: ``p. 67``, ``pp. 67–69``."""
    if not pages:
        return ""
    pages = re.sub(r"\s?[–-]\s?", "–", pages)
    return ("pp. " if "–" in pages or "," in pages else "p. ") + pages


def _outside(text: str, bracket: int, names: frozenset[str]) -> tuple[str, str, int]:
    """Form, name and name offset for a bracket that opens with a year: a cited name just before it."""
    window = max(0, bracket - LOOKBACK)
    before = text[window:bracket]
    for form, pattern in (("possessive", POSSESSIVE), ("narrative", NARRATIVE)):
        m = pattern.search(before)
        if not m:
            continue
        run = m.group(1)
        for word in re.finditer(r"\S+", run):
            if word.group() not in ("and", "et") and _apostrophes(run[word.start() :]) in names:
                return form, run[word.start() :], window + m.start(1) + word.start()
    return "bare-year", "", -1


def _resolve(item: _Found, bib: Bibliography) -> tuple[str, str, str]:
    """(key, rule, '') when resolved, else ('', diagnostic code, explanation)."""
    if item.name:
        matches = bib.lookup(item.name, item.year)
        if len(matches) == 1:
            return matches[0].key, item.rule, ""
        if matches:
            keys = ", ".join(r.key for r in matches)
            return "", "E-CITE-AMBIGUOUS", f"matches more than one entry ({keys}); add a `kind: citation` decision"
        return "", "E-CITE-UNRESOLVED", f"matches no bibliography entry for {item.name} {item.year}"
    candidates = _implied_authors(item, bib)
    if len(candidates) != 1:
        code = "E-CITE-AMBIGUOUS" if candidates else "E-CITE-UNRESOLVED"
        named = ", ".join(sorted(candidates)) or "no candidate author"
        return "", code, (f"is a bare year with {named} named earlier in its sentence; add a `kind: citation` decision")
    author = candidates.pop()
    matches = [r for r in bib.of_year(item.year) if r.surnames and r.surnames[0] == author]
    if len(matches) == 1:
        return matches[0].key, "implied-author-in-sentence", ""
    keys = ", ".join(r.key for r in matches)
    return "", "E-CITE-AMBIGUOUS", f"implies {author}, who has several entries of {item.year} ({keys})"


def _implied_authors(item: _Found, bib: Bibliography) -> set[str]:
    """First authors of the year's entries who are named earlier in the same sentence."""
    text = item.block.text
    bracket = text.rfind("(", 0, item.start + 1)
    sentence = text[sentence_start(text, bracket) : bracket]
    return {
        name for name in bib.first_authors(item.year) if re.search(rf"(?<![\w\-]){re.escape(name)}(?![\w\-])", sentence)
    }


def sentence_start(text: str, pos: int) -> int:
    """Offset where the sentence holding ``pos`` begins (abbreviations and initials do not end one)."""
    start = 0
    for m in SENTENCE_END.finditer(text, 0, pos):
        word = text[: m.start() + 1].split()[-1].lstrip("(‘“[")
        if word.lower() in ABBREVIATIONS or re.fullmatch(r"(?:[A-Z]\.)+", word):
            continue
        start = m.end()
    return start


def _apply_decisions(
    found: list[_Found],
    resolved: dict[int, Citation],
    pending: dict[int, tuple[str, str]],
    document: Document,
    bib: Bibliography,
    decisions: tuple[Decision, ...],
) -> list[Diagnostic]:
    """Resolve pending citations by reviewed ``kind: citation`` decisions; report any that decide nothing."""
    problems = []
    keys = {r.key for r in bib.references}
    on_line: dict[int, list[int]] = {}
    for n, item in enumerate(found):
        on_line.setdefault(item.line, []).append(n)
    for d in decisions:
        if d.kind != "citation":
            continue
        where = Location(d.source, d.data_line)
        spans = _match_spans(document, d)
        if not spans:
            problems.append(
                Diagnostic(
                    "E-DECISION-REF", where, f"decision {d.id}: ‘{d.match}’ does not occur on source line {d.line}"
                )
            )
            continue
        if d.key not in keys:
            problems.append(Diagnostic("E-DECISION-REF", where, f"decision {d.id}: no bibliography entry {d.key!r}"))
            continue
        covered = [n for n in on_line.get(d.line, []) if _inside(found[n], spans)]
        targets = [n for n in covered if n in pending]
        if not targets:
            done = ", ".join(f"{resolved[n].cited} → {resolved[n].key}" for n in covered if n in resolved)
            message = f"decision {d.id} (citation) at source line {d.line} decides nothing"
            if done:
                message += f": the rules already resolve {done}"
            problems.append(Diagnostic("E-DECISION-UNUSED", where, message))
            continue
        for n in targets:
            resolved[n] = found[n].resolve(d.key, f"decision:{d.id}")
            del pending[n]
    return problems


def _match_spans(document: Document, d: Decision) -> list[tuple[str, int, int]]:
    """(block id, start, end) of each occurrence of the decision's ``match`` touching its line."""
    needle = _dashes(d.match)
    spans = []
    for block in document.blocks:
        if not block.first_line <= d.line <= block.last_line or block.kind == "heading":
            continue
        starts = [off for line, off in block.line_offsets if line == d.line]
        if not starts:
            continue
        line_start = starts[0]
        later = [off for line, off in block.line_offsets if off > line_start]
        line_end = min(later) if later else len(block.text)
        hay = _dashes(block.text)
        for m in re.finditer(re.escape(needle), hay):
            if m.start() < line_end and m.end() > line_start:
                spans.append((block.id, m.start(), m.end()))
    return spans


def _inside(item: _Found, spans: list[tuple[str, int, int]]) -> bool:
    return any(b == item.block.id and s <= item.start and item.end <= e for b, s, e in spans)


def _apostrophes(text: str) -> str:
    return text.replace("\u2019", "'")


def _dashes(text: str) -> str:
    return text.replace("\u2013", "-").replace("\u2019", "'")


def _where(block: Block) -> str:
    return f"¶{block.number} ({block.id})" if block.number else block.id
