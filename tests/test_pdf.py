"""The real print PDF, read back with pypdf and pdfplumber: text, footnotes, contents, outline, links, fonts.

The PDF is the one the run's real build publishes (``conftest.full_build``: ``python -m build_scripts``
in a copy of the project), compared with the edition model of the same sources; that its bytes repeat
in a second build is tests/test_reproducible.py's check.
Page renders for a human to look at come from ``make review`` (build_scripts/review.py), not from
a test.
"""

from __future__ import annotations

import html
import io
import itertools
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pdfplumber
import pytest
from pypdf import PdfReader
from pypdf.generic import Destination, IndirectObject

from build_scripts import pdf as pdf_stage
from build_scripts.diagnostics import BuildError, Location
from build_scripts.edition import Edition
from build_scripts.mdtext import is_glyph_range
from build_scripts.pages import Page
from build_scripts.pdf import build_pdf, font_faces, print_html, toc_entries, typesetter, uncovered_characters
from build_scripts.pipeline import PDF_NAME
from build_scripts.printmd import PrintSection

pytestmark = pytest.mark.slow

BODY_SIZES = (9.4, 10.1)
"""Font sizes of the reading text (10 pt paragraphs, 9.5 pt block quotations) in edition.css."""
DROPPED = re.compile(r"[\s\-\u00ad\u2010]")


def squash(text: str) -> str:
    """Compare text without whitespace and hyphens (line breaks and hyphenation differ from the model)."""
    return DROPPED.sub("", text)


@dataclass
class Built:
    path: Path
    reader: PdfReader
    plumber: Any
    dests: dict[str, int]
    """Named destination (an HTML id) → 0-based page index."""
    texts: dict[int, str] = field(default_factory=dict)

    def page_of(self, anchor: str) -> int:
        return self.dests[anchor]

    def text(self, index: int) -> str:
        """The whole text of page ``index`` (0-based), extracted once per run: pdfplumber is slow."""
        if index not in self.texts:
            self.texts[index] = self.plumber.pages[index].extract_text()
        return self.texts[index]

    def all_text(self) -> dict[int, str]:
        return {n: self.text(n) for n in range(len(self.plumber.pages))}


@pytest.fixture(scope="session")
def pdf(full_build: Path) -> Any:
    out = full_build / "site" / "downloads" / PDF_NAME
    reader = PdfReader(out)
    dests = {name: reader.get_destination_page_number(d) for name, d in reader.named_destinations.items()}
    with pdfplumber.open(out) as plumber:
        yield Built(out, reader, plumber, dests)


def body_text(built: Built, first: int, stop: int) -> str:
    """The reading text of pages ``first``..``stop-1``: serif characters at body size only.

    Drops running heads, page numbers, margin ¶ numbers, [ms. N] markers, footnote calls and the
    footnotes themselves, which are all set in other sizes or faces.
    """

    def keep(obj: dict[str, Any]) -> bool:
        return obj.get("object_type") != "char" or (
            "Serif" in obj["fontname"] and BODY_SIZES[0] <= obj["size"] <= BODY_SIZES[1]
        )

    return "\n".join(built.plumber.pages[i].filter(keep).extract_text() for i in range(first, stop))


def small_text(built: Built, index: int) -> str:
    page = built.plumber.pages[index]
    return page.filter(lambda o: o.get("object_type") != "char" or o["size"] < 8.5).extract_text()


def article_pages(built: Built) -> range:
    return range(built.page_of("abstract-heading"), built.page_of("references"))


def test_every_paragraph_in_order_and_no_glyph_characters(pdf: Built, edition: Edition) -> None:
    pages = article_pages(pdf)
    stream = squash(body_text(pdf, pages.start, pages.stop))
    pos = 0
    blocks = [b for b in edition.document.blocks if b.kind != "heading"]
    assert len(blocks) == len(edition.document.paragraphs) + 1
    for block in blocks:
        found = stream.find(squash(block.text), pos)
        assert found >= 0, f"{block.id} missing or out of order: {block.text[:60]!r}"
        pos = found + len(squash(block.text))
    everything = "".join(pdf.text(i) for i in range(0, pages.stop))
    assert not [c for c in everything if is_glyph_range(c)]


