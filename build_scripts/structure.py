"""Structure stage: rebuild abstract, headings, paragraphs, block quotations and manuscript pages.

Rules decide what they can:

* a non-blank line that starts with a space opens a manuscript page;
* a line standing between separator lines (whitespace-only lines, or a page start) without a
  sentence end is a section heading;
* the abstract is the manuscript's first page, introduced by the label ``Abstract:``;
* a line that ends a sentence well short of the measure ends its paragraph; a line that does
  not end a sentence continues it.

A sentence end at full measure is ambiguous (the sentence may just happen to fill the line),
and block quotations lost their indentation: those are editorial decisions, and the stage
stops with ``E-STRUCT-UNDECIDED`` where one is missing. Every rule application and decision
becomes an :class:`~build_scripts.model.Intervention`; :func:`assemble` turns lines plus those
records into blocks, and is all a replay needs.
"""

from __future__ import annotations

import itertools
import re
import statistics
from dataclasses import replace

from .config import ChapterSpec, Config
from .decisions import Decision
from .diagnostics import BuildError, Diagnostic, Location
from .model import SIC_MARK, Block, Chapter, Document, Intervention, PageMark, RepairedLine, RepairResult
from .repair import apply_edits
from .typography import ABBREVIATIONS

TERMINAL = ".?!:"
CLOSERS = "\u2019\u201d)"
SHORT_RATIO = 0.9
ABSTRACT_LABEL = re.compile(r"(\s*)(Abstract:\s*)")
SIC = " " + SIC_MARK


def ends_sentence(text: str) -> bool:
    """True if the line ends with sentence punctuation that is not an abbreviation like ``pp.``."""
    s = text.rstrip()
    if not s or s.split()[-1].lstrip("([\u2018\u201c").lower() in ABBREVIATIONS:
        return False
    core = s.rstrip(CLOSERS)
    return bool(core) and core[-1] in TERMINAL


def build_structure(repaired: RepairResult, decisions: tuple[Decision, ...], config: Config) -> Document:
    """Apply the rules and decisions, then :func:`assemble` the blocks."""
    src = config.source_name
    lines = repaired.lines
    problems: list[Diagnostic] = []
    content = [ln for ln in lines if not ln.is_blank]
    if not content:
        raise BuildError([Diagnostic("E-SOURCE-TRUNCATED", Location(src), "no text")])
    records: list[Intervention] = []
    used: set[str] = set()

    page_starts = [ln.number for ln in content if ln.opens_page]
    records += [
        Intervention(id=f"pg{n:02d}", kind="page-start", line=ln, replacement=str(n), rule="line-starts-with-space")
        for n, ln in enumerate(page_starts, 1)
    ]
    extra_edits, edit_problems = _text_edits(content[0], decisions, lines, src)
    problems += edit_problems
    used.update(e.rule.removeprefix("decision:") for e in extra_edits if e.rule.startswith("decision:"))
    texts = apply_edits("\n".join(ln.raw for ln in lines), repaired.edits + tuple(extra_edits))

    headings = [ln for ln in content if _is_heading(ln, lines)]
    head_records, sections, head_problems = _map_headings(headings, content, config.chapters, src, page_starts)
    records += head_records
    if head_problems:
        raise BuildError(problems + head_problems)

    median = statistics.median(len(ln.text.strip()) for ln in content)
    by_line = {d.line: d for d in decisions if d.kind in ("paragraph-break", "continue")}
    quotes = [d for d in decisions if d.kind == "block-quote"]
    quote_starts = {d.line: d for d in quotes}
    quote_ends = {d.end_line: d for d in quotes}
    valid_numbers = {ln.number for ln in content}
    for d in quotes:
        if d.line not in valid_numbers or d.end_line not in valid_numbers or d.end_line < d.line:
            problems.append(_ref_problem(d, "block-quote lines are not text lines"))
        else:
            used.add(d.id)
            records.append(
                Intervention(
                    id=f"bq-{d.id}",
                    kind="block-quote",
                    line=d.line,
                    end_line=d.end_line,
                    rule=f"decision:{d.id}",
                    reason=d.reason,
                )
            )
    for run in sections:
        for a, b in itertools.pairwise(run):
            record, boundary_problems = _boundary(a, b, median, by_line, quote_starts, quote_ends, src)
            records.append(record)
            problems += boundary_problems
            if record.rule.startswith("decision:"):
                used.add(record.rule.removeprefix("decision:"))
    for d in decisions:
        if d.kind in ("paragraph-break", "continue", "block-quote", "sic", "emend") and d.id not in used:
            if d.line not in {ln.number for ln in lines}:
                problems.append(_ref_problem(d, f"line {d.line} does not exist in the source"))
            else:
                problems.append(
                    Diagnostic(
                        "E-DECISION-UNUSED",
                        Location(d.source, d.data_line),
                        f"decision {d.id} ({d.kind}) at source line {d.line} decides nothing",
                    )
                )
    last = content[-1]
    if not ends_sentence(last.text):
        problems.append(
            Diagnostic("E-SOURCE-TRUNCATED", Location(src, last.number, len(last.raw)), "the text ends in mid-sentence")
        )
    if problems:
        raise BuildError(problems)
    interventions = tuple(sorted(repaired.edits + tuple(extra_edits) + tuple(records), key=_order))
    abstract, chapters = assemble(texts, interventions, config.chapters)
    return Document(abstract=abstract, chapters=chapters, interventions=interventions, page_count=len(page_starts))


