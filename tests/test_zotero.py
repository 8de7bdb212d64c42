"""What a reference manager saves from each built page, read by Zotero's own rules (tests/zotero_rules.py).

Article pages (front page, chapters) must yield the 2015 article with its real abstract, the
page's own URL, DOI, volume, issue, pages and the issue date of metadata.yaml, and no PDF offered
as its full text; the edition's own pages must yield the edition as its own work (an edited book:
author, corporate editor kept whole, version, date, URL, the DOI only as a relation in the
abstract); 404 must yield nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from build_scripts.config import Config
from build_scripts.edition import Edition
from build_scripts.releases import is_version_dir
from build_scripts.urls import page_file, page_path
from tests.zotero_rules import CREATOR_TYPES, FIELDS, UnmirroredTag, read_head, zotero_item

SNAPSHOT = [{"title": "Snapshot"}]


def item_of(site: Path, base: str, slug: str) -> dict:
    url = base + page_path(slug)
    item = zotero_item(page_file(site, page_path(slug)).read_text(encoding="utf-8"), url)
    assert item is not None, slug
    return item


def assert_valid_for_type(item: dict) -> None:
    kind = item["itemType"]
    fields = set(item) - {"itemType", "creators", "attachments"}
    assert fields <= FIELDS[kind], (kind, sorted(fields - FIELDS[kind]))
    assert {c["creatorType"] for c in item["creators"]} <= CREATOR_TYPES[kind]


def test_article_pages_import_as_the_journal_article(built_site: Path, config: Config, edition: Edition) -> None:
    a = config.metadata.article
    base = config.metadata.edition.site_url
    for slug in ["index", *(c.slug for c in config.chapters)]:
        item = item_of(built_site, base, slug)
        assert item == {
            "itemType": "journalArticle",
            "title": a.title,
            "creators": [{"lastName": a.author_family, "firstName": a.author_given, "creatorType": "author"}],
            "publicationTitle": a.journal,
            "publisher": a.publisher,
            "volume": a.volume,
            "issue": a.issue,
            "pages": f"{a.first_page}-{a.last_page}",
            "date": a.date.replace("-", "/"),
            "DOI": a.doi,
            "ISSN": a.issn,
            "language": "en",
            "abstractNote": edition.document.abstract.text,
            "url": base + page_path(slug),
            "attachments": SNAPSHOT,
        }, slug
        assert_valid_for_type(item)


def test_the_abstract_is_the_articles_and_not_a_page_description(built_site: Path, config: Config) -> None:
    item = item_of(built_site, config.metadata.edition.site_url, config.chapters[0].slug)
    assert item["abstractNote"].startswith("Studies of Chinese soft power") and len(item["abstractNote"]) > 500


def test_edition_pages_import_as_the_edition_itself(built_site: Path, config: Config) -> None:
    a, ed = config.metadata.article, config.metadata.edition
    for page in config.back:
        item = item_of(built_site, ed.site_url, page.slug)
        assert item == {
            "itemType": "book",
            "title": ed.title,
            "creators": [
                {"lastName": a.author_family, "firstName": a.author_given, "creatorType": "author"},
                {"lastName": ed.editors, "creatorType": "editor"},
            ],
            "edition": f"Version {ed.version}",
            "date": ed.date,
            "url": ed.versioned_url,
            "abstractNote": config.metadata.edition_description(),
            "language": "en",
            "attachments": SNAPSHOT,
        }, page.slug
        assert f"https://doi.org/{a.doi}" in item["abstractNote"]
        assert_valid_for_type(item)


def test_no_page_offers_the_editions_pdf_as_full_text(built_site: Path, config: Config) -> None:
    # This version's pages; a frozen earlier version keeps the tags it was published with.
    pages = [p for p in built_site.rglob("*.html") if not any(is_version_dir(q, built_site) for q in p.parents)]
    assert len(pages) > 10
    for path in pages:
        head = read_head(path.read_text(encoding="utf-8"))
        assert not [n for n, _ in head.meta if n.endswith("citation_pdf_url")], path


def test_404_carries_no_citation_metadata(built_site: Path) -> None:
    page = (built_site / "404.html").read_text(encoding="utf-8")
    assert zotero_item(page, "https://example.org/missing") is None
    names = [n for n, _ in read_head(page).meta]
    assert not [n for n in names if n.startswith(("citation_", "og:", "book:", "prism."))]
    assert 'id="edition-cite"' not in page and "application/ld+json" not in page


# --- the reader itself: it reproduces what the issue saw, and refuses tags it does not know -------

OLD_HEAD = """<html><head><title>Glossary - Edney</title>
<meta name="description" content="Every term the article uses.">
<link rel="canonical" href="https://x.test/edition/glossary/">
<meta name="citation_title" content="T"><meta name="citation_author" content="Edney, Kingsley">
<meta name="citation_journal_title" content="Politics"><meta name="citation_doi" content="10.1111/1467-9256.12096">
<meta name="citation_pdf_url" content="https://x.test/edition/e.pdf">
<meta name="citation_fulltext_html_url" content="https://x.test/edition/glossary/">
<meta name="citation_abstract_html_url" content="https://x.test/edition/#abstract">
</head><body></body></html>"""


def test_reader_reproduces_the_import_the_issue_reported() -> None:
    item = zotero_item(OLD_HEAD, "https://x.test/edition/glossary/")
    assert item is not None and item["itemType"] == "journalArticle"
    assert item["abstractNote"] == "Every term the article uses."
    assert item["url"] == "https://x.test/edition/#abstract"
    assert item["attachments"] == [
        {"title": "Full Text PDF", "url": "https://x.test/edition/e.pdf", "mimeType": "application/pdf"}
    ]


def test_reader_splits_an_uncommaed_corporate_name_as_zotero_does() -> None:
    head = (
        '<head><meta property="og:type" content="book">'
        '<meta name="citation_editor" content="Edney Soft Power Project"></head>'
    )
    item = zotero_item(head, "https://x.test/")
    assert item is not None
    assert item["creators"] == [{"lastName": "Project", "firstName": "Edney Soft Power", "creatorType": "editor"}]


def test_reader_refuses_a_tag_it_does_not_mirror() -> None:
    with pytest.raises(UnmirroredTag):
        zotero_item('<head><meta name="dc.identifier" content="doi:10.1/x"></head>', "https://x.test/")
    with pytest.raises(UnmirroredTag):
        zotero_item('<head><meta name="citation_reference" content="x"></head>', "https://x.test/")
