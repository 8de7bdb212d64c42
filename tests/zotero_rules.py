"""What Zotero saves from a page: a Python reading of its Embedded Metadata translator.

Mirrors, for the tags our pages can carry, the rules of ``Embedded Metadata.js`` in
https://github.com/zotero/translators (read at commit 2814370161d0, 2026-06-26), of ``RDF.js``
there, to which it hands every prefixed tag (``og:``, ``dc.``, ``prism.``, ``book:`` …) as an RDF
statement, and of ``Zotero.Utilities.cleanAuthor`` in https://github.com/zotero/utilities. No
code is copied; each function names the translator function whose rules it restates:

* ``init``: a tag is RDF when its first (or, with three parts, second) ``[.:_]``-separated part
  is a known prefix; otherwise a ``citation_*`` tag sets the Highwire type: ``citation_journal_title``
  → journalArticle, ``citation_book_title``/``citation_inbook_title`` → bookSection, and so on;
  ``citation_title`` only guesses journalArticle. The Highwire type beats the RDF type, the RDF
  type (``detectType``) beats the guess.
* ``RDF.js importItem``: title from ``dc:title`` … ``og:title``; date from ``og:published_time``,
  ``book:release_date``, ``dc:date`` …; URL from ``og:url`` …; abstract from ``og:description`` …
  then ``dc:description``; edition from ``prism:edition`` …
* ``addHighwireMetadata``: the ``HIGHWIRE_MAPPINGS`` (matched on the name's *ending*, first tag
  wins, later mappings of the same field overwrite earlier ones), creators from
  ``citation_author(s)`` and ``citation_editor(s)``, pages from first/last page, ISSN, a
  "Full Text PDF" attachment from ``citation_pdf_url`` (else a snapshot), and, only when no URL
  is set yet, ``citation_abstract_html_url`` before ``citation_fulltext_html_url``.
* ``addLowQualityMetadata``: document title, ``meta name=author``, ``meta name=description`` as
  the abstract, ``link rel=canonical`` or the address as the URL, each only when still missing.
* ``finalDataCleanup``: automatic tags dropped; a DOI on a type without a DOI field goes to Extra.

Not restated, because no page of ours can trigger them: the Spanish-surname and case-fixing
branches of ``processHighwireCreators``, the WordPress/Blogger ``generator`` and parse.ly rules,
byline guessing (our pages always give creators), ``citation_pmid``, and RDF ``isPartOf`` containers.
A prefixed tag whose property this reader does not know makes :func:`zotero_item` fail, so a new
tag on a page cannot be silently ignored by the tests.
"""

from __future__ import annotations

import html.parser
import re
from dataclasses import dataclass, field
from typing import Any

PREFIXES = {
    "bib": "http://purl.org/net/biblio#",
    "bibo": "http://purl.org/ontology/bibo/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcterms": "http://purl.org/dc/terms/",
    "prism": "http://prismstandard.org/namespaces/1.2/basic/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://nwalsh.com/rdf/vCard#",
    "link": "http://purl.org/rss/1.0/modules/link/",
    "z": "http://www.zotero.org/namespaces/export#",
    "eprint": "http://purl.org/eprint/terms/",
    "eprints": "http://purl.org/eprint/terms/",
    "og": "http://ogp.me/ns#",
    "article": "http://ogp.me/ns/article#",
    "book": "http://ogp.me/ns/book#",
    "music": "http://ogp.me/ns/music#",
    "video": "http://ogp.me/ns/video#",
    "so": "http://schema.org/",
    "codemeta": "https://codemeta.github.io/terms/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
}
"""The translator's default prefixes (``_prefixes``); the lower-cased tag prefix selects one."""

HW_TYPES = {
    "citation_journal_title": "journalArticle",
    "citation_technical_report_institution": "report",
    "citation_conference_title": "conferencePaper",
    "citation_conference": "conferencePaper",
    "citation_book_title": "bookSection",
    "citation_inbook_title": "bookSection",
    "citation_dissertation_institution": "thesis",
}
HW_GUESSES = {"citation_title": "journalArticle", "citation_series_title": "journalArticle", "citation_isbn": "book"}