def _order(i: Intervention) -> tuple[int, int, str]:
    return (i.line, i.col, i.id)


def _ref_problem(d: Decision, message: str) -> Diagnostic:
    return Diagnostic("E-DECISION-REF", Location(d.source, d.data_line), f"decision {d.id}: {message}")


def _text_edits(
    first: RepairedLine, decisions: tuple[Decision, ...], lines: tuple[RepairedLine, ...], src: str
) -> tuple[list[Intervention], list[Diagnostic]]:
    """The abstract label and the sic/emend decisions, as character edits on repaired lines."""
    edits: list[Intervention] = []
    problems: list[Diagnostic] = []
    label = ABSTRACT_LABEL.match(first.text)
    if not label:
        problems.append(Diagnostic("E-SOURCE-TRUNCATED", Location(src, first.number, 1), "no 'Abstract:' label"))
    else:
        edits.append(
            Intervention(
                id="lb01",
                kind="label",
                line=first.number,
                col=len(label.group(1)) + 1,
                original=label.group(2),
                replacement="",
                rule="abstract-label",
                reason="The label 'Abstract:' becomes the abstract's heading.",
            )
        )
    numbers = {ln.number: ln for ln in lines}
    for d in decisions:
        if d.kind not in ("sic", "emend") or d.line not in numbers:
            continue
        text = numbers[d.line].text
        if text.count(d.match) != 1:
            problems.append(
                Diagnostic(
                    "E-DECISION-REF",
                    Location(src, d.line),
                    f"decision {d.id}: {d.match!r} occurs {text.count(d.match)} times on this line",
                )
            )
            continue
        new = d.match + SIC if d.kind == "sic" else d.correction
        edits.append(
            Intervention(
                id=f"e-{d.id}",
                kind=d.kind,
                line=d.line,
                col=text.index(d.match) + 1,
                original=d.match,
                replacement=new,
                rule=f"decision:{d.id}",
                reason=d.reason,
            )
        )
    return edits, problems


def _is_heading(line: RepairedLine, lines: tuple[RepairedLine, ...]) -> bool:
    """A line between separator lines (whitespace-only, or a page start after it) with no sentence end."""
    before = [ln for ln in lines[: line.number - 1] if ln.raw != ""]
    after = [ln for ln in lines[line.number :] if ln.raw != ""]
    if not before or not after or ends_sentence(line.text):
        return False
    is_sep = before[-1].is_blank
    next_sep = after[0].is_blank or after[0].opens_page
    return is_sep and next_sep


