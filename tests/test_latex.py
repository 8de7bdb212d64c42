"""``latex.plain`` skips pybtex's decoding for text that has nothing to decode; it must never differ from it.

Property tests (hypothesis) on text made of the characters LaTeX decoding acts on (specials, the
ligatures ``--``, ``''``, ``,,``, ``?```, spacing) mixed with plain words, and on the real fields of
``bib/references.bib``: ``plain`` equals ``str(Text.from_latex(...))`` (or both fail alike), and
the CSL rich-text form of inert text is the text itself.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pybtex.database import parse_file
from pybtex.richtext import Text

from build_scripts.citeformats import _nocase_parts, nocase_markup
from build_scripts.config import Config
from build_scripts.latex import is_inert, plain

PIECES = st.sampled_from(
    ["a", "Word", "é", "’", "‘", "–", "\u00a0", "1", " ", "  ", "-", "'", ",", ".", "?", "!", "`", "~", "\\&",
     "{", "}", "$", "%", "#", "_", "^", "\n", "\t", "\\'e", "<", ">", "..."]
)  # fmt: skip
TEXTS = st.lists(PIECES, max_size=12).map("".join)


def decoded(latex: str) -> tuple[str, Any]:
    """pybtex's own decoding, or the kind of error it raises."""
    try:
        return str(Text.from_latex(latex)), None
    except Exception as exc:
        return "", type(exc)


def fast(latex: str) -> tuple[str, Any]:
    try:
        return plain(latex), None
    except Exception as exc:
        return "", type(exc)


@settings(max_examples=400, deadline=None)
@given(TEXTS)
@example("a -- b")
@example("a ''b''")
@example(",,x")
@example(" leading")
@example("trailing ")
@example("two  spaces")
@example("?`")
def test_plain_is_pybtex_decoding(latex: str) -> None:
    assert fast(latex) == decoded(latex)
    if is_inert(latex):
        assert plain(latex) == latex
        assert nocase_markup(latex) == "".join(_nocase_parts(Text.from_latex(latex))) == latex


def test_plain_on_every_field_of_the_bibliography(config: Config) -> None:
    entries = parse_file(str(config.bib), "bibtex").entries.values()
    fields = [v for e in entries for v in e.fields.values()]
    fields += [str(p) for e in entries for people in e.persons.values() for p in people]
    assert len(fields) > 100
    assert [plain(f) for f in fields] == [str(Text.from_latex(f)) for f in fields]
    assert sum(map(is_inert, fields)) > len(fields) / 2, "most fields take the fast path"


@pytest.mark.parametrize("latex", ["Rowman \\& Littlefield", "pp. 19--22", "{CCP} Central Committee", "a~b"])
def test_text_with_latex_in_it_is_decoded(latex: str) -> None:
    assert not is_inert(latex)
    assert plain(latex) == str(Text.from_latex(latex)) != latex
