"""Repair self-checks: no glyph left, idempotent, decoding inverts the damage, replay, word-list coverage."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from build_scripts.config import Config, load_config
from build_scripts.edition import Edition
from build_scripts.emit import plain_block
from build_scripts.mdtext import is_glyph_range
from build_scripts.repair import apply_edits, decode_line, load_glyph_table, repair
from build_scripts.source import read_source
from build_scripts.structure import assemble

TABLE = load_glyph_table(load_config().glyphs)
ENCODE = TABLE.alphabet
LOWER = "".join(c for c in ENCODE if c.islower() or c.isdigit())
PUNCT = "".join(c for c in ENCODE if not c.isalnum())


def test_no_glyph_range_character_left(edition: Edition) -> None:
    leftovers = [(b.id, c) for b in edition.document.blocks for c in b.text if is_glyph_range(c)]
    assert leftovers == []


def test_replay_of_edits_gives_the_repaired_lines(config: Config) -> None:
    source = read_source(config.source)
    result = repair(source, TABLE, config.source_name)
    assert apply_edits(source, result.edits) == [ln.text for ln in result.lines]


def test_replay_of_published_json_gives_the_reading_text(config: Config, emitted: dict[str, str]) -> None:
    """The interventions in edition.json alone rebuild edition.txt from the pinned source."""
    from build_scripts.model import Intervention

    data = json.loads(emitted["downloads/edition.json"])
    records = tuple(Intervention(**i) for i in data["interventions"])
    edits = [i for i in records if i.col]
    lines = apply_edits(read_source(config.source), edits)
    abstract, chapters = assemble(lines, records, config.chapters)
    replayed = [plain_block(abstract)] + [plain_block(b) for c in chapters for b in c.blocks]
    assert "\n\n".join(replayed) + "\n" == emitted["downloads/edition.txt"]


def test_repair_is_idempotent_on_clean_text(edition: Edition) -> None:
    for block in edition.document.blocks:
        again = repair(block.text, TABLE, "clean")
        assert again.lines[0].text == block.text
        assert again.edits == ()


@st.composite
def damaged_words(draw: st.DrawFn) -> str:
    """Text in the table's alphabet as the damaged font produced it: capitals survive except S and R."""
    words = draw(
        st.lists(
            st.tuples(
                st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ") | st.just(""),
                st.text(alphabet=LOWER, min_size=1, max_size=12),
                st.text(alphabet=PUNCT, max_size=2),
            ),
            min_size=1,
            max_size=20,
        )
    )
    return " ".join(cap + body + punct for cap, body, punct in words)


def damage(text: str) -> str:
    return "".join(ENCODE.get(c, c) if (c in LOWER or c in PUNCT or c in "SR") else c for c in text)


@settings(max_examples=300)
@given(damaged_words())
def test_decoding_inverts_the_damage(text: str) -> None:
    assert decode_line(damage(text), TABLE) == text


@settings(max_examples=200)
@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E)))
def test_ascii_text_is_never_decoded(text: str) -> None:
    assert decode_line(text, TABLE) == text


def test_word_list_coverage(edition: Edition) -> None:
    cov = edition.coverage
    assert cov["known"] / cov["words"] >= 0.999, cov["unknown"]
