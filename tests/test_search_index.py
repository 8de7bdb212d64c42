"""The search index (build_scripts/searchindex.py): one document per paragraph, References entry and note.

Checked on the real built site against what the pages show, and against Material's own parser: the
index must hold every word Material would have indexed, in the same order, none twice; each
paragraph, entry and note is one document at its anchor; the sidenote copies stay out; the offline
copy carries the same index. The parser itself is checked on made-up pages (with hypothesis).
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from htmltext import shown_by_id
from hypothesis import given, settings
from hypothesis import strategies as st
from material.plugins.search.plugin import Parser

from build_scripts.config import Config
from build_scripts.diagnostics import BuildError
from build_scripts.edition import Edition
from build_scripts.searchindex import UnitParser, load_settings

NOTE_TITLE = "Note {number}"
TAG = re.compile(r"<[^>]+>")


def words(text: str) -> list[str]:
    """The words of an index text or title (its kept tags dropped)."""
    return TAG.sub(" ", text).split()


def letters(text: str) -> str:
    """An index text as a reader sees it, without its tags and spaces: what the page shows, compared."""
    return "".join(html.unescape(TAG.sub("", text)).split())


def sections(parser: Any, page: str) -> list[tuple[str | None, str, str]]:
    """(anchor, title, text) of each section ``parser`` makes of ``page``."""
    parser.feed(page)
    parser.close()
    return [(s.id, "".join(s.title), "".join(s.text)) for s in parser.data if not s.is_excluded()]


def all_words(found: list[tuple[str | None, str, str]]) -> Counter[str]:
    return Counter(w for _, _, text in found for w in words(text))


# --- the parser, on made-up pages ----------------------------------------------------------------


def test_a_unit_is_its_own_section_and_the_text_after_it_returns_to_its_heading() -> None:
    page = (
        '<h1 id="ch">Chapter</h1><p>Before.</p>'
        '<p class="para" id="p1" data-search-unit="¶1">First <em>unit</em>.</p>'
        "<p>Between.</p>"
        '<p id="p2" data-search-unit="¶2">Second.</p>'
        '<h2 id="sec">Section</h2><p>After.</p>'
    )
    found = sections(UnitParser(NOTE_TITLE), page)
    assert [(a, t, words(x)) for a, t, x in found] == [
        (None, "Chapter", ["Before.", "Between."]),  # Material: a page's first h1 is the page's own section
        ("p1", "¶1", ["First", "unit."]),
        ("p2", "¶2", ["Second."]),
        ("sec", "Section", ["After."]),
    ]


def test_excluded_text_stays_out_and_a_unit_marked_inside_it_is_no_unit() -> None:
    page = (
        '<h1 id="ch">Chapter</h1>'
        '<p id="p1" data-search-unit="¶1">Text<small data-search-exclude>sidenote copy</small> goes on.</p>'
        '<div data-search-exclude><p id="p9" data-search-unit="¶9">hidden</p></div>'
        '<p id="p10" data-search-unit="¶10" data-search-exclude>left out</p>'
        '<ol><li id="fn:3" data-search-exclude><p>left out</p></li></ol>'
    )
    found = sections(UnitParser(NOTE_TITLE), page)
    assert [a for a, _, _ in found] == [None, "p1"]
    assert all_words(found) == Counter(["Text", "goes", "on."])


def test_a_note_is_a_section_at_its_call() -> None:
    page = (
        '<h1 id="ch">Chapter</h1><p>Text<sup id="fnref:14"><a href="#fn:14">1</a></sup>.</p>'
        '<div class="footnote"><ol><li id="fn:14"><p>Li (2009), p. 31.</p></li></ol></div>'
    )
    found = sections(UnitParser(NOTE_TITLE), page)
    assert found[-1][:2] == ("fnref:14", "Note 14")
    assert words(found[-1][2]) == ["Li", "(2009),", "p.", "31."]


def test_a_title_is_escaped_as_material_escapes_text() -> None:
    found = sections(UnitParser(NOTE_TITLE), '<p id="x" data-search-unit="A &amp; B &lt;i&gt;">t</p>')
    assert found[-1][1] == "A &amp; B &lt;i&gt;"


BLOCKS = st.lists(
    st.sampled_from(
        [
            '<h2 id="h{n}">Heading {n}</h2>',
            "<p>plain {n} words</p>",
            '<p class="para" id="p{n}" data-search-unit="¶{n}">unit {n} <em>text</em> here</p>',
            '<blockquote><p id="q{n}" data-search-unit="¶{n}">quoted {n}</p></blockquote>',
            '<p id="s{n}" data-search-unit="¶{n}">with<small data-search-exclude>aside {n}</small> end</p>',
            '<ul><li>item {n}</li><li id="fn:{n}"><p>note {n} text</p></li></ul>',
            "<div><p>nested {n}</p></div>",
        ]
    ),
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(BLOCKS)
def test_units_move_text_between_sections_but_never_lose_or_repeat_it(blocks: list[str]) -> None:
    page = '<h1 id="top">Top</h1>' + "".join(b.format(n=n) for n, b in enumerate(blocks))
    ours = sections(UnitParser(NOTE_TITLE), page)
    assert all_words(ours) == all_words(sections(Parser(), page))
    units = sum("data-search-unit" in b or "fn:" in b for b in blocks)
    assert len(ours) == len(sections(Parser(), page)) + units


# --- the weights -----------------------------------------------------------------------------------


PAGE_IDS = ("references", "glossary")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("fields: [{field: body, boost: 2, reason: r}]\npages: []\nnote_title: N {number}", "field 'body'"),
        ("fields: []\npages: [{page: nowhere, boost: 2, reason: r}]\nnote_title: N {number}", "page 'nowhere'"),
        ("fields: [{field: title, boost: 0, reason: r}]\npages: []\nnote_title: N {number}", "positive number"),
        ("fields: [{field: title, boost: yes, reason: r}]\npages: []\nnote_title: N {number}", "positive number"),
        ("fields: [{field: title, boost: .nan, reason: r}]\npages: []\nnote_title: N {number}", "positive number"),
        ("fields: [{field: title, boost: 2, reason: ' '}]\npages: []\nnote_title: N {number}", "reason"),
        (
            "fields: [{field: title, boost: 2, reason: r}, {field: title, boost: 3, reason: r}]\n"
            "pages: []\nnote_title: N {number}",
            "weighted twice",
        ),
        ("fields: []\npages: []\nnote_title: Note", "{number}"),
        ("fields: []\npages: []\nnote_title: Note {n}", "{number}"),
        ("fields: []\npages: []\nnote_title: Note {number", "{number}"),
    ],
)
def test_a_bad_weight_is_a_located_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "search.yaml"
    path.write_text(text + "\n", encoding="utf-8")
    with pytest.raises(BuildError) as caught:
        load_settings(path, PAGE_IDS)
    [problem] = caught.value.diagnostics
    assert problem.code == "E-SEARCH-SCHEMA" and message in problem.message
    assert problem.location.file == str(path) and problem.location.line >= 1


def test_every_weight_of_the_edition_has_its_reason(config: Config) -> None:
    loaded = load_settings(config.search, tuple(p.id for p in config.pages))
    assert loaded.fields and loaded.pages
    assert all(len(w.reason) > 80 for w in (*loaded.fields, *loaded.pages))


# --- the real index ------------------------------------------------------------------------------


def index_of(site: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    return data


def page_file(site: Path, location: str) -> Path:
    path = location.split("#")[0]
    return site / (path + "index.html" if path.endswith("/") or not path else path)


def article(html_text: str) -> str:
    """The page's content column, as the search plugin reads it (and the template's excluded parts)."""
    start = html_text.index('<article class="md-content__inner md-typeset">')
    return html_text[start : html_text.index("</article>", start)]


def shown(html_text: str, classes: set[str]) -> dict[str, str]:
    """Each wanted element's shown text without spaces, by id."""
    return {key: text.replace(" ", "") for key, text in shown_by_id(html_text, classes).items()}


