"""The changelog: versions read from their published files, compared record by record, word by word.

Ground truth is data: the files release 1.0.0 published (read from the frozen
``releases/1.0.0.tar.xz``, pinned by the digests in ``tests/fixtures/release-1.0.0.md``),
hand-written diffs (``tests/fixtures/word-diffs.yaml``), and edits made here to a copy of this
build's ``edition.json``, whose effect is known because the test made it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import markdown
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pybtex.database import parse_string

from build_scripts.changelog import (
    DiffOp,
    Snapshot,
    changes_json,
    compare_pair,
    compare_versions,
    elide,
    load_snapshot,
    new_text,
    old_text,
    word_diff,
)
from build_scripts.config import ROOT, Config
from build_scripts.diagnostics import BuildError
from build_scripts.edition import Edition
from build_scripts.emit import plain_text
from build_scripts.pages import FOOTNOTE_DEFINITION, Page, render_pages
from build_scripts.pipeline import prepare
from build_scripts.releases import archive_reader

FIXTURES = Path(__file__).parent / "fixtures"
RELEASE_1_0_0 = archive_reader(ROOT / "releases" / "1.0.0.tar.xz")
EXTENSIONS = ["footnotes", "attr_list", "md_in_html", "tables", "toc"]


def reader(files: dict[str, str]) -> Callable[[str], str | None]:
    return files.get


@pytest.fixture(scope="module")
def v100() -> Snapshot:
    return load_snapshot("1.0.0", RELEASE_1_0_0)


@pytest.fixture(scope="module")
def current_files(emitted: dict[str, str]) -> dict[str, str]:
    """This build's published files, as the next release (1.1.0) will hold them."""
    return {k: emitted[k] for k in ("downloads/edition.json", "downloads/references.bib")}


@pytest.fixture(scope="module")
def v110(current_files: dict[str, str]) -> Snapshot:
    return load_snapshot("1.1.0", reader(current_files))


def edited(files: dict[str, str], change: Callable[[dict[str, Any]], None]) -> dict[str, str]:
    """A copy of the files with ``edition.json`` changed by ``change``."""
    data = json.loads(files["downloads/edition.json"])
    change(data)
    return {**files, "downloads/edition.json": json.dumps(data, ensure_ascii=False)}


