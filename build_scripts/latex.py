"""BibTeX field text (LaTeX) as plain text: pybtex's decoding, skipped where there is nothing to decode.

pybtex decodes with latexcodec, a tokenizer in pure Python that costs about half a millisecond a
field; the emit and pages stages decode some two thousand fields a build, nine in ten of them plain
words and punctuation that decode to themselves. :data:`INERT` recognises those, and tests/test_latex.py
checks on generated text that :func:`plain` always equals pybtex's own decoding.
"""

from __future__ import annotations

import functools
import re

from pybtex.richtext import Text

INERT = re.compile(r"(?! )(?!.*(?:--|''|,,|  | $))[^\\{}$%&#_^~`\n\r\t]*", re.DOTALL)
"""Text that latexcodec returns unchanged: no LaTeX special character (``\\ { } $ % & # _ ^ ~``), no
backtick, none of the ligatures it translates (``--``, ``''``, ``,,``), no tab or line break, and
single spaces, none leading or trailing (it collapses spacing and drops a leading space)."""


def is_inert(latex: str) -> bool:
    """True if decoding ``latex`` gives ``latex`` back."""
    return INERT.fullmatch(latex) is not None


@functools.lru_cache(maxsize=4096)
def plain(latex: str) -> str:
    """Decoded LaTeX as plain text: ``Rowman \\& Littlefield`` → ``Rowman & Littlefield``, braces dropped.

    Cached: the pages are rendered more than once in a process (tests, benchmarks), each field the same."""
    return latex if is_inert(latex) else str(Text.from_latex(latex))
