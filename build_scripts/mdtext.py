"""Pure helpers for literal Markdown text (standard library only).

One source of truth for escaping: the emit stage, the bibliography backend and the tests all
use :func:`escape`, so any source text renders literally in Python-Markdown (MkDocs) with the
extensions ``mkdocs.yml`` enables.
"""

from __future__ import annotations

import re

_BACKSLASH = set("\\`*_{}[]#+-.!()")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "&#124;", '"': "&quot;"}
_LIST_START = re.compile(r"^(\d+)([.)])")


def escape(text: str, *, at_line_start: bool = True) -> str:
    """Escape ``text`` so that Markdown renders it literally, never as markup.

    Only characters that could open Markdown or HTML syntax are escaped: backslash escapes for
    Markdown punctuation, character references for ``& < > | "``. At the start of a line, leading
    whitespace is dropped (four spaces would start a code block) and list or heading openers are
    escaped; pass ``at_line_start=False`` for text that continues a line.
    """
    out = []
    for ch in text.lstrip() if at_line_start else text:
        if ch in _ENTITIES:
            out.append(_ENTITIES[ch])
        elif ch in "\\`*_{}[]#!":
            out.append("\\" + ch)
        else:
            out.append(ch)
    escaped = "".join(out).replace("\n", " ")
    if not at_line_start:
        return escaped
    escaped = _LIST_START.sub(r"\1\\\2", escaped)
    if escaped[:1] in ("+", "-", "=", "~", ":"):
        escaped = "\\" + escaped if escaped[0] in _BACKSLASH else f"&#{ord(escaped[0])};" + escaped[1:]
    return escaped


def attr_escape(text: str) -> str:
    """Escape text for a double-quoted HTML attribute or Markdown link title."""
    return "".join(_ENTITIES.get(ch, ch) for ch in text).replace("\n", " ")


def is_glyph_range(ch: str) -> bool:
    """Code points the damaged font produced (Latin Extended-A/B, combining marks, Greek/Coptic)."""
    o = ord(ch)
    return 0x0100 <= o <= 0x024F or 0x0355 <= o <= 0x035F or 0x0370 <= o <= 0x03FF


def char_refs(text: str) -> str:
    """Write glyph-range characters as numeric character references.

    Used for the apparatus's source readings and the glossary's tone-marked pinyin, so the
    generated Markdown never holds a raw glyph-range character and a plain search of docs/
    for one finds only real repair failures. Browsers and the search index decode them.
    """
    return "".join(f"&#x{ord(c):04X};" if is_glyph_range(c) else c for c in text)