def _plain(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def test_footnotes_sit_on_the_page_of_their_marker(pdf: Built, edition: Edition) -> None:
    numbers = edition.index.numbers
    section = {b.id: b.section for b in edition.document.blocks}
    assert len(edition.citations) >= 10
    for c in edition.citations:
        ident = f"{section[c.block]}-{numbers[(c.block, c.start)]}"
        page = pdf.page_of(f"fnref-{ident}")
        assert pdf.page_of(f"fn-{ident}") == page, ident
        name = squash(edition.bibliography.get(c.key).cite_name.split(" and ")[0])[:20]  # both forms open so
        assert name in squash(small_text(pdf, page)), f"footnote {ident} not on page {page + 1}"


def test_contents_page_numbers_are_the_real_pages(pdf: Built, edition: Edition, pages: tuple[Page, ...]) -> None:
    contents = pdf.text(pdf.page_of("print-contents")).splitlines()
    for anchor, title, _ in toc_entries(edition, pages):
        line = next(ln for ln in contents if ln.startswith(title))
        printed = int(re.findall(r"(\d+)\s*$", line)[0])
        assert printed == pdf.page_of(anchor) + 1, title
        heading = pdf.plumber.pages[printed - 1].filter(lambda o: o.get("object_type") != "char" or o["size"] >= 10.5)
        assert squash(title) in squash(heading.extract_text()), f"{title} is not on page {printed}"


class _Headings(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[list[Any]] = []
        self.open: list[Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("h1", "h2"):
            self.open = [int(tag[1]), "", dict(attrs)["id"]]
            self.found.append(self.open)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("h1", "h2"):
            self.open = None

    def handle_data(self, data: str) -> None:
        if self.open is not None:
            self.open[1] += data


def _flatten(reader: PdfReader, items: list[Any], level: int = 1) -> list[tuple[int, str, int]]:
    out: list[tuple[int, str, int]] = []
    for item in items:
        if isinstance(item, list):
            out += _flatten(reader, item, level + 1)
        else:
            assert isinstance(item, Destination)
            out.append((level, item.title or "", reader.get_destination_page_number(item)))
    return out


def test_bookmarks_match_the_heading_structure(pdf: Built, edition: Edition, pages: tuple[Page, ...]) -> None:
    parser = _Headings()
    parser.feed(print_html(edition, pages))
    expected = [(level, " ".join(text.split()), pdf.page_of(anchor)) for level, text, anchor in parser.found]
    outline = _flatten(pdf.reader, pdf.reader.outline)
    assert outline == expected
    top = [title for level, title, _ in outline if level == 1]
    chapters = [c.title for c in edition.document.chapters]
    assert [t for t in top if t in chapters] == chapters
    assert {"Contents", "References", "Glossary", "About this edition", "Textual notes"} <= set(top)
    assert "Apparatus" not in top  # web only: the print edition has the textual notes
    assert "Abstract" in [title for level, title, _ in outline if level == 2]


def _links(reader: PdfReader) -> tuple[list[str], list[str]]:
    internal, external = [], []
    for page in reader.pages:
        for ref in page.get("/Annots") or []:
            annot = ref.get_object()
            if annot.get("/Subtype") != "/Link":
                continue
            action = annot.get("/A")
            if action is not None and action.get("/S") == "/URI":
                external.append(str(action["/URI"]))
            elif action is not None and "/D" in action:
                internal.append(str(action["/D"]))
            else:
                internal.append(str(annot["/Dest"]))
    return internal, external


def test_every_internal_link_has_a_destination(pdf: Built, edition: Edition, pages: tuple[Page, ...]) -> None:
    internal, external = _links(pdf.reader)
    missing = sorted({name for name in internal if name not in pdf.dests})
    assert missing == []
    targets = set(internal)
    assert {anchor for anchor, _, _ in toc_entries(edition, pages)} <= targets
    assert {c.block for c in edition.citations} <= targets
    assert {e.id for e in edition.glossary} <= targets
    assert {r.key for r in edition.bibliography.references} <= targets
    assert f"https://doi.org/{edition.meta.doi}" in external
    assert edition.config.metadata.edition.site_url in external


def _fonts(reader: PdfReader) -> dict[str, Any]:
    fonts: dict[str, Any] = {}
    for page in reader.pages:
        resources = page.get("/Resources")
        font_dict = resources.get_object().get("/Font") if resources is not None else None
        for ref in (font_dict or {}).values():
            font = ref.get_object() if isinstance(ref, IndirectObject) else ref
            fonts[str(font["/BaseFont"])] = font
    return fonts


def test_fonts_are_embedded_and_ours(pdf: Built) -> None:
    fonts = _fonts(pdf.reader)
    assert fonts
    for name, font in fonts.items():
        descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        descriptor = descendant["/FontDescriptor"].get_object()
        assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor), f"{name} is not embedded"
        assert "+Edition-" in name, f"{name} is not an @font-face font of the edition"
    assert any("NotoSansSC" in name for name in fonts)
    assert any("DejaVu-Serif" in name for name in fonts)


def test_metadata_and_pdf_ua_markers(pdf: Built, edition: Edition) -> None:
    meta = pdf.reader.metadata
    assert meta is not None
    assert meta.title == edition.meta.title
    assert meta.author == edition.meta.author
    assert meta.subject == edition.config.metadata.edition.title
    assert "regime security" in (meta.get("/Keywords") or "")
    assert meta.get("/CreationDate", "").startswith("D:" + edition.config.metadata.edition.date.replace("-", ""))
    root = pdf.reader.trailer["/Root"]
    assert root["/Lang"] == "en"
    assert root["/MarkInfo"]["/Marked"] and "/StructTreeRoot" in root, "a tagged PDF"
    metadata = root["/Metadata"].get_object().get_data() if "/Metadata" in root else b""
    assert b"pdfuaid" not in metadata  # no PDF/UA-1 claim that nothing here can verify


def test_no_character_lacks_a_glyph(edition: Edition, pages: tuple[Page, ...], config: Any) -> None:
    faces = font_faces(config.root)
    assert uncovered_characters(print_html(edition, pages), faces) == []
    assert uncovered_characters("<p>\u0380</p>", faces) == ["U+0380 has no glyph in the edition's fonts"]


def test_weasyprint_failure_is_a_diagnostic(
    edition: Edition, pages: tuple[Page, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import weasyprint

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("layout exploded")

    monkeypatch.setattr(weasyprint.HTML, "render", broken)
    with pytest.raises(BuildError) as raised:
        build_pdf(edition, pages, tmp_path / "x.pdf")
    assert raised.value.codes == {"E-PDF-BUILD"}
    assert not (tmp_path / "x.pdf").exists()


GLYPH_EXAMPLE = "ĚŝůĞŵŵĂ"
"""The one marked example of the damaged text the print edition shows (Textual notes, Decoding)."""


def test_no_glyph_text_but_the_one_marked_example(pdf: Built, edition: Edition) -> None:
    pinyin = set("".join(e.pinyin for e in edition.glossary))  # tone marks share the glyph range
    pages = pdf.all_text()
    damaged = {n: "".join(c for c in text if is_glyph_range(c) and c not in pinyin) for n, text in pages.items()}
    damaged = {n: chars for n, chars in damaged.items() if chars}
    assert list(damaged) == [pdf.page_of("decoding")]
    assert set(damaged[pdf.page_of("decoding")]) <= set(GLYPH_EXAMPLE)


def test_notes_are_numbered_continuously_through_the_article(pdf: Built, edition: Edition) -> None:
    numbers = sorted(set(edition.index.numbers.values()))
    assert numbers == list(range(1, len(numbers) + 1))
    calls = {(c.block, c.marker) for c in edition.citations}
    assert len(numbers) == len(calls) < len(edition.citations)  # one note per bracket group


def test_hyphenation_is_limited(pdf: Built) -> None:
    """At most two hyphenated line ends in a row anywhere (WeasyPrint 70 has no hyphenate-limit-lines,
    so the limits in edition.css are chosen to keep it so), and none in a heading."""
    for text in pdf.all_text().values():
        run = 0
        for line in text.splitlines():
            run = run + 1 if line.rstrip().endswith("\u2010") else 0
            assert run <= 2, line


def test_qpdf_finds_no_structural_error(pdf: Built) -> None:
    """``qpdf --check`` (Debian's qpdf, in the Makefile's TEST_DEBS) passes the PDF without a warning."""
    import subprocess

    result = subprocess.run(["qpdf", "--check", str(pdf.path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No syntax or stream encoding errors found" in result.stdout


# --- short pages ---------------------------------------------------------------------------------

MM = 72 / 25.4
TEXT_TOP, TEXT_FOOT = 24 * MM, 297 * MM - 26 * MM
"""The text block's top and foot in PDF points from the page's top (``@page`` margins in edition.css)."""
MEASURE = (210 - 46 - 38) * MM
NOTE_GAP = 4 * MM
"""``@footnote { margin-top }``: the space the reading text leaves above the notes' rule."""
HEADING_SIZE = 11
"""h1 is set at 15 pt and h2 at 11 pt; a glossary term (9 pt) is an entry, not a heading."""


@dataclass(frozen=True)
class Line:
    bottom: float
    size: float
    chars: list[dict[str, Any]]


def text_lines(chars: Sequence[dict[str, Any]]) -> list[Line]:
    """Characters grouped into lines, top to bottom: a line is a run of characters whose bottoms lie
    within 2.5 pt (a raised note call is a line of its own, above the text it belongs to)."""
    groups: list[list[dict[str, Any]]] = []
    for char in sorted(chars, key=lambda c: c["bottom"]):
        if groups and char["bottom"] - groups[-1][0]["bottom"] <= 2.5:
            groups[-1].append(char)
        else:
            groups.append([char])
    return [Line(max(c["bottom"] for c in g), statistics.mode(round(c["size"], 1) for c in g), g) for g in groups]


def note_area_top(page: Any) -> float | None:
    """Where the page's notes begin: the top of the footnote area (its rule), which spans the measure
    and stands on the foot of the text block; None on a page without notes."""
    tops = [
        r["top"]
        for r in page.rects
        if r["x1"] - r["x0"] >= 0.95 * MEASURE and abs(r["bottom"] - TEXT_FOOT) < 1 and r["height"] > 1
    ]
    return min(tops, default=None)


def block_lines(page: Any) -> tuple[list[Line], float]:
    """The lines of the page's text above its notes (no running head, folio or note), and how far down
    they could reach: the foot of the text block, or the notes' rule less the space above it."""
    area = note_area_top(page)
    foot = TEXT_FOOT if area is None else area - NOTE_GAP
    chars = [
        c
        for c in page.chars
        if c["top"] >= TEXT_TOP - 4 and c["bottom"] <= TEXT_FOOT + 1 and (area is None or c["bottom"] < area)
    ]
    return text_lines(chars), foot


def line_pitch(lines: list[Line], size: float) -> float:
    """The distance from one line to the next in the page's text of this size (median within paragraphs)."""
    bottoms = [line.bottom for line in lines if line.size == size]
    steps = [b - a for a, b in itertools.pairwise(bottoms) if 0 < b - a < 1.7 * size]
    return statistics.median(steps) if steps else 1.42 * size


def starts_with_heading(page: Any) -> bool:
    lines, _ = block_lines(page)
    first = [c for c in lines[0].chars if c["text"].strip()] if lines else []
    return bool(first) and all("Sans-Bold" in c["fontname"] and c["size"] >= HEADING_SIZE - 0.1 for c in first)


def short_pages(pages: Sequence[Any]) -> list[str]:
    """Pages whose text stops two lines or more above where it could reach, though the next page does
    not start with a heading (the end of a page or section is one: the next begins with its h1).

    Less than two lines is a full page: the keep rules (orphans and widows, a footnote kept on its
    call's page) can always move one line on.
    """
    found = []
    for n, page in enumerate(pages[:-1]):
        lines, foot = block_lines(page)
        if not lines or starts_with_heading(pages[n + 1]):
            continue
        last = lines[-1]
        pitch = line_pitch(lines, last.size)
        if foot - last.bottom >= 2 * pitch:
            found.append(f"p. {n + 1} stops {(foot - last.bottom) / pitch:.1f} lines short")
    return found


def test_no_page_ends_short_except_before_a_heading(pdf: Built) -> None:
    """Issue 12: "No short pages except before a heading"; the reading text, the notes and every entry
    list fill their pages (References p. 24 and Glossary p. 29 once stopped two lines short)."""
    assert short_pages(pdf.plumber.pages) == []


def test_the_short_page_check_finds_a_short_page(edition: Edition, config: Any) -> None:
    """The check itself, on a small document laid out with the edition's stylesheet: a paragraph kept
    in one piece (``break-inside: avoid``) leaves its page short; when it may break, no page is."""
    lay = typesetter(edition, font_faces(config.root))
    filler = " ".join(f"word{n}" for n in range(300))  # about 30 lines of a page's 48

    def layout(rule: str) -> list[str]:
        kept = f'<p class="para" style="{rule}">{filler}</p>'  # does not fit under the first
        document = f'<html><body><section><p class="para">{filler}</p>{kept}{kept}</section></body></html>'
        with pdfplumber.open(io.BytesIO(lay(document, []).write_pdf())) as pdf:
            return short_pages(pdf.pages)

    assert layout("break-inside: avoid") != []
    assert layout("") == []


# --- notes placed window by window ---------------------------------------------------------------

FIXTURES = Path(__file__).parent / "fixtures"


def notes_document(pages: tuple[Page, ...]) -> pdf_stage.PrintDocument:
    """The print document of ``fixtures/pdf-notes-window.html``: one chapter section of its paragraphs."""
    lines = (FIXTURES / "pdf-notes-window.html").read_text(encoding="utf-8").splitlines()
    elements = tuple(line for line in lines if line.startswith("<p "))
    chapter = next(p for p in pages if p.kind == "chapter")
    openers = tuple((m.group(1) if (m := pdf_stage.OPENER.match(e)) else None) for e in elements)
    return pdf_stage.PrintDocument(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"></head>\n<body>\n',
        "",
        (PrintSection(chapter, '<section class="page chapter">', elements),),
        tuple((0, n) for n in range(len(elements))),
        openers,
    )


def test_notes_are_kept_on_their_call_s_page_window_by_window(
    edition: Edition, pages: tuple[Page, ...], config: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The PDF stage's window path (``pdf.place_notes``), which the edition's short notes never need.

    Eight paragraphs crowded with long notes: laid out as they are, notes leave their call's page, so
    paragraphs must be pushed to a new page, and each push is found on windows of the document (two
    elements each here, so that three pages are checked window by window as a long edition is). At the
    end every note is on the page of its call.
    """
    monkeypatch.setattr(pdf_stage, "WINDOW_ELEMENTS", 2)
    document = notes_document(pages)
    lay = typesetter(edition, font_faces(config.root))
    laid: list[tuple[bool, int]] = []

    def spy(html: str, pushed: Sequence[str]) -> Any:
        laid.append((html == document.html(), len(pushed)))
        return lay(html, pushed)

    blocks = [ident for ident in document.openers if ident]
    rendered, pushed = pdf_stage.keep_notes(document, spy, blocks, Location("pdf-notes-window.html"))
    assert len(pushed) >= 2, "the notes should need more than one push"
    assert [whole for whole, _ in laid].count(False) >= 2, "the pushes should be found on windows"
    placed = pdf_stage.Placement(rendered)
    calls = [name[len("fnref-") :] for name in placed.first if name.startswith("fnref-")]
    assert len(calls) == document.html().count('class="fn"') > 0
    assert {n: placed.last[f"fn-{n}"] for n in calls} == {n: placed.last[f"fnref-{n}"] for n in calls}
    first = pdf_stage.Placement(lay(document.html(), []))
    assert any(first.last.get(f"fn-{n}") != first.last[f"fnref-{n}"] for n in calls), "without pushes a note strays"