def block(data: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(b for b in data["blocks"] if b["id"] == block_id)


# --- the fixture is the release ------------------------------------------------------------------


def test_the_frozen_release_holds_what_1_0_0_published() -> None:
    """The fixture's digests are the published files' (taken from git at c65337f)."""
    table = re.findall(r"`(downloads/[^`]+)` \| `([0-9a-f]{64})`", (FIXTURES / "release-1.0.0.md").read_text("utf-8"))
    assert len(table) == 2
    for path, digest in table:
        text = RELEASE_1_0_0(path)
        assert text is not None and hashlib.sha256(text.encode("utf-8")).hexdigest() == digest, path


# --- 1.0.0 → this build: the known change, and no spurious ones ------------------------------------


def test_the_nye2014_title_correction_is_listed_word_by_word(v100: Snapshot, v110: Snapshot) -> None:
    pair = compare_pair(v100, v110)
    nye = [c for c in pair.changes if c.id == "nye2014"]
    assert len(nye) == 1 and nye[0].kind == "reference" and nye[0].status == "changed"
    assert nye[0].key == "v1.1.0-ref-nye2014"
    ops = nye[0].diff
    kept = "title: The information revolution and"
    title = next(n for n, op in enumerate(ops) if op.op == "equal" and op.text.endswith(kept))
    assert ops[title + 1] == DiffOp("delete", " soft")
    assert ops[title + 2].op == "equal" and ops[title + 2].text.startswith(" power\n")
    assert "title: The information revolution and soft power\n" in old_text(ops)
    assert "title: The information revolution and power\n" in new_text(ops)


def _fields_as_written(bib: str) -> dict[str, dict[str, str]]:
    """Each entry's fields and names with braces and backslashes dropped: an independent oracle."""
    out = {}
    for key, entry in parse_string(bib, "bibtex").entries.items():
        values = {k.lower(): v for k, v in entry.fields.items()}
        values |= {role: " and ".join(str(p) for p in people) for role, people in entry.persons.items()}
        values["type"] = entry.type
        out[key] = {k: re.sub(r"[{}\\]", "", v).replace("--", "–") for k, v in values.items()}
    return out


def test_only_what_differs_is_listed(v100: Snapshot, v110: Snapshot, current_files: dict[str, str]) -> None:
    """Every listed change differs in the published files, and every difference is listed."""
    pair = compare_pair(v100, v110)
    listed = {(c.kind, c.id) for c in pair.changes}
    assert all(c.status == "changed" for c in pair.changes)
    old = json.loads(RELEASE_1_0_0("downloads/edition.json") or "")
    new = json.loads(current_files["downloads/edition.json"])
    old_blocks = {b["id"]: b["text"] for b in old["blocks"]}
    differ = {b["id"] for b in new["blocks"] if old_blocks.get(b["id"]) != b["text"]}
    assert {i for k, i in listed if k in ("abstract", "heading", "paragraph", "quote")} == differ == set()
    old_records = {i["id"]: i for i in old["interventions"]}
    differ = {i["id"] for i in new["interventions"] if old_records.get(i["id"]) != i}
    assert {i for k, i in listed if k == "apparatus"} == differ == {"h00"}
    before = _fields_as_written(RELEASE_1_0_0("downloads/references.bib") or "")
    after = _fields_as_written(current_files["downloads/references.bib"])
    differ = {key for key in after if before.get(key) != after[key]}
    assert {i for k, i in listed if k == "reference"} == differ
    assert "nye2014" in differ and "ayoob1995" not in differ  # ayoob1995: only {Third World} braces


def test_what_1_0_0_did_not_record_is_said_not_diffed(v100: Snapshot, v110: Snapshot) -> None:
    pair = compare_pair(v100, v110)
    missing = {m.section.name: m.versions for m in pair.not_recorded}
    assert missing == {"notes": ("1.0.0",), "glossary": ("1.0.0",)}
    assert not [c for c in pair.changes if c.kind in ("note", "glossary")]
    assert {"notes", "glossary"} <= v110.recorded and not {"notes", "glossary"} & v100.recorded


# --- no spurious changes; exactly what was edited -------------------------------------------------


def test_a_version_compared_with_itself_has_no_changes(v110: Snapshot) -> None:
    again = dataclasses.replace(v110, version="1.1.1")
    pair = compare_pair(v110, again)
    assert pair.changes == () and pair.not_recorded == ()


def test_one_word_changed_in_one_paragraph_is_one_change(current_files: dict[str, str]) -> None:
    def change(data: dict[str, Any]) -> None:
        p20 = block(data, "p20")
        assert " the " in p20["text"]
        p20["text"] = p20["text"].replace(" the ", " a ", 1)

    before = load_snapshot("1.1.0", reader(edited(current_files, change)))
    after = load_snapshot("1.2.0", reader(current_files))
    (c,) = compare_pair(before, after).changes
    assert (c.kind, c.id, c.label, c.status, c.key) == ("paragraph", "p20", "¶ 20", "changed", "v1.2.0-p20")
    assert [op for op in c.diff if op.op != "equal"] == [DiffOp("delete", "a"), DiffOp("insert", "the")]
    assert new_text(c.diff) == block(json.loads(current_files["downloads/edition.json"]), "p20")["text"]


def test_added_and_removed_blocks(current_files: dict[str, str]) -> None:
    """The earlier version lacked the last paragraph and had one the later one withdrew."""
    last = [b for b in json.loads(current_files["downloads/edition.json"])["blocks"] if b["kind"] == "paragraph"][-1]

    def change(data: dict[str, Any]) -> None:
        data["blocks"] = [b for b in data["blocks"] if b["id"] != last["id"]]
        data["blocks"].append({**last, "id": "p99", "number": 99, "text": "A paragraph later withdrawn."})

    before = load_snapshot("1.0.1", reader(edited(current_files, change)))
    after = load_snapshot("1.1.0", reader(current_files))
    changes = {(c.id, c.status): c for c in compare_pair(before, after).changes}
    assert set(changes) == {(last["id"], "added"), ("p99", "removed")}
    assert changes["p99", "removed"].diff == (DiffOp("delete", "A paragraph later withdrawn."),)
    assert changes[last["id"], "added"].diff == (DiffOp("insert", last["text"]),)
    assert changes[last["id"], "added"].label == f"¶ {last['number']}"


def test_a_note_changed_is_listed_by_its_number(current_files: dict[str, str]) -> None:
    def change(data: dict[str, Any]) -> None:
        data["notes"][4]["text"] = data["notes"][4]["text"].replace("(", "[", 1)

    (c,) = compare_pair(
        load_snapshot("1.1.0", reader(edited(current_files, change))), load_snapshot("1.2.0", reader(current_files))
    ).changes
    assert (c.kind, c.id, c.label) == ("note", "n5", "Note 5")


def test_a_version_without_references_bib_does_not_record_references(current_files: dict[str, str]) -> None:
    no_bib = {"downloads/edition.json": current_files["downloads/edition.json"]}
    pair = compare_pair(load_snapshot("1.1.0", reader(no_bib)), load_snapshot("1.2.0", reader(current_files)))
    assert [(m.section.name, m.versions) for m in pair.not_recorded] == [("references", ("1.1.0",))]
    assert pair.changes == ()


# --- bad releases and order -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "files",
    [
        {},
        {"downloads/edition.json": "{not json"},
        {"downloads/edition.json": json.dumps({"schema": 3, "blocks": []})},
        {"downloads/edition.json": json.dumps({"blocks": [{"id": "p1", "kind": "paragraph", "text": "x"}]})},
        {"downloads/edition.json": json.dumps({"blocks": []}), "downloads/references.bib": "@article{Bad Key,}"},
    ],
)
def test_an_unreadable_release_is_a_coded_diagnostic(files: dict[str, str]) -> None:
    with pytest.raises(BuildError) as caught:
        load_snapshot("1.0.0", reader(files))
    assert caught.value.codes == {"E-CHANGES-RELEASE"}
    assert all(str(d.location).startswith("1.0.0:downloads/") for d in caught.value.diagnostics)


