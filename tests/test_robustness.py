"""Robustness: fuzzed stages never crash, and every bad input stops with a coded, located error.

* Property tests (hypothesis) on arbitrary text: the repair stage, the citation recogniser and
  Markdown emission either work (with their invariants) or raise a :class:`BuildError`; no other
  exception, and emitted text never becomes markup. One real ``mkdocs build`` renders adversarial
  paragraphs through the emit functions and the built HTML's text content is compared.
* The catalogue of bad inputs is data (``tests/fixtures/bad-inputs.yaml``), run by
  ``tests/test_bad_inputs.py``.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from htmltext import text_of
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from build_scripts.bibliography import Bibliography
from build_scripts.citations import find_citations, recognise_citations
from build_scripts.config import Config
from build_scripts.diagnostics import BuildError
from build_scripts.edition import Edition, EditionIndex, index_edition
from build_scripts.model import Block, Chapter, Document
from build_scripts.pages import render_block
from build_scripts.repair import GlyphTable, apply_edits, load_glyph_table, repair
from build_scripts.site import build_site

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- fuzzing: repair -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def table(config: Config) -> GlyphTable:
    return load_glyph_table(config.glyphs)


def glyph_heavy_text(table: GlyphTable) -> st.SearchStrategy[str]:
    """Text drawn mostly from the glyph table, quotes and ASCII, with a dash of anything at all."""
    alphabet = st.one_of(
        st.sampled_from(sorted(table.glyph) + sorted(table.shared)),
        st.sampled_from(list(" \n'\"-0123456789ABCabc()[]\u2013\u2014\u2018\u2019\u201c\u201d")),
        st.characters(blacklist_categories=("Cs",)),
    )
    return st.text(alphabet=alphabet, max_size=200)


def _check_repair(text: str, table: GlyphTable) -> None:
    lines = text.split("\n")
    try:
        result = repair(text, table, "fuzz.txt")
    except BuildError as exc:
        assert exc.codes == {"E-REPAIR-UNMAPPED"}
        for d in exc.diagnostics:
            loc = d.location
            assert loc.file == "fuzz.txt" and 1 <= loc.line <= len(lines)
            assert 1 <= loc.col <= len(lines[loc.line - 1])
            assert d.message.startswith(f"U+{ord(lines[loc.line - 1][loc.col - 1]):04X}")
        return
    assert [line.raw for line in result.lines] == lines
    assert apply_edits(text, result.edits) == [line.text for line in result.lines]


@FUZZ
@given(data=st.data())
def test_repair_returns_or_stops_with_a_located_unmapped_character(table: GlyphTable, data: st.DataObject) -> None:
    _check_repair(data.draw(glyph_heavy_text(table)), table)


@FUZZ
@given(text=st.text(max_size=300))
@example("\x00\r\n\u2028\ufeff\U0001f600")
def test_repair_on_arbitrary_unicode(table: GlyphTable, text: str) -> None:
    _check_repair(text, table)


# --- fuzzing: citations --------------------------------------------------------------------------

CITATION_PARTS = st.sampled_from(
    [
        "(",
        ")",
        ";",
        ", ",
        " ",
        "Nye",
        "Nye and Wang",
        "Li",
        "Jiang’s",
        "et al.",
        "CCP Central Committee",
        "2011",
        "2004",
        "2012a",
        "1999",
        "p. 20",
        "pp. 20–21",
        "ch. 3",
        "see ",
        "e.g. ",
        "cf. ",
        ". ",
        "China",
        "’s",
        "‘",
        "”",
    ]
)
CITATION_TEXT = st.one_of(
    st.lists(st.one_of(CITATION_PARTS, st.text(max_size=4)), max_size=40).map("".join),
    st.text(max_size=200),
)


def _block(text: str) -> Block:
    lines = tuple((10 + n, m.start()) for n, m in enumerate(re.finditer(r"(?:^|(?<=\n))", text)))
    return Block("p1", "paragraph", "intro", text.replace("\n", " "), 10, 10 + text.count("\n"), 1, (), False, lines)


@FUZZ
@given(text=CITATION_TEXT)
@example("Li (2009, p. 31) and (Nye, 2011, pp. 20–21; 2013; Wang 2004a, ch. 2) Jiang’s (2010)")
def test_citation_recogniser_reports_exactly_the_cited_text(edition: Edition, text: str) -> None:
    block = _block(text)
    names = frozenset(r.cite_name.replace("\u2019", "'") for r in edition.bibliography.references)
    found, problems = find_citations(block, names, "fuzz.txt")
    for item in found:
        assert 0 <= item.start <= item.end <= len(block.text)
        assert item.cited == block.text[item.start : item.end]
        assert block.first_line <= item.line <= block.last_line
    assert all(d.code == "E-CITE-UNRESOLVED" for d in problems)


@FUZZ
@given(text=CITATION_TEXT, keep=st.integers(0, 3))
def test_recognise_citations_returns_records_or_a_build_error(edition: Edition, text: str, keep: int) -> None:
    """The whole stage on a one-block document, against none or a few of the real entries."""
    block = _block(text)
    document = Document(abstract=block, chapters=(), interventions=(), page_count=1)
    refs = tuple(r for r in edition.bibliography.references if r.cite_name in ("Nye", "Li", "Wang"))[:keep]
    bibliography = Bibliography("fuzz.bib", refs)
    try:
        citations = recognise_citations(document, bibliography, (), "fuzz.txt")
    except BuildError as exc:
        assert exc.diagnostics
        return
    for c in citations:
        assert c.cited == block.text[c.start : c.end]
        assert c.key in {r.key for r in refs}


# --- fuzzing: Markdown emission ------------------------------------------------------------------

EXTENSIONS = ["footnotes", "attr_list", "md_in_html", "tables", "toc"]
ADVERSARIAL = [
    "<script>alert('x')</script> and <b>bold</b> & &amp; &lt;",
    "*emph* _under_ **strong** `code` ~~del~~ [link](http://x) ![img](x.png) <http://auto.link>",
    "Unbalanced [bracket (paren [[ ]]] ))) {: #evil .class onclick=alert(1) }",
    "# not a heading ## neither | table | cell | --- |",
    "1. not a list - nor this + nor * this > nor a quote",
    "    four spaces: not code",
    'Attribute "quotes" and \\backslash\\ and \\[escaped] and [^1] footnote-like',
    "<!-- comment --> <![CDATA[x]]> <?php ?> <div markdown=1>*x*</div>",
    "Trailing attr list {: #p1 }",
    "HTML entity &#x3C;script&#x3E; and &copy; stays literal",
    "Chinese 软实力 (ruan shili) and emoji \U0001f600 and zero-width \u200b joiner",
    "={3} equals :colon start ~tilde",
]
FUZZ_TEXT = st.one_of(
    st.sampled_from(ADVERSARIAL),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=120),
    st.lists(st.sampled_from(list("<>&\"'*_`[]()#!{}|\\:-+=~.1 ")), min_size=1, max_size=60).map("".join),
)


@pytest.fixture(scope="module")
def plain(edition: Edition) -> tuple[Edition, EditionIndex]:
    """The real edition with no citations, glossary links or interventions, for rendering synthetic blocks."""
    document = dataclasses.replace(edition.document, interventions=())
    bare = dataclasses.replace(edition, document=document, citations=(), occurrences=())
    return bare, index_edition(bare)


def normalise(text: str) -> str:
    return " ".join(text.split())


def paragraph(number: int, text: str, kind: str = "paragraph") -> Block:
    return Block(f"p{number}", kind, "intro", normalise(text), 1, 1, number)


def paragraph_text(page_html: str, block_id: str) -> tuple[str, list[str]]:
    m = re.search(rf'<p[^>]*id="{block_id}"[^>]*>(.*?)</p>', page_html, re.S)
    assert m, f"no paragraph {block_id}"
    body = re.sub(r'^\s*<a class="pnum"[^>]*>[^<]*</a>\s*', "", m.group(1))
    return text_of(body)


@FUZZ
@given(text=FUZZ_TEXT, kind=st.sampled_from(["paragraph", "quote"]))
def test_emitted_paragraphs_render_literally(plain: tuple[Edition, EditionIndex], text: str, kind: str) -> None:
    import markdown

    block = paragraph(7, text, kind)
    if not block.text:
        return
    md = render_block(block, plain[1])
    rendered = markdown.markdown(md, extensions=EXTENSIONS)
    content, tags = paragraph_text(rendered, "p7")
    assert content.strip() == block.text
    assert tags == [], f"markup injected: {tags}"


def test_a_real_mkdocs_build_renders_adversarial_paragraphs_literally(
    plain: tuple[Edition, EditionIndex], tmp_path: Path
) -> None:
    """Through the emit functions and a real ``mkdocs build --strict``, then the built HTML's text content."""
    import random

    rng = random.Random(20151101)
    pool = "<>&\"'*_`[]()#!{}|\\:-+=~. abcXYZ123软\u2019\u2013"
    texts = ADVERSARIAL + ["".join(rng.choice(pool) for _ in range(rng.randint(5, 80))) for _ in range(40)]
    blocks = [paragraph(n, t, "quote" if n % 5 == 0 else "paragraph") for n, t in enumerate(texts, 1)]
    chapter = Chapter("intro", "intro", "Fuzz", False, tuple(blocks))
    ed = dataclasses.replace(plain[0], document=dataclasses.replace(plain[0].document, chapters=(chapter,)))
    index = index_edition(ed)
    page = "# Fuzz { #fuzz }\n\n" + "\n\n".join(render_block(b, index) for b in blocks) + "\n"
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text(page, encoding="utf-8")
    extensions = "\n".join(f"  - {e}" for e in EXTENSIONS)
    (tmp_path / "mkdocs.yml").write_text(
        f"site_name: fuzz\ntheme:\n  name: material\n  font: false\nmarkdown_extensions:\n{extensions}\n",
        encoding="utf-8",
    )
    build_site(tmp_path / "mkdocs.yml", tmp_path / "site")
    built = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    article = built.split("<article", 1)[1].split("</article>", 1)[0]
    for block in blocks:
        content, tags = paragraph_text(article, block.id)
        assert (content.strip(), tags) == (block.text, []), block.id
    _, tags = text_of(article)
    assert "script" not in tags and "b" not in tags and "img" not in tags
    assert not re.search(r"<[^>]*\sonclick=", article)
