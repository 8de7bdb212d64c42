"""Structure: headings, abstract, block quotations, pages; decisions are required and must be used."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from build_scripts.config import Config, load_config
from build_scripts.decisions import load_decisions
from build_scripts.diagnostics import BuildError
from build_scripts.edition import Edition
from build_scripts.model import SIC_MARK
from build_scripts.repair import load_glyph_table, repair
from build_scripts.source import read_source
from build_scripts.structure import build_structure, ends_sentence


def _structure(config: Config, decisions_path: Path | None = None, source: str | None = None):  # type: ignore[no-untyped-def]
    text = source if source is not None else read_source(config.source)
    repaired = repair(text, load_glyph_table(config.glyphs), config.source_name)
    return build_structure(repaired, load_decisions(decisions_path or config.decisions), config)


def _decisions_edited(config: Config, tmp_path: Path, edit: Callable[[list[dict[str, Any]]], None]) -> Path:
    """A copy of the real decisions file with ``edit`` applied to its list of entries."""
    data = yaml.safe_load(config.decisions.read_text(encoding="utf-8"))
    edit(data["decisions"])
    path = tmp_path / "decisions.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _decisions_without(config: Config, tmp_path: Path, drop: str) -> Path:
    return _decisions_edited(config, tmp_path, lambda ds: ds.remove(next(d for d in ds if d["id"] == drop)))


def test_headings_are_the_printed_ones_in_order(edition: Edition, config: Config) -> None:
    headings = [b for b in edition.document.blocks if b.kind == "heading"]
    assert [h.text for h in headings if not h.editorial] == [c.heading for c in config.chapters if not c.editorial]
    assert [h.id for h in headings] == [c.id for c in config.chapters]
    assert [h.editorial for h in headings] == [c.editorial for c in config.chapters]


def test_abstract_is_manuscript_page_one_without_label(edition: Edition) -> None:
    abstract = edition.document.abstract
    assert abstract.text.startswith("Studies of Chinese soft power")
    assert abstract.text.endswith("regime legitimacy and national cohesion.")
    assert [p.page for p in abstract.pages] == [1]


def test_block_quotes_are_exactly_the_decided_ranges(edition: Edition) -> None:
    quotes = [(b.first_line, b.last_line) for b in edition.document.blocks if b.kind == "quote"]
    decided = [(d.line, d.end_line) for d in edition.decisions if d.kind == "block-quote"]
    assert quotes == decided


def test_pages_are_numbered_in_order_and_each_appears_once(edition: Edition, config: Config) -> None:
    raw = config.source.read_text(encoding="utf-8").split("\n")
    expected = sum(1 for line in raw if line.startswith(" ") and line.strip())
    marks = [p.page for b in edition.document.blocks for p in b.pages]
    assert marks == list(range(1, expected + 1))
    assert edition.document.page_count == expected


def test_paragraphs_are_numbered_consecutively(edition: Edition) -> None:
    numbers = [b.number for b in edition.document.paragraphs]
    assert numbers == list(range(1, len(numbers) + 1))
    assert [b.id for b in edition.document.paragraphs] == [f"p{n}" for n in numbers]


def test_every_source_text_line_is_in_exactly_one_block(edition: Edition, config: Config) -> None:
    raw = config.source.read_text(encoding="utf-8").split("\n")
    text_lines = {n for n, line in enumerate(raw, 1) if line.strip()}
    covered: list[int] = []
    for b in edition.document.blocks:
        if not b.editorial:
            covered += [n for n in range(b.first_line, b.last_line + 1) if n in text_lines]
    assert sorted(covered) == sorted(text_lines)


@pytest.mark.parametrize("line", ["and the security dilemma.", "(Buzan, 1983, p. 67).", "‘war’.", "exists when:"])
def test_sentence_ends(line: str) -> None:
    assert ends_sentence(line)


@pytest.mark.parametrize("line", ["outcomes’ (Nye, 2011, pp.", "(e.g.", "the security", "see p."])
def test_not_sentence_ends(line: str) -> None:
    assert not ends_sentence(line)


def test_missing_decision_stops_with_location(config: Config, tmp_path: Path) -> None:
    with pytest.raises(BuildError) as err:
        _structure(config, _decisions_without(config, tmp_path, "para-fourth-plenum"))
    (diag,) = err.value.diagnostics
    assert diag.code == "E-STRUCT-UNDECIDED"
    assert diag.location.line == 199


def test_decision_on_a_missing_line_is_a_broken_reference(config: Config, tmp_path: Path) -> None:
    bogus = {"id": "bogus", "kind": "continue", "line": 99999, "reason": "test"}
    path = _decisions_edited(config, tmp_path, lambda ds: ds.append(bogus))
    with pytest.raises(BuildError) as err:
        _structure(config, path)
    assert err.value.codes == {"E-DECISION-REF"}
    assert "bogus" in str(err.value) and str(path) in str(err.value)


def test_decision_that_decides_nothing_is_reported(config: Config, tmp_path: Path) -> None:
    idle = {"id": "idle", "kind": "continue", "line": 3, "reason": "test"}
    path = _decisions_edited(config, tmp_path, lambda ds: ds.append(idle))
    with pytest.raises(BuildError) as err:
        _structure(config, path)
    assert err.value.codes == {"E-DECISION-UNUSED"}


def test_sic_match_not_on_its_line_is_a_broken_reference(config: Config, tmp_path: Path) -> None:
    def move(ds: list[dict[str, Any]]) -> None:
        next(d for d in ds if d["id"] == "sic-that-that")["line"] = 741

    path = _decisions_edited(config, tmp_path, move)
    with pytest.raises(BuildError) as err:
        _structure(config, path)
    assert "E-DECISION-REF" in err.value.codes


def test_truncated_source_is_reported(config: Config) -> None:
    text = read_source(config.source)
    cut = text[: text.index("Soft power and cultural security")]
    cut = cut[: cut.rindex("(2004")]
    with pytest.raises(BuildError) as err:
        _structure(config, source=cut)
    assert "E-SOURCE-TRUNCATED" in err.value.codes


def test_author_errors_are_kept_and_marked(edition: Edition) -> None:
    texts = " ".join(b.text for b in edition.document.blocks)
    assert "extremely seriously [sic] concern" in texts
    assert "claim that that [sic] national" in texts
    sics = [i for i in edition.document.interventions if i.kind == "sic"]
    assert {i.original for i in sics} == {"seriously", "that that"}


def test_config_override_of_chapter_heading_is_detected(config: Config) -> None:
    bad = replace(
        config,
        chapters=tuple(replace(c, heading=c.heading + "!") if c.id == "conclusion" else c for c in config.chapters),
    )
    repaired = repair(read_source(config.source), load_glyph_table(config.glyphs), config.source_name)
    with pytest.raises(BuildError) as err:
        build_structure(repaired, load_decisions(config.decisions), bad)
    assert err.value.codes == {"E-STRUCT-HEADING"}


def test_load_config_is_valid() -> None:
    assert load_config().chapters


def test_each_sic_decision_is_recorded_on_its_block(edition: Edition) -> None:
    """The structure stage records where it inserted [sic]; nothing downstream searches for it."""
    sics = [(b, s) for b in edition.document.blocks for s in b.sics]
    assert len(sics) == sum(1 for d in edition.decisions if d.kind == "sic") > 0
    assert all(b.text[s : s + len(SIC_MARK)] == SIC_MARK for b, s in sics)
