"""Editorial data is input, not markup: any string in any editorial field reaches the reader only as text.

Two layers:

* Property tests (hypothesis): an arbitrary string goes into one field of the real edition model
  (article and edition metadata, decision ids and reasons, glossary entries, the supplied chapter
  title, bibliography fields through a real .bib), the pages are emitted and rendered with the
  site's Markdown extensions, and the rendered HTML must have exactly the element structure it has
  with a plain placeholder, with the string present as text. An id must either be refused with
  ``E-ID-UNSAFE`` or be a safe id.
* One real build (MkDocs with the theme, the hook and the templates, plus the print HTML) with a
  hostile payload in every free-text field at once: no element, attribute or script the payload
  spells out may appear anywhere, in ``<head>`` (``<title>``, ``<meta>``, JSON-LD) or in the body.
"""

from __future__ import annotations

import dataclasses
import html.parser
import json
import re
from pathlib import Path
from typing import Any

import markdown
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_atomic import copy_project

from build_scripts.bibliography import load_bibliography
from build_scripts.config import Config, load_config
from build_scripts.datafiles import SAFE_ID, check_id
from build_scripts.diagnostics import BuildError, Location
from build_scripts.edition import Edition
from build_scripts.pages import Page, render_pages
from build_scripts.pipeline import StageTimer, build
from build_scripts.typography import smarten

EXTENSIONS = ["footnotes", "attr_list", "md_in_html", "tables", "toc"]
EXAMPLES = settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
SPECIALS = [*"<>&\"'`*_[](){}#!|\\:-+=~.\n/;", "</title>", "<script>", "-->", "]]>", "&amp;", "{: #x }", "[^1]"]
#: Any text a YAML or BibTeX file can hold (no control characters: YAML refuses them), rich in markup.
ANY_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=3)
#: Blank values never reach a page: the loaders refuse them (datafiles.require, config._record).
HOSTILE = (
    st.lists(st.one_of(st.sampled_from(SPECIALS), ANY_TEXT), min_size=1, max_size=12).map("".join).filter(str.strip)
)


class Structure(html.parser.HTMLParser):
    """The element structure (tags and attribute names) and the text of an HTML fragment."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag + "[" + ",".join(sorted(name for name, _ in attrs)) + "]")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def structure(fragment: str) -> tuple[list[str], str]:
    parser = Structure()
    parser.feed(fragment)
    parser.close()
    return parser.tags, " ".join("".join(parser.text).split())


def rendered(edition: Edition, *paths: str) -> list[str]:
    """The pages at ``paths`` as the build writes them to docs/, converted with the site's Markdown extensions.

    Only these pages are rendered: emit() writes each page's Markdown as it is (checked below) and
    adds the data downloads, which no property here reads and which cost most of an emit.
    """
    texts = {p.path: p.markdown for p in render_pages(edition, only=paths)}
    out = []
    for path in paths:
        text = texts[path]
        if text.startswith("---\n"):
            text = text.split("\n---", 1)[1]
        out.append(markdown.markdown(text, extensions=EXTENSIONS))
    return out


_PLAIN: dict[tuple[str, str], list[str]] = {}


def same_structure(make: Any, value: str, pages: str | tuple[str, ...], key: str = "", *, shown: bool = True) -> None:
    """``make(value)`` renders ``pages`` with the same elements as ``make(placeholder)`` and shows ``value`` as text.

    Elements are compared as a sorted list: a value may move an entry (the glossary sorts by term),
    but it may never add, remove or change an element or attribute.
    """
    paths = (pages,) if isinstance(pages, str) else pages
    if any((page, key) not in _PLAIN for page in paths):
        for page, html_text in zip(paths, rendered(make("Placeholder"), *paths), strict=True):
            _PLAIN[(page, key)] = sorted(structure(html_text)[0])
    for page, html_text in zip(paths, rendered(make(value), *paths), strict=True):
        tags, text = structure(html_text)
        assert sorted(tags) == _PLAIN[(page, key)], f"markup changed for {value!r} on {page}"
        if shown:
            visible = " ".join(value.split())
            shown_as = {visible, visible.replace("\\", ""), smarten(visible), smarten(visible.replace("\\", ""))}
            assert any(v in text for v in shown_as), (
                f"{value!r} is not shown as text on {page}"
            )  # quotes may be typographic


def test_pages_reach_docs_as_rendered(pages: tuple[Page, ...], emitted: dict[str, str]) -> None:
    """What :func:`rendered` relies on: emit() writes every page's Markdown unchanged."""
    assert {p.path: emitted.get(p.path) for p in pages} == {p.path: p.markdown for p in pages}


