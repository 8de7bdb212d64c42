"""Glossary: pypinyin agreement, coverage of every romanised term, links in the text, the page."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from build_scripts.config import Config
from build_scripts.diagnostics import BuildError
from build_scripts.edition import Edition
from build_scripts.glossary import BRACKETED, check_pinyin, find_occurrences, is_pinyin, load_glossary


def _write(tmp_path: Path, config: Config, mutate) -> Path:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(config.glossary.read_text(encoding="utf-8"))
    mutate(data["entries"])
    path = tmp_path / "glossary.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_characters_that_disagree_with_the_romanisation_stop_the_build(config: Config, tmp_path: Path) -> None:
    def corrupt(entries: list[dict[str, str]]) -> None:
        entry = next(e for e in entries if e["id"] == "wenhua-anquan")
        entry["hanzi"] = "文化安定"

    path = _write(tmp_path, config, corrupt)
    with pytest.raises(BuildError) as err:
        check_pinyin(load_glossary(path), path)
    (diag,) = err.value.diagnostics
    assert diag.code == "E-GLOSS-PINYIN"
    assert "wenhua-anquan" in diag.message and str(path) in str(diag)
    assert diag.location.line > 0


def test_the_real_glossary_passes_pypinyin(config: Config) -> None:
    check_pinyin(load_glossary(config.glossary), config.glossary)


def test_a_missing_entry_is_named_with_its_place(config: Config, tmp_path: Path, edition: Edition) -> None:
    def drop(entries: list[dict[str, str]]) -> None:
        entries.remove(next(e for e in entries if e["id"] == "bu-kan-yi-ji"))

    path = _write(tmp_path, config, drop)
    with pytest.raises(BuildError) as err:
        find_occurrences(load_glossary(path), edition.document, "src.txt", path, edition.link_policy)
    (diag,) = err.value.diagnostics
    assert diag.code == "E-GLOSS-MISSING"
    assert "bu kan yi ji" in diag.message
    assert str(diag.location).startswith("src.txt:29")


def test_an_entry_whose_term_never_occurs_is_reported(config: Config, tmp_path: Path, edition: Edition) -> None:
    def add(entries: list[dict[str, str]]) -> None:
        entries.append({"id": "ghost", "kind": "concept", "term": "ghost concept", "definition": "Never used."})

    path = _write(tmp_path, config, add)
    with pytest.raises(BuildError) as err:
        find_occurrences(load_glossary(path), edition.document, "src.txt", path, edition.link_policy)
    assert err.value.codes == {"E-GLOSS-UNUSED"}
    assert "ghost" in str(err.value)


@pytest.mark.parametrize("text", ["wenhua anquan", "bu kan yi ji", "yishixingtai", "heping yanbian"])
def test_pinyin_is_recognised(text: str) -> None:
    assert is_pinyin(text)


@pytest.mark.parametrize("text", ["and", "e.g.", "or American", "see", "CCP", "he said"])
def test_english_in_brackets_is_not_pinyin(text: str) -> None:
    assert not is_pinyin(text)


def test_every_bracketed_romanised_term_in_the_text_is_linked(edition: Edition) -> None:
    """Independent of the matcher: find bracketed pinyin in the text and require a linked occurrence inside."""
    linked = [(o.block, o.start, o.end) for o in edition.occurrences if o.linked]
    found = 0
    for block in edition.document.blocks:
        for m in BRACKETED.finditer(block.text):
            if is_pinyin(" ".join(m.group(1).split())):
                found += 1
                assert any(b == block.id and s >= m.start() and e <= m.end() for b, s, e in linked), m.group(0)
    chinese = [e for e in edition.glossary if e.kind == "chinese"]
    assert found >= len(chinese)


def test_the_authors_words_are_unchanged_by_links(edition: Edition, emitted: dict[str, str]) -> None:
    for o in edition.occurrences:
        block = next(b for b in edition.document.blocks if b.id == o.block)
        assert re.fullmatch(r"[\w\s’'-]+", block.text[o.start : o.end])


def test_glossary_page_is_sorted_with_data_anchors_and_back_links(edition: Edition, emitted: dict[str, str]) -> None:
    page = emitted["glossary.md"]
    ids = re.findall(r"^## .* \{ #([a-z0-9-]+) \.gloss-entry[^}]*\}$", page, re.M)
    by_id = {e.id: e for e in edition.glossary}
    assert set(ids) == set(by_id)
    terms = [by_id[i].term.lower() for i in ids]
    assert terms == sorted(terms)
    for e in edition.glossary:
        blocks = {o.block for o in edition.occurrences if o.entry == e.id}
        m = re.search(rf"^## (.*) \{{ #{e.id} \.gloss-entry[^}}]*\}}\n\n(.*)\n\{{: \.gloss-def \}}", page, re.M)
        assert m, e.id
        section = m.group(1) + m.group(2)
        for block_id in blocks:
            assert f"#{block_id})" in section, (e.id, block_id)
        if e.kind == "chinese":
            assert e.hanzi in section


def test_ids_come_from_data_not_display_text(config: Config) -> None:
    entries = load_glossary(config.glossary)
    changed = tuple(replace(e, term=e.term.upper()) for e in entries)
    assert [e.id for e in changed] == [e.id for e in entries]


def test_the_link_policy_is_data_and_each_rule_does_what_it_says(config: Config, edition: Edition) -> None:
    """``links:`` in glossary.yaml decides which occurrences are linked; the glossary page prints its reason."""
    from dataclasses import replace as swap

    from build_scripts.glossary import LinkPolicy, load_link_policy

    policy = load_link_policy(config.glossary)
    assert (policy.chinese, policy.concept) == ("every-occurrence", "first-in-chapter")
    entries = load_glossary(config.glossary)
    kinds = {e.id: e.kind for e in entries}
    section = {b.id: b.section for b in edition.document.blocks}

    def linked(p: LinkPolicy) -> list[tuple[str, str, bool]]:
        found = find_occurrences(entries, edition.document, "src.txt", config.glossary, p)
        return [(o.entry, section[o.block], o.linked) for o in found]

    for rule, expect in (("never", 0), ("first-in-edition", len({e for e, _, _ in linked(policy)}))):
        got = linked(swap(policy, chinese=rule, concept=rule))
        assert sum(1 for *_, is_linked in got if is_linked) == expect, rule
    chapters = linked(swap(policy, chinese="first-in-chapter"))
    assert sum(1 for *_, is_linked in chapters if is_linked) == len({(e, s) for e, s, _ in chapters})
    every = linked(policy)
    assert all(is_linked for e, _, is_linked in every if kinds[e] == "chinese")
    from build_scripts.pages import render_pages

    page = next(p for p in render_pages(edition) if p.spec.id == "glossary")
    assert " ".join(policy.reason.split()) in " ".join(page.markdown.split())


def test_a_link_policy_that_is_not_a_rule_is_a_coded_error(config: Config, tmp_path: Path) -> None:
    from build_scripts.glossary import load_link_policy

    path = tmp_path / "glossary.yaml"
    path.write_text(
        config.glossary.read_text(encoding="utf-8").replace("concept: first-in-chapter", "concept: sometimes"),
        encoding="utf-8",
    )
    with pytest.raises(BuildError) as raised:
        load_link_policy(path)
    assert raised.value.codes == {"E-GLOSS-SCHEMA"} and "links.concept" in str(raised.value)
