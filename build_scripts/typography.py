"""The edition's typographic conventions for text it writes itself, in one place.

The repaired source gets its quotes and dashes from :func:`build_scripts.repair.normalise_char`,
one recorded intervention per character; the edition's own prose (glossary definitions, decision
reasons, bibliography titles and notes, the link policy) is clean text and goes through
:func:`smarten`. :data:`ABBREVIATIONS` is the one list of words whose full stop does not end a
sentence, read by the structure stage (line joins) and the citation recogniser (sentence limits).
"""

from __future__ import annotations

import re

#: Lowercased abbreviations whose full stop does not end a sentence ("pp. 82", "et al. 2004").
ABBREVIATIONS = frozenset({"p.", "pp.", "e.g.", "i.e.", "cf.", "ed.", "eds.", "vol.", "al.", "no.", "ch.", "vs."})


def smarten(text: str, nested: bool = False) -> str:
    """Typographic quotes: apostrophes become ’; quoted words ‘…’ (“…” when ``nested`` in a quotation).

    Hyphens are left alone: in the edition's own prose a hyphen between digits is an ISO date
    (2026-11-29), and page ranges are written with an en dash in the data itself."""
    opening, closing = ("\u201c", "\u201d") if nested else ("\u2018", "\u2019")
    text = re.sub(r"(?<=\w)'(?=\w)", "\u2019", text)
    text = re.sub(r"(?:(?<=^)|(?<=[\s(\[\u2014]))'", opening, text)
    text = text.replace("'", closing)
    text = re.sub(r'(?:(?<=^)|(?<=[\s(\[\u2018\u2014]))"', "\u201c", text)
    return text.replace('"', "\u201d")