HIGHWIRE_MAPPINGS = {
    "citation_title": "title",
    "citation_publication_date": "date",
    "citation_cover_date": "date",
    "citation_date": "date",
    "citation_journal_title": "publicationTitle",
    "citation_journal_abbrev": "journalAbbreviation",
    "citation_inbook_title": "publicationTitle",
    "citation_book_title": "bookTitle",
    "citation_volume": "volume",
    "citation_issue": "issue",
    "citation_series_title": "series",
    "citation_conference_title": "conferenceName",
    "citation_conference": "conferenceName",
    "citation_dissertation_institution": "university",
    "citation_technical_report_institution": "institution",
    "citation_technical_report_number": "number",
    "citation_publisher": "publisher",
    "citation_isbn": "ISBN",
    "citation_abstract": "abstractNote",
    "citation_doi": "DOI",
    "citation_public_url": "url",
    "citation_language": "language",
}
"""``HIGHWIRE_MAPPINGS``, in the translator's order (the order decides which date tag wins)."""

HANDLED_SEPARATELY = {
    "citation_author",
    "citation_authors",
    "citation_editor",
    "citation_editors",
    "citation_firstpage",
    "citation_lastpage",
    "citation_issn",
    "citation_eissn",
    "citation_pdf_url",
    "citation_abstract_html_url",
    "citation_fulltext_html_url",
    "citation_online_date",
    "citation_year",
    "citation_keywords",
    "citation_author_institution",
}
"""Highwire tags read outside the mappings (``citation_author_institution`` is read by none)."""

OG, BOOK, PRISM, DC = PREFIXES["og"], PREFIXES["book"], PREFIXES["prism"], PREFIXES["dc"]
RDF_TITLE = (DC + "title", PREFIXES["dcterms"] + "title", OG + "title")
RDF_DATE = (OG + "published_time", PREFIXES["article"] + "published_time", BOOK + "release_date", DC + "date")
RDF_URL = (OG + "url",)
RDF_ABSTRACT = (OG + "description", PREFIXES["dcterms"] + "abstract")
RDF_DESCRIPTION = (DC + "description", PREFIXES["dcterms"] + "description")
RDF_EDITION = (PRISM + "edition",)
RDF_TYPES = (OG + "type", DC + "type")
KNOWN_RDF = frozenset(RDF_TITLE + RDF_DATE + RDF_URL + RDF_ABSTRACT + RDF_DESCRIPTION + RDF_EDITION + RDF_TYPES)
"""The RDF properties this reader mirrors (each in ``importItem``'s order of preference)."""

OG_TYPES = {"video.movie": "videoRecording", "book": "book", "music.song": "audioRecording", "website": "webpage"}
OG_GUESSES = {"article": "journalArticle"}
DC_TYPES = {"book": "book", "dataset": "dataset", "webpage": "webpage", "journalarticle": "journalArticle"}

FIELDS = {
    "journalArticle": {
        "title", "abstractNote", "publicationTitle", "publisher", "place", "date", "volume", "issue",
        "section", "partNumber", "partTitle", "pages", "series", "seriesTitle", "seriesText",
        "journalAbbreviation", "DOI", "citationKey", "url", "accessDate", "PMID", "PMCID", "ISSN", "archive",
        "archiveLocation", "shortTitle", "language", "libraryCatalog", "callNumber", "rights", "extra",
    },
    "book": {
        "title", "abstractNote", "series", "seriesNumber", "volume", "numberOfVolumes", "edition", "date",
        "publisher", "place", "originalDate", "originalPublisher", "originalPlace", "format", "numPages", "ISBN",
        "DOI", "citationKey", "url", "accessDate", "ISSN", "archive", "archiveLocation", "shortTitle", "language",
        "libraryCatalog", "callNumber", "rights", "extra",
    },
}  # fmt: skip
"""Fields valid for the item types our pages produce (zotero/zotero-schema ``schema.json``)."""

CREATOR_TYPES = {
    "journalArticle": {"author", "contributor", "editor", "translator", "reviewedAuthor"},
    "book": {"author", "contributor", "editor", "translator", "seriesEditor"},
}


class UnmirroredTag(AssertionError):
    """A page carries a tag whose Zotero rule this reader does not restate."""


@dataclass
class Head:
    """The parts of a page Zotero reads: meta tags (name or property), canonical link, title."""

    meta: list[tuple[str, str]] = field(default_factory=list)
    canonical: str = ""
    title: str = ""


