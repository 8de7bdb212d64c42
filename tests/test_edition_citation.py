"""The edition's own citation downloads (downloads/edition-citation.{bib,json,ris}), read back by
real parsers and rendered by citeproc-py in two styles.

Expected values come from editorial/metadata.yaml through the typed config, never from the
module under test: the edition is an edited book by the article's author, edited by the corporate
editor (kept whole in every form), in its version, on its date, at its URL, naming the article's
DOI only as the work it edits.
"""

from __future__ import annotations

import json
import re
from typing import Any

import bibtexparser
import pytest
from pybtex.database import parse_string as pybtex_parse

from build_scripts import citeformats
from build_scripts.config import Config
from tests.test_citeformats import STYLES, _render, read_ris


@pytest.fixture(scope="module")
def item(config: Config) -> dict[str, Any]:
    (only,) = json.loads(citeformats.edition_csl_json_text(config.metadata))
    return dict(only)


def test_downloads_page_lists_the_three_forms(emitted: dict[str, str]) -> None:
    for ext in ("bib", "json", "ris"):
        assert f"downloads/edition-citation.{ext}" in emitted
        assert f"(downloads/edition-citation.{ext})" in emitted["downloads.md"]


@pytest.mark.parametrize("style_name", STYLES)
def test_csl_renders_the_edition_with_editor_version_date_and_url(item, config: Config, style_name: str) -> None:
    ed, a = config.metadata.edition, config.metadata.article
    line = _render([item], style_name)[item["id"]]
    assert line, f"{style_name}: the edition did not render"
    for part in (a.author_family, ed.editors, ed.date[:4], ed.versioned_url, ed.version, "China"):
        assert part in line, (style_name, part, line)
    assert "Edney Soft Power Edition Project" in line and "Project, E" not in line
    assert a.doi not in line.replace(item["note"], ""), "the article's DOI is not the edition's"


def test_csl_item_has_no_doi_and_names_the_article_in_its_note(item, config: Config) -> None:
    assert "DOI" not in item
    assert f"https://doi.org/{config.metadata.article.doi}" in item["note"]
    assert item["editor"] == [{"literal": config.metadata.edition.editors}]


def test_bibtex_parses_and_keeps_the_corporate_editor_whole(config: Config) -> None:
    text = citeformats.edition_bibtex_text(config.metadata)
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks
    (entry,) = library.entries
    assert entry.entry_type == "book" and entry.key == citeformats.EDITION_KEY
    assert entry.fields_dict["title"].value.count("{China}") == 1
    data = pybtex_parse(text, "bibtex")
    (editor,) = data.entries[citeformats.EDITION_KEY].persons["editor"]
    assert editor.last_names == ["{Edney Soft Power Edition Project}"] and not editor.first_names
    assert data.entries[citeformats.EDITION_KEY].fields["version"] == config.metadata.edition.version
    assert "doi" not in {k.lower() for k in data.entries[citeformats.EDITION_KEY].fields}


def test_bibtex_title_escapes_latex_and_protects_nouns() -> None:
    assert citeformats.bibtex_title("Tea & Cakes in China 100%", ["China"]) == r"Tea \& Cakes in {China} 100\%"
    assert citeformats.bibtex_title("Chinatown", ["China"]) == "Chinatown"


def test_ris_record(config: Config) -> None:
    ed, a = config.metadata.edition, config.metadata.article
    (record,) = read_ris(citeformats.edition_ris_text(config.metadata))
    assert record["TY"] == ["BOOK"] and record["ED"] == [ed.editors]
    assert record["AU"] == [f"{a.author_family}, {a.author_given}"] and record["TI"] == [ed.title]
    assert record["ET"] == [f"Version {ed.version}"] and record["UR"] == [ed.versioned_url]
    assert record["DA"] == [ed.date.replace("-", "/") + "/"] and "DO" not in record
    assert any(a.doi in note for note in record["N1"])


def test_one_citation_key_in_every_form(config: Config, item) -> None:
    bib = citeformats.edition_bibtex_text(config.metadata)
    ris = citeformats.edition_ris_text(config.metadata)
    assert re.match(r"@book\{(\w+),", bib).group(1) == item["id"] == read_ris(ris)[0]["ID"][0]