def test_a_page_rendered_alone_is_that_page_of_the_full_render(edition: Edition, pages: tuple[Page, ...]) -> None:
    """What :func:`rendered` relies on too: ``render_pages(only=…)`` gives exactly the pages asked for, each
    as the full render has it (the front, which lists the back pages; a chapter; two back pages)."""
    full = {p.path: p for p in pages}
    chapter = f"{edition.document.chapters[1].slug}.md"
    for wanted in ({"index.md"}, {chapter}, {"apparatus.md", "changes.md"}):
        alone = render_pages(edition, only=wanted)
        assert {p.path for p in alone} == wanted
        assert all(p == full[p.path] for p in alone), wanted


def with_article(edition: Edition, **changes: Any) -> Edition:
    meta = dataclasses.replace(edition.config.metadata, article=dataclasses.replace(edition.meta, **changes))
    return dataclasses.replace(edition, config=dataclasses.replace(edition.config, metadata=meta))


def with_edition_info(edition: Edition, **changes: Any) -> Edition:
    info = dataclasses.replace(edition.config.metadata.edition, **changes)
    meta = dataclasses.replace(edition.config.metadata, edition=info)
    return dataclasses.replace(edition, config=dataclasses.replace(edition.config, metadata=meta))


@EXAMPLES
@given(value=HOSTILE, field=st.sampled_from(["title", "author", "affiliation", "journal", "volume", "issue"]))
def test_article_metadata_is_text_on_the_front_page(edition: Edition, value: str, field: str) -> None:
    same_structure(lambda v: with_article(edition, **{field: v}), value, "index.md", field)


@EXAMPLES
@given(value=HOSTILE, field=st.sampled_from(["title", "source_note"]))
def test_edition_metadata_is_text(edition: Edition, value: str, field: str) -> None:
    """(``edition.version`` cannot carry markup: the config refuses anything but MAJOR.MINOR.PATCH.)"""
    same_structure(lambda v: with_edition_info(edition, **{field: v}), value, "index.md", "ed-" + field)


@EXAMPLES
@given(value=HOSTILE, field=st.sampled_from(["version_policy", "release_note"]))
def test_version_policy_and_release_note_are_text_on_the_changes_page(edition: Edition, value: str, field: str) -> None:
    """As the version being prepared (not yet released), whose release note the Versions table prints."""
    unreleased = "99.0.0"
    same_structure(
        lambda v: with_edition_info(edition, version=unreleased, **{field: v}), value, "changes.md", "ed-" + field
    )


@EXAMPLES
@given(value=HOSTILE)
def test_decision_reasons_are_text_in_textual_notes_and_apparatus(edition: Edition, value: str) -> None:
    def make(v: str) -> Edition:
        decisions = tuple(dataclasses.replace(d, reason=v) for d in edition.decisions)
        interventions = tuple(
            dataclasses.replace(i, reason=v) if i.rule.startswith("decision:") else i
            for i in edition.document.interventions
        )
        document = dataclasses.replace(edition.document, interventions=interventions)
        return dataclasses.replace(edition, decisions=decisions, document=document)

    same_structure(make, value, ("textual-notes.md", "apparatus.md"), "reason")


@EXAMPLES
@given(value=HOSTILE, field=st.sampled_from(["definition", "gloss", "term", "attribution"]))
def test_glossary_fields_are_text(edition: Edition, value: str, field: str) -> None:
    target = "soft-power" if field == "attribution" else "wenhua-anquan"

    def make(v: str) -> Edition:
        entries = tuple(dataclasses.replace(e, **{field: v}) if e.id == target else e for e in edition.glossary)
        return dataclasses.replace(edition, glossary=entries)

    same_structure(make, value, "glossary.md", field)


@EXAMPLES
@given(value=HOSTILE)
def test_the_supplied_chapter_title_is_text(edition: Edition, value: str) -> None:
    def make(v: str) -> Edition:
        chapters = []
        for c in edition.document.chapters:
            if c.editorial:
                blocks = tuple(dataclasses.replace(b, text=v) if b.kind == "heading" else b for b in c.blocks)
                c = dataclasses.replace(c, title=v, blocks=blocks)
            chapters.append(c)
        return dataclasses.replace(edition, document=dataclasses.replace(edition.document, chapters=tuple(chapters)))

    chapter = next(c for c in edition.document.chapters if c.editorial)
    same_structure(make, value, f"{chapter.slug}.md", "chapter")


@EXAMPLES
@given(value=st.text(max_size=40))
def test_ids_are_safe_or_refused(value: str) -> None:
    problems = check_id(value, "id", Location("x.yaml", 1))
    assert bool(problems) != bool(SAFE_ID.fullmatch(value))
    if not problems:
        assert re.fullmatch(r"[a-z0-9_-]+", value) and ".." not in value and "/" not in value


BIB_TEXT = st.text(alphabet=st.sampled_from(list("<>&\"'`*_[]()#!|:-+=~./;abcXYZ 12")), min_size=1, max_size=30)