class _HeadParser(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.head = Head()
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "meta" and (a.get("name") or a.get("property")) and a.get("content"):
            self.head.meta.append((a.get("name") or a.get("property", ""), a["content"]))
        elif tag == "link" and a.get("rel") == "canonical" and not self.head.canonical:
            self.head.canonical = a.get("href", "")
        elif tag == "title":
            self._in_title = True

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.head.title += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False


def read_head(page_html: str) -> Head:
    parser = _HeadParser()
    parser.feed(page_html)
    return parser.head


def trim_internal(value: str) -> str:
    """``ZU.trimInternal``: runs of white space become one space; ends trimmed."""
    return re.sub(r"\s+", " ", value).strip()


def clean_author(name: str, role: str, use_comma: bool) -> dict[str, str]:
    """``ZU.cleanAuthor`` for the names we write (no initials to expand)."""
    name = re.sub(r"^[\s\u00a0.,/\[\]:]+", "", name)
    name = re.sub(r"[\s\u00a0.,/\[\]:]+$", "", name)
    name = re.sub(r"[\s\u00a0]+", " ", name, count=1)
    if use_comma:
        parts = re.split(r"[,،] ?", name)
        if len(parts) > 1:
            return {"lastName": parts[0], "firstName": parts[1], "creatorType": role}
        return {"lastName": name, "creatorType": role}
    first, _, last = name.rpartition(" ")
    return {"lastName": last, "firstName": first, "creatorType": role}


def highwire_creators(values: list[str], role: str) -> list[dict[str, str]]:
    """``processHighwireCreators`` (without its Spanish-surname and case-fixing branches)."""
    creators: list[dict[str, str]] = []
    last = None
    for value in values:
        names = re.split(r"\s*;\s*", value)
        if len(names) == 1 and len(values) == 1:
            by_comma = re.split(r"\s*,\s*", names[0])
            if len(by_comma) > 1 and " " in by_comma[0] and " " in by_comma[1]:
                names = by_comma
        for name in names:
            name = name.strip()
            if not name or not re.search(r"[^\s,\-.;]", name) or name == last:
                continue
            last = name
            creators.append(clean_author(name, role, "," in name))
    return creators


def split_tags(head: Head) -> tuple[dict[str, list[str]], list[tuple[str, str]], str | None, str | None]:
    """``init``: RDF statements by property URI, Highwire tags, Highwire type, Highwire type guess."""
    rdf: dict[str, list[str]] = {}
    highwire: list[tuple[str, str]] = []
    hw_type = hw_guess = None
    for names, value in head.meta:
        for tag in names.split():
            parts = re.split(r"[.:_]", tag)
            prefix, length = None, 0
            if len(parts) > 2:
                prefix, length = parts[1].lower(), len(parts[0]) + len(parts[1]) + 1
            if not prefix or prefix not in PREFIXES:
                prefix, length = parts[0].lower(), len(parts[0])
            if prefix in PREFIXES:
                prop = tag[length + 1 :]
                prop = prop[:1].lower() + prop[1:]
                rdf.setdefault(PREFIXES[prefix] + prop, []).append(value)
                continue
            short = tag[tag.rfind("citation_") :] if "citation_" in tag else tag[-1:]
            if short in HW_TYPES:
                hw_type = HW_TYPES[short]
            elif short == "citation_isbn":
                hw_guess = "book"
            elif short in HW_GUESSES:
                hw_guess = hw_guess or HW_GUESSES[short]
            highwire.append((tag, value))
    return rdf, highwire, hw_type, hw_guess


def rdf_type(rdf: dict[str, list[str]], default: str | None) -> str | None:
    """``detectType`` for ``og:type`` and ``dc:type``: og before dc, then the default, then guesses."""
    og = (rdf.get(OG + "type") or [""])[0]
    dc = (rdf.get(DC + "type") or [""])[0].lower().replace(" ", "")
    return OG_TYPES.get(og) or DC_TYPES.get(dc) or default or OG_GUESSES.get(og)


def _first(rdf: dict[str, list[str]], props: tuple[str, ...]) -> str | None:
    return next((rdf[p][0] for p in props if rdf.get(p)), None)


def _highwire(tags: list[tuple[str, str]], name: str, all_values: bool = False) -> str | None:
    """``getContentText``: tags whose name *ends* with ``name``; the first, or all joined by ``, ``."""
    values = [v for t, v in tags if t.endswith(name)]
    if not values:
        return None
    return ", ".join(values) if all_values else values[0]


def _all(tags: list[tuple[str, str]], name: str) -> list[str]:
    """``getContent``: every value of the tags whose name ends with ``name``."""
    return [v for t, v in tags if t.endswith(name)]


def zotero_item(page_html: str, location: str) -> dict[str, Any] | None:
    """The item Zotero's Embedded Metadata translator saves from ``page_html`` found at ``location``.

    ``None`` when the translator does not offer the page at all (no type found by ``detectWeb``).
    """
    head = read_head(page_html)
    rdf, hw, hw_type, hw_guess = split_tags(head)
    unknown = sorted(p for p in rdf if p not in KNOWN_RDF)
    if unknown:
        raise UnmirroredTag(f"no rule mirrored for {unknown}")
    unmapped = sorted({t for t, _ in hw if t.startswith("citation_")} - HIGHWIRE_MAPPINGS.keys() - HANDLED_SEPARATELY)
    if unmapped:
        raise UnmirroredTag(f"no rule mirrored for {unmapped}")
    # with RDF statements, a page with no other type defaults to webpage
    item_type = hw_type or (rdf_type(rdf, hw_guess or "webpage") if rdf else hw_guess)
    if not item_type:
        return None
    item: dict[str, Any] = {"itemType": item_type, "creators": [], "attachments": []}
    # RDF.js importItem
    for key, props in (("title", RDF_TITLE), ("date", RDF_DATE), ("url", RDF_URL), ("abstractNote", RDF_ABSTRACT)):
        value = _first(rdf, props)
        if value:
            item[key] = value
    if "abstractNote" not in item and _first(rdf, RDF_DESCRIPTION):
        item["abstractNote"] = _first(rdf, RDF_DESCRIPTION)
    if _first(rdf, RDF_EDITION):
        item["edition"] = _first(rdf, RDF_EDITION)
    # addHighwireMetadata
    for name, key in HIGHWIRE_MAPPINGS.items():
        value = _highwire(hw, name, all_values=key in ("ISSN", "ISBN"))
        if value and value.strip():
            item[key] = trim_internal(value)
    authors = _all(hw, "citation_author") or _all(hw, "citation_authors")
    editors = _all(hw, "citation_editor") or _all(hw, "citation_editors")
    creators = highwire_creators(authors, "author") + highwire_creators(editors, "editor")
    if creators:
        item["creators"] = creators
    first = (_highwire(hw, "citation_firstpage") or "").replace("\u2013", "-")
    last = (_highwire(hw, "citation_lastpage") or "").replace("\u2013", "-")
    if first.strip():
        item["pages"] = first.strip() + (f"-{last.strip()}" if last.strip() else "")
    if "date" not in item:
        date = _highwire(hw, "citation_online_date") or _highwire(hw, "citation_year")
        if date:
            item["date"] = date
    issn = _highwire(hw, "citation_issn", True) or _highwire(hw, "citation_ISSN", True)
    issn = issn or _highwire(hw, "citation_eIssn", True)
    if issn:
        item["ISSN"] = issn
    pdf = [v for t, v in hw if t.endswith("citation_pdf_url")]
    if pdf:
        item["attachments"].append({"title": "Full Text PDF", "url": pdf[0], "mimeType": "application/pdf"})
    else:
        item["attachments"].append({"title": "Snapshot"})
    if not item.get("url"):
        url = _highwire(hw, "citation_abstract_html_url") or _highwire(hw, "citation_fulltext_html_url")
        if url:
            item["url"] = url
    # addLowQualityMetadata
    if not item.get("title"):
        item["title"] = head.title
    item["title"] = re.sub(r"\s+", " ", item["title"])
    if not item["creators"]:
        authors = [v for n, v in head.meta if n.lower() == "author" and re.search(r"[^\s,\-.;]", v)]
        item["creators"] = [clean_author(a, "author", False) for a in dict.fromkeys(authors)]
    if not item.get("abstractNote"):
        description = next((v for n, v in head.meta if n.lower() == "description"), "")
        if description:
            item["abstractNote"] = trim_internal(description)
    if not item.get("url"):
        item["url"] = head.canonical or location
    # finalDataCleanup
    if item.get("DOI"):
        match = re.search(r"10\.\d{4,9}/[^\s]*[^\s.,]", item["DOI"])
        item["DOI"] = match.group(0) if match else ""
        if item["DOI"] and "DOI" not in FIELDS.get(item_type, set()):
            item["extra"] = f"DOI: {item.pop('DOI')}"
    return item