def _map_headings(
    headings: list[RepairedLine],
    content: list[RepairedLine],
    specs: tuple[ChapterSpec, ...],
    src: str,
    page_starts: list[int],
) -> tuple[list[Intervention], list[list[RepairedLine]], list[Diagnostic]]:
    """Match printed headings to chapters.yaml in order; split body lines into sections."""
    problems: list[Diagnostic] = []
    printed = [s for s in specs if not s.editorial]
    found = [h.text.strip() for h in headings]
    expected = [s.heading for s in printed]
    if found != expected:
        if found == expected[: len(found)]:
            problems.append(
                Diagnostic(
                    "E-SOURCE-TRUNCATED",
                    Location(src, content[-1].number),
                    f"missing section(s): {expected[len(found) :]}",
                )
            )
        else:
            for h in headings:
                if h.text.strip() not in expected:
                    problems.append(
                        Diagnostic(
                            "E-STRUCT-HEADING",
                            Location(src, h.number, 1),
                            f"heading {h.text.strip()!r} has no entry in chapters.yaml",
                        )
                    )
            for e in expected:
                if e not in found:
                    problems.append(
                        Diagnostic("E-STRUCT-HEADING", Location(src), f"chapters.yaml heading {e!r} not found")
                    )
        return [], [], problems
    page_two = page_starts[1] if len(page_starts) > 1 else content[-1].number + 1
    abstract = [ln for ln in content if ln.number < page_two]
    records: list[Intervention] = []
    heading_numbers = {h.number for h in headings}
    cuts = [h.number for h in headings] + [content[-1].number + 1]
    sections: list[list[RepairedLine]] = [abstract]
    opening = [ln for ln in content if page_two <= ln.number < cuts[0]]
    editorial = [s for s in specs if s.editorial]
    if len(editorial) > 1 or (editorial and specs[0] is not editorial[0]):
        problems.append(
            Diagnostic("E-STRUCT-HEADING", Location(src), "only the opening section may take an editorial heading")
        )
    if opening:
        if not editorial:
            problems.append(
                Diagnostic(
                    "E-STRUCT-HEADING",
                    Location(src, opening[0].number),
                    "text before the first heading needs an editorial heading in chapters.yaml",
                )
            )
        else:
            records.append(
                Intervention(
                    id="h00",
                    kind="heading",
                    line=opening[0].number,
                    replacement=editorial[0].id,
                    rule="chapters.yaml:editorial",
                    reason=editorial[0].reason,
                )
            )
        sections.append(opening)
    for n, (h, spec) in enumerate(zip(headings, printed, strict=True), 1):
        records.append(
            Intervention(
                id=f"h{n:02d}",
                kind="heading",
                line=h.number,
                original=h.text.strip(),
                replacement=spec.id,
                rule="between-separator-lines",
            )
        )
        sections.append([ln for ln in content if h.number < ln.number < cuts[n] and ln.number not in heading_numbers])
    records.append(
        Intervention(id="ab01", kind="paragraph-break", line=abstract[-1].number, rule="abstract-is-manuscript-page-1")
    )
    return records, sections, problems


def _boundary(
    a: RepairedLine,
    b: RepairedLine,
    median: float,
    by_line: dict[int, Decision],
    quote_starts: dict[int, Decision],
    quote_ends: dict[int, Decision],
    src: str,
) -> tuple[Intervention, list[Diagnostic]]:
    """Decide how line ``a`` meets line ``b``: a paragraph break, or a join (within or across pages).

    A sentence ending at full measure with no reviewed decision is a diagnostic (and a join, so
    the build can go on to report every such line together).
    """
    join_kind = "join-page" if b.opens_page else "join-line"
    join = Intervention(
        id=f"j{a.number:04d}",
        kind=join_kind,
        line=a.number,
        end_line=b.number,
        original="\n",
        replacement=" ",
        rule="line-continues",
    )
    if a.number in quote_ends or b.number in quote_starts:
        brk = Intervention(id=f"b{a.number:04d}", kind="paragraph-break", line=a.number, rule="block-quote-boundary")
        return brk, []
    if not ends_sentence(a.text):
        return join, []
    if len(a.text.strip()) < SHORT_RATIO * median:
        brk = Intervention(
            id=f"b{a.number:04d}", kind="paragraph-break", line=a.number, rule="short-line-ends-sentence"
        )
        return brk, []
    decision = by_line.get(a.number)
    if decision is None:
        problem = Diagnostic(
            "E-STRUCT-UNDECIDED",
            Location(src, a.number, len(a.raw.rstrip())),
            "sentence ends at full measure: add a paragraph-break or continue decision",
        )
        return join, [problem]
    if decision.kind == "paragraph-break":
        brk = Intervention(
            id=f"b{a.number:04d}",
            kind="paragraph-break",
            line=a.number,
            rule=f"decision:{decision.id}",
            reason=decision.reason,
        )
        return brk, []
    return replace(join, kind=join_kind, rule=f"decision:{decision.id}", reason=decision.reason), []