@EXAMPLES
@given(value=BIB_TEXT, field=st.sampled_from(["title", "edition_note", "publisher"]))
def test_bibliography_fields_are_text(
    edition: Edition, tmp_path_factory: pytest.TempPathFactory, value: str, field: str
) -> None:
    """A field of a real .bib entry, through pybtex and the References page, adds no markup."""

    def entry(v: str) -> Path:
        fields = {"title": "A title", "publisher": "A press", "edition_note": "A note"} | {field: v}
        body = ",\n".join(f"  {k} = {{{val}}}" for k, val in fields.items())
        path = tmp_path_factory.mktemp("bib") / "one.bib"
        head = "@book{ayoob1995,\n  author = {Ayoob, M.},\n  year = {1995},\n"
        path.write_text(f"{head}{body},\n  edition_status = {{verified}}\n}}\n", encoding="utf-8")
        return path

    def make(v: str) -> Edition:
        ref = load_bibliography(entry(v)).references[0]
        refs = tuple(
            dataclasses.replace(r, markdown=ref.markdown, html=ref.html, note=ref.note) if r.key == ref.key else r
            for r in edition.bibliography.references
        )
        return dataclasses.replace(edition, bibliography=dataclasses.replace(edition.bibliography, references=refs))

    try:
        make(value)
    except BuildError as exc:
        assert exc.codes <= {"E-BIB-SYNTAX"}
        return
    same_structure(make, value, "references.md", "bib-" + field, shown=False)


# --- one real build with a hostile payload in every free-text field -----------------------------------

PAYLOAD = (
    '</title><script>pwn(1)</script>"\'><img src=x onerror=pwn(2)>&lt;i id=pwned&gt;<i id="pwned">x</i>{: #pwned }'
)


class Audit(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.bad: list[str] = []
        self.script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if (tag == "img" and names.get("src") == "x") or "onerror" in names or names.get("id") == "pwned":
            self.bad.append(f"<{tag} {attrs}>")
        self.script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self.script = False

    def handle_data(self, data: str) -> None:
        if self.script and "pwn(" in data and "\\u003c" not in data and "<" in data:
            self.bad.append(f"script: {data[:80]!r}")


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Config]:
    project = copy_project(tmp_path_factory.mktemp("hostile") / "project")
    meta_path = project / "editorial" / "metadata.yaml"
    meta = yaml.safe_load(meta_path.read_text(encoding="utf-8"))
    for section, fields in (
        ("article", ("title", "author", "affiliation", "journal", "publisher", "special_issue")),
        ("edition", ("title", "short_title", "editors", "source_note", "version_policy", "release_note")),
    ):
        for f in fields:
            meta[section][f] = f"{meta[section][f]} {PAYLOAD}"
    meta["article"]["keywords"].append(PAYLOAD)
    meta_path.write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    chapters = project / "editorial" / "chapters.yaml"
    data = yaml.safe_load(chapters.read_text(encoding="utf-8"))
    data["chapters"][0]["reason"] += " " + PAYLOAD
    for page in data["back"]:
        page["title"] += " " + PAYLOAD
    chapters.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    for name, key in (("decisions.yaml", "decisions"), ("glossary.yaml", "entries")):
        path = project / "editorial" / name
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for entry in data[key]:
            for f in ("reason", "definition", "gloss", "attribution"):
                if f in entry:
                    entry[f] = f"{entry[f]} {PAYLOAD}"
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    config = load_config(project)
    build(config, pdf=False, offline=False, timer=StageTimer(report=lambda _: None))
    return project, config


def test_a_hostile_payload_in_every_field_stays_text_in_the_built_site(hostile_build: tuple[Path, Config]) -> None:
    project, _ = hostile_build
    pages = sorted((project / "site").rglob("*.html"))
    assert len(pages) >= 11
    for page in pages:
        audit = Audit()
        audit.feed(page.read_text(encoding="utf-8"))
        assert not audit.bad, f"{page.relative_to(project)}: {audit.bad[:3]}"
    front = (project / "site" / "index.html").read_text(encoding="utf-8")
    head = front.split("</head>", 1)[0]
    assert "pwn(1)" in head and "<script>pwn" not in head, "the payload is in <head> as text only"
    for script in re.findall(r'<script type="application/(?:ld\+)?json"[^>]*>(.*?)</script>', front, re.S):
        assert any(PAYLOAD in v for v in strings(json.loads(script))), "the payload survives as a JSON string"


def strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return [value] if isinstance(value, str) else []


def test_a_hostile_payload_stays_text_in_the_print_html(hostile_build: tuple[Path, Config]) -> None:
    from build_scripts.pdf import print_html
    from build_scripts.pipeline import prepare

    _, config = hostile_build
    audit = Audit()
    edition = prepare(config)
    audit.feed(print_html(edition, render_pages(edition)))
    assert not audit.bad, audit.bad[:3]
