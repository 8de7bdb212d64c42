"""Stable URLs and citation metadata, checked over the real built site.

The committed manifest ``urls.txt`` is the list of published URLs: every one must still resolve
(page file and element id) in a fresh build, and every citable anchor of the build must be listed,
so that no URL disappears and none appears by accident. Each page carries its canonical URL,
Highwire Press ``citation_*`` tags and schema.org JSON-LD that agree with
``editorial/metadata.yaml``; ``CITATION.cff`` is valid CFF 1.2.0 and agrees too.
"""

from __future__ import annotations

import html.parser
import json
import re
from dataclasses import asdict
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from build_scripts.config import ROOT, Config
from build_scripts.edition import Edition
from build_scripts.urls import (
    MANIFEST,
    collect_urls,
    page_file,
    page_path,
    page_slugs,
    read_manifest,
    site_url,
    unresolved,
)

PDF = "downloads/edney-2015-edition.pdf"


def mkdocs_config() -> dict[str, Any]:
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("", lambda loader, suffix, node: None)
    return dict(yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=Loader))


@pytest.fixture(scope="module")
def base(config: Config) -> str:
    return site_url(config.mkdocs_yml)


@pytest.fixture(scope="module")
def manifest() -> list[str]:
    return read_manifest(MANIFEST)


# --- the manifest ----------------------------------------------------------------------------


def test_manifest_urls_all_resolve_in_the_built_site(built_site: Path, manifest: list[str], base: str) -> None:
    assert len(manifest) == len(set(manifest)), "duplicate URLs in urls.txt"
    assert not unresolved(manifest, built_site, base)


def test_every_citable_anchor_of_the_site_is_in_the_manifest(
    built_site: Path, config: Config, manifest: list[str]
) -> None:
    new = [u for u in collect_urls(built_site, config) if u not in set(manifest)]
    assert not new, f"not in urls.txt (add on purpose: python -m build_scripts.urls --write): {new[:10]}"


def test_manifest_lists_every_paragraph_page_glossary_entry_and_reference(
    manifest: list[str], edition: Edition, base: str
) -> None:
    """Independent of the anchor collector: the manifest covers the edition model's citable things."""
    listed = set(manifest)
    for chapter in edition.document.chapters:
        url = f"{base}{chapter.slug}/"
        assert url in listed and f"{url}#{chapter.id}" in listed
        for block in chapter.blocks:
            if block.number:
                assert f"{url}#{block.id}" in listed
            for mark in block.pages:
                assert f"{url}#ms-{mark.page}" in listed
    assert f"{base}#abstract" in listed and f"{base}#ms-1" in listed
    for entry in edition.glossary:
        assert f"{base}glossary/#{entry.id}" in listed
    for ref in edition.bibliography.references:
        assert f"{base}references/#{ref.key}" in listed
    assert sum("#p" in u and re.search(r"#p\d+$", u) is not None for u in manifest) == len(edition.document.paragraphs)


def test_resolution_check_catches_a_missing_page_or_anchor(built_site: Path, manifest: list[str], base: str) -> None:
    broken = [f"{base}introduction/#p999", f"{base}no-such-chapter/", "https://example.org/#p1"]
    assert unresolved([*manifest[:3], *broken], built_site, base) == broken


def test_redirects_plugin_keeps_removed_pages(built_site: Path) -> None:
    plugins = mkdocs_config()["plugins"]
    redirects = next(p["redirects"] for p in plugins if isinstance(p, dict) and "redirects" in p)
    assert isinstance(redirects["redirect_maps"], dict)
    for old, new in redirects["redirect_maps"].items():
        target = built_site / (old.removesuffix(".md") + "/index.html" if old != "index.md" else "index.html")
        assert target.is_file() and new.removesuffix(".md") in target.read_text(encoding="utf-8")


# --- canonical URLs, sitemap -----------------------------------------------------------------


