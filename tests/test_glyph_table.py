"""Every row of the decoding table is justified by a real span of the source."""

from __future__ import annotations

import csv

import pytest

from build_scripts.config import Config, load_config
from build_scripts.repair import decode_line, load_glyph_table

_CONFIG = load_config()


def _rows() -> list[dict[str, str]]:
    lines = [ln for ln in _CONFIG.glyphs.read_text(encoding="utf-8").splitlines() if ln and not ln.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))


@pytest.mark.parametrize("row", _rows(), ids=lambda r: r["codepoint"])
def test_row_evidence_decodes_in_the_real_source(row: dict[str, str], config: Config) -> None:
    table = load_glyph_table(config.glyphs)
    source = config.source.read_text(encoding="utf-8").split("\n")
    line, col = (int(x) for x in row["evidence_at"].split(":"))
    text = source[line - 1]
    start = col - 1
    word = row["evidence_source"]
    assert text[start : start + len(word)] == word, "evidence is not at the stated place"
    assert chr(int(row["codepoint"][2:], 16)) in word
    decoded = decode_line(text, table)[start : start + len(word)]
    assert decoded == row["evidence_decoded"]


def test_table_has_no_duplicate_targets_within_kind(config: Config) -> None:
    table = load_glyph_table(config.glyphs)
    assert len(set(table.glyph.values())) == len(table.glyph)


def test_shared_quote_marks_decode_only_in_glyph_context(config: Config) -> None:
    table = load_glyph_table(config.glyphs)
    assert decode_line("“ŽĨƚ", table) == "Soft"
    assert decode_line("P‘C “ƚĂƚĞ", table) == "PRC State"
    assert decode_line("he said “clean words” and ‘more’", table) == "he said “clean words” and ‘more’"
    assert decode_line("China’s", table) == "China’s"