@pytest.fixture(scope="module")
def index(built_site: Path) -> dict[str, Any]:
    return index_of(built_site)


def test_every_paragraph_is_one_document_with_its_text_and_no_sidenote(
    built_site: Path, index: dict[str, Any], edition: Edition
) -> None:
    docs = Counter(d["location"] for d in index["docs"])
    by_location = {d["location"]: d for d in index["docs"]}
    checked = 0
    for chapter in edition.document.chapters:
        paragraphs = shown((built_site / chapter.slug / "index.html").read_text(encoding="utf-8"), {"para"})
        assert paragraphs
        for block_id, text in paragraphs.items():
            location = f"{chapter.slug}/#{block_id}"
            assert docs[location] == 1, location
            doc = by_location[location]
            number = re.fullmatch(r"p(\d+)", block_id)
            assert number and doc["title"] == f"¶{number[1]}"
            assert letters(doc["text"]) == text, location  # all of it, without the sidenotes and tools
            checked += 1
    assert checked == sum(1 for b in edition.document.blocks if b.number)


def test_every_references_entry_is_one_document_titled_as_the_text_cites_it(
    built_site: Path, index: dict[str, Any], edition: Edition
) -> None:
    entries = shown((built_site / "references" / "index.html").read_text(encoding="utf-8"), {"reference"})
    assert set(entries) == {r.key for r in edition.bibliography.references}
    by_location = Counter(d["location"] for d in index["docs"])
    for ref in edition.bibliography.references:
        [doc] = [d for d in index["docs"] if d["location"] == f"references/#{ref.key}"]
        assert by_location[doc["location"]] == 1
        assert doc["title"] == f"{ref.cite_name} ({ref.year})"
        assert letters(doc["text"]) == entries[ref.key]


