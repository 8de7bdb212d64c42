"""Inline marks on a block's text, rendered to the Markdown that both the site and the PDF are made from.

A :class:`Mark` either inserts markup at an offset (footnote marker, manuscript page marker)
or wraps a range (glossary link, editorial ``[sic]``). The author's words are never changed:
only escaped and wrapped.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from .mdtext import attr_escape, escape


@dataclass(frozen=True, slots=True)
class Mark:
    """One thing to render inside a block's text."""

    kind: str
    """``footnote`` | ``page`` | ``glossary`` | ``sic``."""
    start: int
    end: int
    """Equal to ``start`` for insertions."""
    target: str
    """Footnote number, page number, glossary entry id; empty for ``sic``."""
    title: str = ""
    """Tooltip text (glossary definitions)."""


Markup = Callable[[Mark, str], str]
"""Renders one mark; for wraps the second argument is the already-escaped inner text."""


def render(
    text: str,
    marks: Sequence[Mark],
    escape_text: Callable[[str], str],
    markup: Markup,
    escape_first: Callable[[str], str] | None = None,
) -> str:
    """Render ``text`` with ``marks``; text between marks goes through ``escape_text``.

    ``escape_first`` (default ``escape_text``) escapes the piece at offset 0, which may open a line.
    Wraps must not overlap each other; an insertion inside a wrap is moved to the wrap's end.
    """
    wraps = sorted((m for m in marks if m.end > m.start), key=lambda m: m.start)
    for a, b in itertools.pairwise(wraps):
        if b.start < a.end:
            raise ValueError(f"overlapping marks {a} and {b}")
    inserts = []
    for m in marks:
        if m.end == m.start:
            inside = next((w for w in wraps if w.start < m.start < w.end), None)
            inserts.append((inside.end if inside else m.start, m))
    out: list[str] = []
    pos = 0
    events = sorted([(w.start, 1, w) for w in wraps] + [(o, 0, m) for o, m in inserts], key=lambda e: (e[0], e[1]))
    first = escape_first or escape_text
    for offset, is_wrap, m in events:
        if offset < pos:
            continue
        out.append((first if pos == 0 else escape_text)(text[pos:offset]))
        if is_wrap:
            out.append(markup(m, escape_text(text[m.start : m.end])))
            pos = m.end
        else:
            out.append(markup(m, ""))
            pos = offset
    out.append((first if pos == 0 else escape_text)(text[pos:]))
    return "".join(out)


def page_marker(page: int | str) -> str:
    """The visible, linkable start of a manuscript page: ``[ms. N]`` with the anchor ``ms-N``."""
    return f'<span class="ms" id="ms-{page}">[ms.&#160;{page}]</span>'


def sic_marker(inner: str) -> str:
    """The edition's ``[sic]``, set apart from the author's words."""
    return f'<em class="sic">{inner}</em>'


def sidenote(number: str, body: str) -> str:
    """A note's copy beside its call, for wide screens: left out of the search index (the notes list is
    indexed), and shown only where the notes list is not (CSS), so a screen reader meets one of the two.

    ``<small>`` (a side comment), not ``<span>``: Material's search parser compares elements by tag
    name, so the first ``</span>`` inside an excluded ``<span>`` would end the exclusion.
    """
    return f'<small class="sidenote" data-search-exclude><b class="sidenote-number">{number}</b> {body}</small>'


def markdown_markup(glossary_href: str, sidenotes: Mapping[str, str] | None = None) -> Markup:
    """Markdown/HTML snippets for the MkDocs site; ``glossary_href`` is the glossary page's relative path."""

    def markup(m: Mark, inner: str) -> str:
        if m.kind == "footnote":
            body = (sidenotes or {}).get(m.target)
            return f"[^{m.target}]" + (sidenote(m.target, body) if body else "")
        if m.kind == "page":
            return page_marker(m.target)
        if m.kind == "glossary":
            return f'[{inner}]({glossary_href}#{m.target} "{attr_escape(m.title)}"){{: .gloss }}'
        if m.kind == "sic":
            return sic_marker(inner)
        raise ValueError(m.kind)

    return markup


def to_markdown(
    text: str,
    marks: Sequence[Mark],
    glossary_href: str,
    *,
    line_start: bool = True,
    sidenotes: Mapping[str, str] | None = None,
) -> str:
    """Markdown for a block's text; ``line_start`` if the text opens a Markdown line."""

    def inner(s: str) -> str:
        return escape(s, at_line_start=False)

    def first(s: str) -> str:
        return escape(s, at_line_start=line_start)

    return render(text, marks, inner, markdown_markup(glossary_href, sidenotes), first)
