"""The source is pinned byte for byte, and bad input stops with a coded, located error."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from build_scripts.config import Config
from build_scripts.diagnostics import BuildError
from build_scripts.repair import load_glyph_table, repair
from build_scripts.source import read_source

SOURCE_SHA256 = "1e3a69e87eea6c7dcc624683bd0d1f043b537fdffc08ff79c9285c0b71214aeb"


def test_source_is_pinned(config: Config) -> None:
    assert hashlib.sha256(config.source.read_bytes()).hexdigest() == SOURCE_SHA256


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    with pytest.raises(BuildError) as err:
        read_source(path)
    assert err.value.codes == {"E-SOURCE-EMPTY"}
    assert str(path) in str(err.value)


def test_latin1_bytes_are_located(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("first line\nsecond caf\u00e9 line\n".encode("latin-1"))
    with pytest.raises(BuildError) as err:
        read_source(path)
    (diag,) = err.value.diagnostics
    assert diag.code == "E-SOURCE-ENCODING"
    assert (diag.location.line, diag.location.col) == (2, 11)
    assert f"{path}:2:11" in str(diag)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(BuildError) as err:
        read_source(tmp_path / "nope.txt")
    assert err.value.codes == {"E-SOURCE-MISSING"}


def test_unknown_glyph_stops_with_code_point_and_location(config: Config) -> None:
    table = load_glyph_table(config.glyphs)
    text = "clean line\nĚŝůĞŵŵĂ \u0390 ok\n"
    with pytest.raises(BuildError) as err:
        repair(text, table, "source.txt")
    (diag,) = err.value.diagnostics
    assert diag.code == "E-REPAIR-UNMAPPED"
    assert str(diag).startswith("E-REPAIR-UNMAPPED source.txt:2:9 U+0390")


def test_every_unmapped_character_is_reported(config: Config) -> None:
    table = load_glyph_table(config.glyphs)
    with pytest.raises(BuildError) as err:
        repair("a\u0390b\n\u00e9", table, "s.txt")
    assert [str(d.location) for d in err.value.diagnostics] == ["s.txt:1:2", "s.txt:2:1"]