def test_every_note_is_one_document_at_its_call(built_site: Path, index: dict[str, Any], edition: Edition) -> None:
    notes = 0
    for chapter in edition.document.chapters:
        html_text = (built_site / chapter.slug / "index.html").read_text(encoding="utf-8")
        for number in re.findall(r'<li id="fn:(\d+)"', html_text):
            location = f"{chapter.slug}/#fnref:{number}"
            [doc] = [d for d in index["docs"] if d["location"] == location]
            assert doc["title"] == f"Note {number}"
            assert f'id="fnref:{number}"' in html_text  # the call it lands on
            notes += 1
    edition_json = json.loads((built_site / "downloads" / "edition.json").read_text(encoding="utf-8"))
    assert notes == len(edition_json["notes"])


def test_no_word_is_lost_or_indexed_twice(built_site: Path, index: dict[str, Any]) -> None:
    """Each page's documents hold the words Material's own parser finds in the published page, each once."""
    pages: dict[str, Counter[str]] = {}
    for doc in index["docs"]:
        pages.setdefault(doc["location"].split("#")[0], Counter()).update(words(doc["text"]))
    assert len(pages) >= 10
    for location, ours in pages.items():
        material = Parser()
        material.feed(article(page_file(built_site, location).read_text(encoding="utf-8")))
        material.close()
        expected = Counter(w for s in material.data if not s.is_excluded() for w in words("".join(s.text)))
        assert ours == expected, location


def test_the_weights_of_editorial_search_yaml_are_in_the_index(index: dict[str, Any], config: Config) -> None:
    data = yaml.safe_load(config.search.read_text(encoding="utf-8"))
    for weight in data["fields"]:
        assert index["config"]["fields"][weight["field"]]["boost"] == weight["boost"]
    boosts = {w["page"]: w["boost"] for w in data["pages"]}
    page_ids = {("" if p.slug == "index" else f"{p.slug}/"): p.id for p in config.pages}
    for doc in index["docs"]:
        assert doc.get("boost") == boosts.get(page_ids[doc["location"].split("#")[0]]), doc["location"]


def test_the_offline_copy_has_the_same_index(index: dict[str, Any], offline_copy: Path) -> None:
    offline = index_of(offline_copy)
    script = (offline_copy / "search" / "search_index.js").read_text(encoding="utf-8")
    assert json.loads(script.removeprefix("var __index = ")) == offline
    assert offline["config"] == index["config"]

    def directory_url(location: str) -> str:
        path, hash_, anchor = location.partition("#")
        path = "" if path == "index.html" else path.removesuffix(".html") + "/"
        return path + hash_ + anchor

    assert [{**d, "location": directory_url(d["location"])} for d in offline["docs"]] == index["docs"]