class HeadParser(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: list[tuple[str, str]] = []
        self.canonical: list[str] = []
        self.jsonld: list[str] = []
        self._script: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "meta" and a.get("name", "").startswith("citation_"):
            self.meta.append((a["name"], a.get("content", "")))
        if tag == "link" and a.get("rel") == "canonical":
            self.canonical.append(a["href"])
        if tag == "script" and a.get("type") == "application/ld+json":
            self._script = ""

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.jsonld.append(self._script)
            self._script = None


def head(site: Path, slug: str) -> HeadParser:
    parser = HeadParser()
    parser.feed(page_file(site, page_path(slug)).read_text(encoding="utf-8"))
    return parser


def test_site_url_is_set_and_every_page_has_its_canonical_url(built_site: Path, config: Config, base: str) -> None:
    assert base == config.metadata.edition.site_url
    for slug in page_slugs(config):
        assert head(built_site, slug).canonical == [base + page_path(slug)]


def test_sitemap_lists_every_page(built_site: Path, config: Config, base: str) -> None:
    locs = set(re.findall(r"<loc>([^<]+)</loc>", (built_site / "sitemap.xml").read_text(encoding="utf-8")))
    assert {base + page_path(slug) for slug in page_slugs(config)} <= locs


# --- citation metadata -----------------------------------------------------------------------


def test_templates_get_the_metadata_from_its_one_source(config: Config) -> None:
    """mkdocs.yml holds no copy of the metadata; the hook fills config.extra from editorial/metadata.yaml."""
    from mkdocs.config import load_config as load_mkdocs_config

    assert "article" not in (mkdocs_config().get("extra") or {})
    cfg = load_mkdocs_config(config_file=str(config.mkdocs_yml))
    cfg = cfg.plugins.on_config(cfg)
    article = asdict(config.metadata.article)
    assert cfg.extra["article"] == article
    assert cfg.extra["edition"]["site_url"] == config.metadata.edition.site_url == cfg["site_url"]


def article_slugs(config: Config) -> list[str]:
    return ["index", *(c.slug for c in config.chapters)]


def test_article_pages_have_highwire_citation_tags(built_site: Path, config: Config, base: str) -> None:
    a = asdict(config.metadata.article)
    expected = {
        "citation_title": [a["title"]],
        "citation_author": [f"{a['author_family']}, {a['author_given']}"],
        "citation_journal_title": [a["journal"]],
        "citation_volume": [a["volume"]],
        "citation_issue": [a["issue"]],
        "citation_firstpage": [a["first_page"]],
        "citation_lastpage": [a["last_page"]],
        "citation_publication_date": [a["date"].replace("-", "/")],
        "citation_doi": [a["doi"]],
        "citation_issn": [a["issn"]],
        "citation_keywords": list(a["keywords"]),
    }
    for slug in article_slugs(config):
        tags: dict[str, list[str]] = {}
        for name, content in head(built_site, slug).meta:
            tags.setdefault(name, []).append(content)
        for name, values in expected.items():
            assert tags.get(name) == values, (slug, name, tags.get(name))
        assert tags["citation_fulltext_html_url"] == [base + page_path(slug)]
        assert "citation_pdf_url" not in tags and "citation_abstract_html_url" not in tags


def test_edition_pages_carry_no_article_tags(built_site: Path, config: Config) -> None:
    for page in config.back:
        names = {name for name, _ in head(built_site, page.slug).meta}
        assert names == {"citation_author", "citation_editor", "citation_language"}, page.slug


def test_article_pages_have_scholarly_article_json_ld(built_site: Path, config: Config, base: str) -> None:
    a = asdict(config.metadata.article)
    for slug in article_slugs(config):
        blocks = [json.loads(s) for s in head(built_site, slug).jsonld]
        assert len(blocks) == 1, slug
        ld = blocks[0]
        assert ld["@context"] == "https://schema.org" and ld["@type"] == "ScholarlyArticle"
        assert ld["headline"] == a["title"] and ld["author"]["name"] == a["author"]
        assert ld["identifier"]["value"] == a["doi"] and ld["datePublished"] == a["date"]
        assert (ld["pageStart"], ld["pageEnd"]) == (a["first_page"], a["last_page"])
        issue = ld["isPartOf"]
        assert issue["issueNumber"] == a["issue"] and issue["isPartOf"]["volumeNumber"] == a["volume"]
        assert issue["isPartOf"]["isPartOf"]["name"] == a["journal"]
        assert ld["url"] == base + page_path(slug)
        assert ld["workExample"]["encoding"]["contentUrl"] == base + PDF


def test_edition_pages_have_the_editions_json_ld(built_site: Path, config: Config, base: str) -> None:
    ed, a = config.metadata.edition, config.metadata.article
    for page in config.back:
        (ld,) = [json.loads(s) for s in head(built_site, page.slug).jsonld]
        assert ld["@type"] == "Book" and ld["name"] == ed.title and ld["version"] == ed.version
        assert ld["editor"] == {"@type": "Organization", "name": ed.editors}
        assert ld["isBasedOn"] == f"https://doi.org/{a.doi}" and ld["url"] == base
        assert ld["mainEntityOfPage"] == base + page_path(page.slug)


# --- CITATION.cff ----------------------------------------------------------------------------


def test_citation_cff_is_valid_cff_1_2_0_and_agrees_with_the_metadata(config: Config) -> None:
    schema = json.loads((ROOT / "tests" / "fixtures" / "cff" / "schema-1.2.0.json").read_text(encoding="utf-8"))
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    errors = [f"{list(e.path)}: {e.message[:200]}" for e in validator.iter_errors(cff)]
    assert not errors
    ed, a = asdict(config.metadata.edition), asdict(config.metadata.article)
    assert (cff["title"], cff["version"], cff["date-released"], cff["url"]) == (
        ed["title"],
        ed["version"],
        ed["date"],
        config.metadata.edition.versioned_url,
    )
    assert {"type": "url", "value": ed["site_url"]}.items() <= cff["identifiers"][0].items()
    article = cff["references"][0]
    assert article["title"] == a["title"] and article["doi"] == a["doi"] and article["journal"] == a["journal"]
    assert (str(article["volume"]), article["issue"], article["start"], article["end"]) == (
        a["volume"],
        a["issue"],
        a["first_page"],
        a["last_page"],
    )
    assert article["authors"][0]["family-names"] == a["author_family"]
    assert cff["authors"] == [{"name": ed["editors"], "website": ed["site_url"]}]
    assert " ".join(cff["abstract"].split()) == config.metadata.edition_description()
    preferred = cff["preferred-citation"]
    assert preferred["editors"] == [{"name": ed["editors"]}] and preferred["title"] == ed["title"]
    assert preferred["authors"] == [{"family-names": a["author_family"], "given-names": a["author_given"]}]
    assert (preferred["version"], preferred["date-released"], preferred["url"]) == (
        ed["version"],
        ed["date"],
        config.metadata.edition.versioned_url,
    )
    assert "doi" not in preferred and "doi" not in cff, "the article's DOI is not the edition's"


def test_cff_schema_rejects_an_invalid_file() -> None:
    schema = json.loads((ROOT / "tests" / "fixtures" / "cff" / "schema-1.2.0.json").read_text(encoding="utf-8"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"cff-version": "1.2.0", "title": "x", "message": "m", "authors": []}, schema)