def assemble(
    texts: list[str], interventions: tuple[Intervention, ...], specs: tuple[ChapterSpec, ...]
) -> tuple[Block, tuple[Chapter, ...]]:
    """Build blocks from repaired line texts and structural records alone (the replay half).

    Consecutive lines of a block must be joined by a join record, so no line is silently merged.
    """
    by_kind: dict[str, dict[int, Intervention]] = {}
    for i in interventions:
        by_kind.setdefault(i.kind, {})[i.line] = i
    headings = sorted(by_kind.get("heading", {}).values(), key=lambda i: i.line)
    breaks = by_kind.get("paragraph-break", {})
    joins = {**by_kind.get("join-line", {}), **by_kind.get("join-page", {})}
    quotes = by_kind.get("block-quote", {})
    pages = {i.line: int(i.replacement) for i in by_kind.get("page-start", {}).values()}
    label = next(iter(by_kind.get("label", {}).values()))
    spec_by_id = {s.id: s for s in specs}
    printed_heading_lines = {h.line for h in headings if h.original}
    editorial_edits: dict[int, list[Intervention]] = {}
    for i in interventions:
        if i.kind in ("label", "sic", "emend"):
            editorial_edits.setdefault(i.line, []).append(i)

    def blocks_between(first: int, stop: int) -> list[tuple[list[int], str]]:
        out: list[tuple[list[int], str]] = []
        current: list[int] = []
        for n in range(first, stop):
            if not texts[n - 1].strip() or n in printed_heading_lines:
                continue
            if current and current[-1] not in joins:
                raise ValueError(f"line {current[-1]} is followed by text but has no join or break record")
            current.append(n)
            if n in breaks or n == stop - 1 or _last_text_line(texts, n, stop, printed_heading_lines):
                out.append((current, _join_text(texts, current, joins)))
                current = []
        return out

    counter = 0

    def make(lines_: list[int], text: str, kind: str, section: str, block_id: str = "") -> Block:
        nonlocal counter
        marks = tuple(PageMark(pages[n], _offset(texts, lines_, n)) for n in lines_ if n in pages)
        number = 0
        if kind in ("paragraph", "quote"):
            counter += 1
            number = counter
            block_id = f"p{counter}"
        offsets = tuple((n, _offset(texts, lines_, n)) for n in lines_)
        sics = tuple(
            start + _sic_offset(texts[n - 1], sic, editorial_edits[n])
            for n, start in offsets
            for sic in editorial_edits.get(n, ())
            if sic.kind == "sic"
        )
        if any(text[s : s + len(SIC_MARK)] != SIC_MARK for s in sics):
            raise ValueError(f"a [sic] of lines {lines_} is not where its record puts it")
        return Block(
            id=block_id,
            kind=kind,
            section=section,
            text=text,
            first_line=lines_[0],
            last_line=lines_[-1],
            number=number,
            pages=marks,
            line_offsets=offsets,
            sics=sics,
        )

    first_heading = headings[0].line
    (abstract_lines, abstract_text), *rest = blocks_between(label.line, first_heading)
    if rest:
        raise ValueError("more than one block before the first heading")
    abstract = make(abstract_lines, abstract_text, "abstract", "front", "abstract")
    chapters: list[Chapter] = []
    ends = [h.line for h in headings[1:]] + [len(texts) + 1]
    for h, end in zip(headings, ends, strict=True):
        spec = spec_by_id[h.replacement]
        title = h.original or spec.heading
        head_pages = (PageMark(pages[h.line], 0),) if h.original and h.line in pages else ()
        head = Block(
            id=spec.id,
            kind="heading",
            section=spec.id,
            text=title,
            first_line=h.line,
            last_line=h.line,
            pages=head_pages,
            editorial=not h.original,
            line_offsets=((h.line, 0),),
        )
        body = [
            make(ls, text, "quote" if ls[0] in quotes and quotes[ls[0]].end_line == ls[-1] else "paragraph", spec.id)
            for ls, text in blocks_between(h.line, end)
        ]
        chapters.append(
            Chapter(id=spec.id, slug=spec.slug, title=title, editorial=not h.original, blocks=(head, *body))
        )
    return abstract, tuple(chapters)


def _sic_offset(line: str, sic: Intervention, editorial: list[Intervention]) -> int:
    """Where the inserted :data:`SIC_MARK` begins in the stripped ``line``.

    Editorial edits are applied to the repaired line right to left (:func:`apply_edits`), so the
    edits left of this one have moved it by the difference of their lengths.
    """
    shift = sum(len(e.replacement) - len(e.original) for e in editorial if e.col < sic.col)
    indent = len(line) - len(line.lstrip())
    return sic.col - 1 + shift + len(sic.replacement) - len(SIC_MARK) - indent


def _last_text_line(texts: list[str], n: int, stop: int, skip: set[int]) -> bool:
    return not any(texts[m - 1].strip() and m not in skip for m in range(n + 1, stop))


def _join_text(texts: list[str], numbers: list[int], joins: dict[int, Intervention]) -> str:
    parts = [texts[numbers[0] - 1].strip()]
    for prev, n in itertools.pairwise(numbers):
        parts.append(joins[prev].replacement + texts[n - 1].strip())
    return "".join(parts)


def _offset(texts: list[str], numbers: list[int], target: int) -> int:
    offset = 0
    for n in numbers:
        if n == target:
            return offset
        offset += len(texts[n - 1].strip()) + 1
    raise ValueError(target)
