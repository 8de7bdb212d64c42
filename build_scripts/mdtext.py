"""Pure helpers for literal Markdown text and stable anchors (standard library only).

One source of truth for escaping: the emit stage, the bibliography backend and the tests all
use :func:`escape`, so any source text renders literally in Python-Markdown (MkDocs) with the
extensions ``mkdocs.yml`` enables.
"""

from __future__ import annotations

import re

_BACKSLASH = set("\\`*_{}[]#+-.!()")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "&#124;", '"': "&quot;"}
_LIST_START = re.compile(r"^(\d+)([.)])")


def escape(text: str) -> str:
    """Escape ``text`` so that Markdown renders it literally, never as markup.

    Only characters that could open Markdown or HTML syntax are escaped: backslash escapes for
    Markdown punctuation, character references for ``& < > | "``. Leading whitespace is dropped
    (four spaces would start a code block).
    """
    out = []
    for ch in text.lstrip():
        if ch in _ENTITIES:
            out.append(_ENTITIES[ch])
        elif ch in "\\`*_{}[]#!":
            out.append("\\" + ch)
        else:
            out.append(ch)
    escaped = "".join(out)
    escaped = _LIST_START.sub(r"\1\\\2", escaped)
    if escaped[:1] in ("+", "-", "=", "~", ":"):
        escaped = "\\" + escaped if escaped[0] in _BACKSLASH else f"&#{ord(escaped[0])};" + escaped[1:]
    return escaped.replace("\n", " ")


def attr_escape(text: str) -> str:
    """Escape text for a double-quoted HTML attribute or Markdown link title."""
    return "".join(_ENTITIES.get(ch, ch) for ch in text).replace("\n", " ")


def slug(text: str) -> str:
    """Lowercase ASCII slug for generated ids (data files fix all published anchors)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