def test_versions_must_increase(v100: Snapshot, v110: Snapshot) -> None:
    with pytest.raises(BuildError) as caught:
        compare_versions([v110, v100], {})
    assert caught.value.codes == {"E-CHANGES-ORDER"}


# --- word diffs -------------------------------------------------------------------------------------

CASES = yaml.safe_load((FIXTURES / "word-diffs.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_word_diffs_read_as_written_by_hand(case: dict[str, Any]) -> None:
    assert [[op.op, op.text] for op in word_diff(case["old"], case["new"])] == case["ops"]


TEXT = st.text(alphabet=st.sampled_from(list("ab c.\n’'é")), max_size=40)


@settings(max_examples=300, deadline=None)
@given(TEXT, TEXT)
def test_a_diff_gives_back_both_texts(old: str, new: str) -> None:
    diff = word_diff(old, new)
    assert old_text(diff) == old and new_text(diff) == new
    assert all(op.text for op in diff)
    assert all(a.op != b.op for a, b in itertools.pairwise(diff))
    assert (old == new) == all(op.op == "equal" for op in diff)


def test_long_unchanged_runs_are_shortened_on_the_page_only() -> None:
    words = " ".join(f"w{n}" for n in range(60))
    diff = word_diff(f"{words} old {words}", f"{words} new {words}")
    shown = elide(diff, 8)
    assert [op.op for op in shown] == ["gap", "equal", "delete", "insert", "equal", "gap"]
    assert shown[1].text.split() == [f"w{n}" for n in range(52, 60)]
    assert old_text(diff) == f"{words} old {words}"  # the diff itself (the JSON) keeps every word


def test_a_record_of_lines_keeps_the_changed_lines_whole() -> None:
    before = "type: article\nauthor: Nye, J. S.\ntitle: The information revolution and soft power\nyear: 2014\nnote: x"
    diff = word_diff(before, before.replace("soft power", "power"))
    assert [[op.op, op.text] for op in elide(diff)] == [
        ["gap", "type: article\nauthor: Nye, J. S.\n"],
        ["equal", "title: The information revolution and"],
        ["delete", " soft"],
        ["equal", " power\n"],
        ["gap", "year: 2014\nnote: x"],
    ]


# --- what the pages and the JSON show ---------------------------------------------------------------


def test_edition_json_notes_are_the_notes_on_the_pages(pages: tuple[Page, ...], emitted: dict[str, str]) -> None:
    recorded = {n["number"]: n["text"] for n in json.loads(emitted["downloads/edition.json"])["notes"]}
    shown = {int(m[1]): plain_text(m[2]) for p in pages for m in FOOTNOTE_DEFINITION.finditer(p.body)}
    assert recorded == shown and len(recorded) > 50


def test_changelog_json_is_the_pairs_in_order(v100: Snapshot, v110: Snapshot) -> None:
    log = compare_versions([v100, v110], {"references": "references/", "apparatus": "apparatus/"})
    data = json.loads(changes_json(log))
    assert data["latest"] == "1.1.0" and [(p["from"], p["to"]) for p in data["pairs"]] == [("1.0.0", "1.1.0")]
    nye = next(c for c in data["pairs"][0]["changes"] if c["id"] == "nye2014")
    assert nye["url"] == "references/#nye2014" and ["delete", " soft"] in nye["diff"]
    assert changes_json(log) == changes_json(compare_versions([v100, v110], dict(log.paths)))


HOSTILE = "<script>alert(1)</script> & ] * [x](y) {: #p1 } | #"


@pytest.fixture(scope="module")
def hostile_pages(edition: Edition, current_files: dict[str, str]) -> dict[str, str]:
    """This build as 1.1.0, after a 1.0.1 whose ¶20 said something hostile and odd."""

    def change(data: dict[str, Any]) -> None:
        p20 = block(data, "p20")
        p20["text"] = p20["text"].replace(" the ", f" {HOSTILE} ", 1)

    earlier = load_snapshot("1.0.1", reader(edited(current_files, change)))
    ed = dataclasses.replace(edition.config.metadata.edition, version="1.1.0")
    config = dataclasses.replace(edition.config, metadata=dataclasses.replace(edition.config.metadata, edition=ed))
    newer = dataclasses.replace(edition, config=config, earlier=(earlier,))
    return {p.spec.id: p.body for p in render_pages(newer)}


def test_hostile_text_in_a_diff_lands_escaped(hostile_pages: dict[str, str]) -> None:
    html = markdown.markdown(hostile_pages["changes"], extensions=EXTENSIONS)
    assert "<script" not in html
    m = re.search(r'<p class="change change-changed" id="v1\.1\.0-p20">(.*?)</p>', html, re.S)
    assert m, "the change has its anchor"
    deleted = re.search(r'<del><span class="vh">deleted: </span>(.*?)</del>', m.group(1), re.S)
    assert deleted and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; ] * [x](y) {: #p1 } &#124; #" in deleted.group(1)
    assert '<ins><span class="vh">inserted: </span>the</ins>' in m.group(1)
    assert html.count('id="p1"') == 0


def test_a_changed_paragraph_links_to_its_change(hostile_pages: dict[str, str], edition: Edition) -> None:
    chapter = next(c for c in edition.document.chapters if any(b.id == "p20" for b in c.blocks))
    html = markdown.markdown(hostile_pages[chapter.id], extensions=EXTENSIONS)
    p20 = re.search(r'<p class="para" [^>]*id="p20"[^>]*>(.*?)</p>', html, re.S)
    assert p20, "¶20 is on its chapter page"
    menu = re.search(r'<span class="ptools" id="p20-tools" hidden[^>]*>(.*?)</span>', p20.group(1), re.S)
    assert menu, "the paragraph's tools are in the HTML, closed"
    (link,) = re.findall(r"<a [^>]*ptool-changed[^>]*>[^<]*</a>", menu.group(1))
    assert 'href="changes.md#v1.1.0-p20"' in link and ">Changed in 1.1.0</a>" in link
    assert html.count("ptool-changed") == 1  # no other ¶ changed
    assert p20.group(1).count('class="pnum"') == 1  # one tab stop: the new link is inside the closed menu


def test_without_earlier_versions_the_page_says_so(config: Config) -> None:
    pages = render_pages(prepare(config, earlier=()))
    changes = next(p for p in pages if p.spec.id == "changes")
    assert "there is no earlier version to compare it with yet" in changes.body
    assert "ptool-changed" not in "".join(p.body for p in pages)
