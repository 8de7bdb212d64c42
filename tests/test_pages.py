"""The page model: templates escape what they print, a back page is added in editorial/ alone,
and the print renderer holds every page in one document with unique ids and working links."""

from __future__ import annotations

import dataclasses
import html
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import markdown
import pytest
from htmltext import text_of

from build_scripts.config import ROOT, load_config
from build_scripts.diagnostics import BuildError
from build_scripts.edition import Edition
from build_scripts.pages import Md, Page, environment, render_pages
from build_scripts.pdf import toc_entries
from build_scripts.printmd import markdown_parser, parse_attrs, print_pages

EXTENSIONS = ["footnotes", "attr_list", "md_in_html", "tables", "toc"]
HOSTILE = '*x* _y_ [a](b) <script>alert("x")</script> # h {: #evil } & | `c`'


def test_template_values_are_escaped_for_where_they_land(tmp_path: Path) -> None:
    (tmp_path / "t.md").write_text(
        '{{ v }}\n\n{{ v | line }}\n\n<p>{{ v | html }}</p>\n\n[link](x.md "{{ v | attr }}")\n\n{{ made }}\n',
        encoding="utf-8",
    )
    out = environment(tmp_path).get_template("t.md").render(v=HOSTILE, made=Md("*made*"))
    rendered = markdown.markdown(out, extensions=EXTENSIONS)
    paragraphs = re.findall(r"<p>(.*?)</p>", rendered, re.S)
    assert [text_of(p)[0] for p in paragraphs[:3]] == [HOSTILE] * 3
    assert "script" not in text_of(rendered)[1]
    title = re.search(r'<a href="x.md" title="([^"]*)">link</a>', rendered)
    assert title and '<script>alert("x")</script>' in html.unescape(title.group(1))
    assert "<em>made</em>" in rendered


def test_a_missing_name_in_a_template_stops_the_build(tmp_path: Path) -> None:
    (tmp_path / "t.md").write_text("{{ nowhere }}", encoding="utf-8")
    with pytest.raises(Exception, match="nowhere"):
        environment(tmp_path).get_template("t.md").render()


@pytest.fixture
def with_colophon(tmp_path: Path, edition: Edition) -> Edition:
    """The real edition, with one more back page added by editing a copy of editorial/ only."""
    shutil.copytree(ROOT / "editorial", tmp_path / "editorial")
    chapters = tmp_path / "editorial" / "chapters.yaml"
    chapters.write_text(
        chapters.read_text(encoding="utf-8") + "  - {id: colophon, slug: colophon, title: Colophon}\n",
        encoding="utf-8",
    )
    (tmp_path / "editorial" / "pages" / "colophon.md").write_text(
        '---\ntitle: {{ page.title | yaml }}\ndescription: "How the edition was made."\n---\n\n'
        '# {{ page.title }} { #{{ page.id | id }} }\n\nSet from the [References]({{ href("references") }}).\n',
        encoding="utf-8",
    )
    config = load_config(tmp_path)
    return dataclasses.replace(edition, config=dataclasses.replace(edition.config, **_editorial(config)))


def _editorial(config: object) -> dict[str, object]:
    names = ("root", "chapters_file", "front", "chapters", "back")
    return {name: getattr(config, name) for name in names}


def test_a_back_page_is_added_in_editorial_alone(with_colophon: Edition) -> None:
    pages = render_pages(with_colophon)
    colophon = next(p for p in pages if p.spec.id == "colophon")
    assert colophon.kind == "back" and colophon.in_print
    front = next(p for p in pages if p.kind == "front")
    assert "- [Colophon](colophon.md): How the edition was made." in front.markdown
    html, problems = print_pages(pages, "https://example.org/")
    assert problems == []
    assert '<section class="page page-colophon new-page" id="page-colophon" data-title="Colophon">' in html
    assert '<a href="#page-references">References</a>' in html
    assert ("page-colophon", "Colophon", "part") in toc_entries(with_colophon, pages)


def test_a_back_page_without_its_template_is_a_diagnostic(with_colophon: Edition) -> None:
    (with_colophon.config.root / "editorial" / "pages" / "colophon.md").unlink()
    with pytest.raises(BuildError) as raised:
        render_pages(with_colophon)
    assert raised.value.codes == {"E-PAGE-TEMPLATE"}


def _page(pages: tuple[Page, ...], page_id: str, body: str) -> tuple[Page, ...]:
    """``pages`` with one page's Markdown body replaced."""
    return tuple(
        dataclasses.replace(p, markdown=f"---\ntitle: {p.title}\n---\n\n{body}") if p.spec.id == page_id else p
        for p in pages
    )


def test_print_ids_are_unique_across_pages(pages: tuple[Page, ...]) -> None:
    html, problems = print_pages(pages, "https://example.org/")
    assert problems == []
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    assert 'id="about-references"' in html and 'href="#about-references"' in html
    clash = _page(pages, "about", "# About { #about }\n\nText\n{: #p1 }\n")
    _, problems = print_pages(clash, "https://example.org/")
    assert [p.code for p in problems] == ["E-PRINT-ID"] and "'p1'" in problems[0].message


def test_print_links_have_targets(pages: tuple[Page, ...]) -> None:
    broken = _page(pages, "about", "# About { #about }\n\nSee [nothing](glossary.md#no-such-entry).\n")
    _, problems = print_pages(broken, "https://example.org/")
    assert [p.code for p in problems] == ["E-PRINT-LINK"]
    html, _ = print_pages(pages, "https://example.org/")
    assert 'href="https://example.org/downloads/"' in html  # the Downloads page is web-only
    assert 'href="https://example.org/downloads/edition.json"' in html


def elements(fragment: str) -> list[tuple[str, dict[str, str | None]]]:
    """Each start tag with its attributes (their order does not matter)."""

    class Tags(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.found: list[tuple[str, dict[str, str | None]]] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.found.append((tag, dict(attrs)))

    parser = Tags()
    parser.feed(fragment)
    return parser.found


def test_attr_lists_render_as_python_markdown_does() -> None:
    md = markdown_parser()
    text = (
        "# Title { #t .big }\n\n"
        'Para with [a link](x.md "tip"){: .gloss } and \\{: .not-an-attr \\}\n'
        '{: #p1 .para data-para="1" }\n\n'
        "> Quoted\n> {: #p2 .para }\n"
    )
    ours = md.render(text)
    theirs = markdown.markdown(text, extensions=EXTENSIONS)
    assert elements(ours) == elements(theirs)
    assert text_of(ours)[0].split() == text_of(theirs)[0].split()
    assert parse_attrs('#a .b .c k="v &amp; w"') == [("id", "a"), ("class", "b c"), ("k", "v & w")]
