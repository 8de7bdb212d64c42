"""PDF stage: the edition model → one print HTML document → WeasyPrint (CSS Paged Media) → PDF.

The print edition is the site's own pages: each page's one Markdown source (:mod:`build_scripts.pages`)
rendered for print by :mod:`build_scripts.printmd`; only the title page and the contents page are
print-only, and are made here. Fonts are declared with
``@font-face`` on known files only (DejaVu from Debian, the bundled CJK subset); a character that
none of them covers stops the build rather than falling back to whatever the machine has. The PDF
is deterministic: its dates are the edition's date and its identifier is a hash of its content.
"""

from __future__ import annotations

import hashlib
import html
import logging
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from .diagnostics import BuildError, Diagnostic, Location
from .edition import Edition
from .pages import Page
from .printmd import PrintSection, print_sections

PRINT_DIR = Path(__file__).resolve().parent / "print"
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
CJK_FONT = Path("docs/assets/fonts/NotoSansSC-edition.otf")
#: Every @font-face family starts so; WeasyPrint names embedded fonts after the family.
FAMILY_PREFIX = "Edition-"
#: No PDF/UA-1 claim: WeasyPrint 70 tags notes as plain spans and writes no per-element /Lang, and no
#: validator (veraPDF) runs here to prove conformance. The PDF is tagged (structure tree) without the claim.
PDF_VARIANT = None
#: No ``pdf_identifier``: pydyf would serialise and compress every object a second time to hash it
#: (a fifth of writing the PDF); :func:`with_identifier` hashes the written file instead.
PDF_OPTIONS: dict[str, Any] = {"pdf_tags": True, "pdf_identifier": False, "uncompressed_pdf": False}
#: Layouts of the whole document (each then mended window by window); the second normally keeps every note.
MAX_LAYOUTS = 4
#: Top-level elements (mostly paragraphs) in a window of the notes: about ten pages of the article.
WINDOW_ELEMENTS = 30


@dataclass(frozen=True, slots=True)
class FontFace:
    """One ``@font-face``: a CSS family and style backed by one font file."""

    family: str
    path: Path
    weight: str = "normal"
    style: str = "normal"


def font_faces(root: Path) -> tuple[FontFace, ...]:
    """Every font the PDF may use: DejaVu (fonts-dejavu-core/-extra) and the bundled CJK subset."""
    return (
        FontFace("Edition DejaVu Serif", DEJAVU / "DejaVuSerif.ttf"),
        FontFace("Edition DejaVu Serif", DEJAVU / "DejaVuSerif-Italic.ttf", style="italic"),
        FontFace("Edition DejaVu Serif", DEJAVU / "DejaVuSerif-Bold.ttf", weight="bold"),
        FontFace("Edition DejaVu Serif", DEJAVU / "DejaVuSerif-BoldItalic.ttf", "bold", "italic"),
        FontFace("Edition DejaVu Sans", DEJAVU / "DejaVuSans.ttf"),
        FontFace("Edition DejaVu Sans", DEJAVU / "DejaVuSans-Oblique.ttf", style="italic"),
        FontFace("Edition DejaVu Sans", DEJAVU / "DejaVuSans-Bold.ttf", weight="bold"),
        FontFace("Edition NotoSansSC", root / CJK_FONT),
    )


def build_pdf(edition: Edition, pages: tuple[Page, ...], out: Path) -> Path:
    """Write the print edition to ``out``; any WeasyPrint error or warning, or a font not ours, stops the build."""
    where = Location(str(out))
    faces = font_faces(edition.config.root)
    missing = [f.path for f in faces if not f.path.is_file()]
    if missing:
        raise BuildError([Diagnostic("E-PDF-BUILD", where, f"font file missing: {p}") for p in missing])
    document = print_document(edition, pages)
    problems = [Diagnostic("E-PDF-BUILD", where, msg) for msg in uncovered_characters(document.html(), faces)]
    if problems:
        raise BuildError(problems)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with _weasyprint_log() as messages:
        try:
            rendered, _ = render(document, edition, faces, where)
            tmp.write_bytes(with_identifier(rendered.write_pdf(pdf_variant=PDF_VARIANT, **PDF_OPTIONS)))
        except BuildError:
            raise
        except Exception as exc:
            tmp.unlink(missing_ok=True)
            raise BuildError([Diagnostic("E-PDF-BUILD", where, f"WeasyPrint failed: {exc!r}")]) from exc
    messages += [f"font {name} is not one of the edition's @font-face fonts" for name in foreign_fonts(rendered)]
    if messages:
        tmp.unlink(missing_ok=True)
        raise BuildError([Diagnostic("E-PDF-BUILD", where, f"WeasyPrint: {m}") for m in messages])
    tmp.replace(out)
    return out


#: A few lines in every face and in the note style: what :func:`warm_up` lays out and throws away.
WARM_UP_HTML = (
    '<h1>Warm-up</h1><p class="para">Roman <em>italic</em> <strong>bold <em>italic</em></strong> '
    '<span class="hanzi">文化</span><span class="fn" data-n="1">A note, <em>italic</em>.</span></p>'
)


def warm_up(root: Path) -> None:
    """Load WeasyPrint, the fonts' character maps and Pango's caches before the edition exists.

    The print process (:mod:`build_scripts.printjob`) runs this while the build's own process runs
    the text stages, so the PDF stage proper starts with all of it loaded. The layout is thrown
    away; a missing font file is left for :func:`build_pdf` to report.
    """
    faces = font_faces(root)
    if not all(f.path.is_file() for f in faces):
        return
    covered(faces)
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    stylesheets = [
        CSS(string=face_rules(faces), font_config=fonts),
        CSS(filename=str(PRINT_DIR / "edition.css"), font_config=fonts),
    ]
    with _weasyprint_log():
        rendered = HTML(string=WARM_UP_HTML, base_url=str(root)).render(stylesheets=stylesheets, font_config=fonts)
        rendered.write_pdf(pdf_variant=PDF_VARIANT, **PDF_OPTIONS)


def render(
    document: PrintDocument, edition: Edition, faces: tuple[FontFace, ...], where: Location
) -> tuple[Any, list[str]]:
    """Lay the document out with every footnote on its call's page (:func:`keep_notes`)."""
    blocks = [b.id for b in edition.document.blocks if b.kind != "heading"]
    return keep_notes(document, typesetter(edition, faces), blocks, where)


def keep_notes(
    document: PrintDocument, lay: Typesetter, blocks: Sequence[str], where: Location
) -> tuple[Any, list[str]]:
    """The layout with every footnote on its call's page, and the blocks pushed to get it.

    WeasyPrint moves the last footnotes of a page to the next one to fit the first lines of a
    paragraph at the foot of the page; starting that paragraph on the next page instead (a *push*,
    ``break-before: page``) keeps every footnote on its call's page (a note it sometimes drops from a
    crowded page counts the same). With short notes (full reference once, name and year after) the
    first layout normally keeps every note on its page, so the edition is laid out once; otherwise
    :func:`place_notes` finds the pushes (among ``blocks``) on windows of the document and it is
    laid out once more.
    """
    pushed: list[str] = []
    for _ in range(MAX_LAYOUTS):
        rendered = lay(document.html(), pushed)
        stray = Placement(rendered).first_stray(0)
        if stray is None:
            return rendered, pushed
        pushed = place_notes(
            document, lay, [*pushed, _push(Placement(rendered), stray, blocks, pushed, where)], blocks, where
        )
    raise BuildError([Diagnostic("E-PDF-BUILD", where, f"footnotes left their call's page; pushed {pushed}")])


Typesetter = Callable[[str, Sequence[str]], Any]
"""Lays out an HTML document with the given blocks pushed to a new page; returns WeasyPrint's document."""


def typesetter(edition: Edition, faces: tuple[FontFace, ...]) -> Typesetter:
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    def lay(document: str, pushed: Sequence[str]) -> Any:
        fonts = FontConfiguration()
        extra = "".join(f"#{ident} {{ break-before: page; }}\n" for ident in pushed)
        stylesheets = [
            CSS(string=font_css(faces, edition) + extra, font_config=fonts),
            CSS(filename=str(PRINT_DIR / "edition.css"), font_config=fonts),
        ]
        return HTML(string=document, base_url=str(edition.config.root)).render(
            stylesheets=stylesheets, font_config=fonts, pdf_variant=PDF_VARIANT, pdf_tags=True
        )

    return lay


class Placement:
    """Where one layout put each id: the first and last page it is on, and whether it opens its first page."""

    def __init__(self, rendered: Any) -> None:
        self.first: dict[str, int] = {}
        self.last: dict[str, int] = {}
        self.opens: set[str] = set()
        self.pages = len(rendered.pages)
        for n, page in enumerate(rendered.pages):
            top = min((box[1] for box in page.anchors.values()), default=0.0)
            for name, (_, y, *_) in page.anchors.items():
                if name not in self.first:
                    self.first[name] = n
                    if y <= top + 0.5:
                        self.opens.add(name)
                self.last[name] = n

    def first_stray(self, start: int, stop: int | None = None) -> int | None:
        """The first page in ``start…stop`` with a footnote call whose note is not on it (or nowhere)."""
        stop = self.pages if stop is None else stop
        pages = [
            page
            for name, page in self.last.items()
            if name.startswith("fnref-") and page != self.last.get("fn-" + name[6:]) and start <= page < stop
        ]
        return min(pages, default=None)


def _push(placed: Placement, page: int, blocks: Sequence[str], pushed: Sequence[str], where: Location) -> str:
    """The block to start on a new page to keep the notes of ``page``: the last that starts there, else the last
    that ends there (WeasyPrint moved the notes to fit that block's first or last lines)."""
    starting = [b for b in blocks if placed.first.get(b) == page][-1:]
    ending = [b for b in blocks if placed.last.get(b) == page][-1:]
    new = [b for b in starting + ending if b not in pushed]
    if not new:
        message = f"footnotes left their call's page {page + 1} and no block is left to push; pushed {list(pushed)}"
        raise BuildError([Diagnostic("E-PDF-BUILD", where, message)])
    return new[0]


def place_notes(
    document: PrintDocument, lay: Typesetter, pushed: Sequence[str], blocks: Sequence[str], where: Location
) -> list[str]:
    """``pushed`` and every push the notes need after its last block, found on windows of the document.

    A pushed block starts a page, so the layout from it on does not depend on what comes before; nor
    does it after a paragraph that opens a page with no note carried over. A window of the notes
    (front page and chapters) from such a block is therefore laid out as in the whole document, but
    for its last two pages, which miss what follows. Each window is checked up to those; the next
    starts at the block pushed to mend a stray note, else at the last paragraph opening a checked
    page, else (none) the window doubles. Every window moves on or grows, and a window is laid out
    again only from a page it checked, so the windows cost a bounded multiple of the notes' length:
    the stage stays linear in the edition, where laying the whole edition out again per round of
    pushes grew with its square (a push moves every later page, so a longer edition needs more rounds).
    """
    found = list(pushed)
    while (block := _next_push(document, lay, found, blocks, where)) is not None:
        found.append(block)
    return found


def _next_push(
    document: PrintDocument, lay: Typesetter, pushed: list[str], blocks: Sequence[str], where: Location
) -> str | None:
    """Lay out windows from the last pushed block; the next block to push, or None if every later note stays."""
    anchor = pushed[-1]
    start, span, end = document.element_of(anchor), WINDOW_ELEMENTS, len(document.notes)
    while True:
        stop = min(start + span, end)
        placed = Placement(lay(document.window(start, stop), pushed))
        first, checked = placed.first[anchor], placed.pages if stop == end else placed.pages - 2
        stray = placed.first_stray(first, checked)
        if stray is not None:
            return _push(placed, stray, blocks, pushed, where)
        if stop == end:
            return None
        openers = [
            n
            for n in range(start + 1, stop)
            if (ident := document.openers[n]) in placed.opens and first < placed.first[ident] < checked
        ]
        if openers:
            start, anchor, span = openers[-1], document.openers[openers[-1]] or "", WINDOW_ELEMENTS
        else:
            span *= 2


def with_identifier(pdf: bytes) -> bytes:
    """The PDF with a file identifier (trailer ``/ID``): twice the MD5 of the file as written without one.

    The trailer is the dictionary of the cross-reference stream, the file's last object, which
    ``startxref`` points to; the entry goes at the end of that dictionary, so no offset moves.
    """
    xref = int(pdf[pdf.rindex(b"startxref") + len(b"startxref") :].split()[0])
    end = pdf.index(b">>\nstream", xref)
    digest = hashlib.md5(pdf).hexdigest().encode("ascii")  # an identifier, not a security measure
    return pdf[:end] + b"/ID [(" + digest + b") (" + digest + b")]" + pdf[end:]


def foreign_fonts(rendered: Any) -> list[str]:
    """Fonts in the PDF that do not come from our ``@font-face`` rules (a system fallback)."""
    names = sorted({font.name.decode("ascii", "replace").split("+", 1)[-1] for font in rendered.fonts.values()})
    return [n for n in names if not n.startswith(FAMILY_PREFIX)]


@contextmanager
def _weasyprint_log() -> Iterator[list[str]]:
    """Collect WeasyPrint's warnings and errors (unknown CSS, unloadable fonts, broken links)."""
    messages: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    logger = logging.getLogger("weasyprint")
    handler = Collect(logging.WARNING)
    logger.addHandler(handler)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)


def face_rules(faces: tuple[FontFace, ...]) -> str:
    """``@font-face`` rules for the known font files."""
    return "".join(
        f'@font-face {{ font-family: "{f.family}"; src: url("{f.path.as_uri()}"); '
        f"font-weight: {f.weight}; font-style: {f.style}; }}\n"
        for f in faces
    )


def font_css(faces: tuple[FontFace, ...], edition: Edition) -> str:
    """``@font-face`` rules for the known font files, and the running head's short title."""
    short = edition.config.metadata.edition.short_title.replace("\\", "\\\\").replace('"', '\\"')
    return face_rules(faces) + f'@page {{ @top-right {{ content: "{short}"; }} }}\n'


# --- glyph coverage ----------------------------------------------------------------------------


@cache
def _cmap(path: Path) -> frozenset[int]:
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

    with TTFont(str(path), lazy=True) as font:
        return frozenset(font.getBestCmap())


def covered(faces: tuple[FontFace, ...]) -> frozenset[int]:
    """Code points some edition font has a glyph for."""
    out: set[int] = set()
    for f in faces:
        out |= _cmap(f.path)
    return frozenset(out)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.skip += tag in ("style", "script")

    def handle_endtag(self, tag: str) -> None:
        self.skip -= tag in ("style", "script")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.chunks.append(data)


def document_text(document: str) -> str:
    """The character content of an HTML document."""
    parser = _Text()
    parser.feed(document)
    parser.close()
    return "".join(parser.chunks)


def uncovered_characters(document: str, faces: tuple[FontFace, ...]) -> list[str]:
    """One message per character of the document that no edition font can draw."""
    have = covered(faces)
    chars = sorted({c for c in document_text(document) if ord(c) not in have and c not in "\n\r\t"})
    return [f"U+{ord(c):04X} has no glyph in the edition's fonts" for c in chars]


# --- the print document ------------------------------------------------------------------------

#: Ids of the print-only parts (title page, contents); no page may use them.
PRINT_IDS = ("title-page", "title-page-heading", "print-contents")


def esc(text: str) -> str:
    return html.escape(text, quote=True)


@dataclass(frozen=True, slots=True)
class PrintDocument:
    """The print edition's HTML, kept in parts so that a stretch of the notes can be laid out on its own."""

    head: str
    """From ``<!DOCTYPE html>`` to ``<body>``."""
    front_matter: str
    """The print-only title page and contents ("" in a document of the notes only)."""
    sections: tuple[PrintSection, ...]
    notes: tuple[tuple[int, int], ...]
    """(section, element) of every top-level element of the pages that carry notes (front page and
    chapters, which come before every back page), in order."""
    openers: tuple[str | None, ...]
    """The id of each of :attr:`notes` that may open a window: a paragraph of the reading text."""

    def html(self) -> str:
        return self.head + self.front_matter + "\n".join(s.html() for s in self.sections) + TAIL

    def window(self, start: int, stop: int) -> str:
        """A document of ``notes[start:stop]`` alone, each element in its own section as in the whole."""
        spans: dict[int, list[int]] = {}
        for section, element in self.notes[start:stop]:
            spans.setdefault(section, []).append(element)
        parts = [self.sections[s].html(e[0], e[-1] + 1) for s, e in spans.items()]
        return self.head + "\n".join(parts) + TAIL

    def element_of(self, ident: str) -> int:
        """The index in :attr:`notes` of the top-level element that holds ``id="ident"``."""
        needle = f'id="{ident}"'
        return next(n for n, (s, e) in enumerate(self.notes) if needle in self.sections[s].elements[e])


TAIL = "\n</body></html>\n"
OPENER = re.compile(r'<p id="([^"]+)" class="para"')


def print_document(edition: Edition, pages: tuple[Page, ...], *, notes_only: bool = False) -> PrintDocument:
    """The whole print edition: title page, contents, then every printed page (see :func:`print_html`)."""
    m = edition.meta
    ed = edition.config.metadata.edition
    if notes_only:
        pages = tuple(p for p in pages if p.kind != "back")
    sections, problems = print_sections(pages, ed.site_url, PRINT_IDS)
    if problems:
        raise BuildError(problems)
    head = (
        f"<title>{esc(m.title)}</title>"
        f'<meta name="author" content="{esc(m.author)}">'
        f'<meta name="description" content="{esc(ed.title)}">'
        f'<meta name="keywords" content="{esc(", ".join(m.keywords))}">'
        f'<meta name="dcterms.created" content="{esc(ed.date)}">'
        f'<meta name="dcterms.modified" content="{esc(ed.date)}">'
    )
    notes = tuple((n, e) for n, s in enumerate(sections) if s.page.kind != "back" for e in range(len(s.elements)))
    if any(s.page.kind == "back" for s in sections[: notes[-1][0] if notes else 0]):
        raise BuildError([Diagnostic("E-PDF-BUILD", Location("print document"), "a back page precedes a chapter")])
    openers = tuple((o.group(1) if (o := OPENER.match(sections[s].elements[e])) else None) for s, e in notes)
    return PrintDocument(
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">{head}</head>\n<body>\n',
        "" if notes_only else title_page(edition) + "\n" + contents(edition, pages) + "\n",
        sections,
        notes,
        openers,
    )


def print_html(edition: Edition, pages: tuple[Page, ...], *, notes_only: bool = False) -> str:
    """The whole print edition as one HTML document: title page, contents, then every printed page.

    The pages are the site's own Markdown, rendered by :func:`build_scripts.printmd.print_sections`.
    ``notes_only`` gives just the pages that carry notes (front page and chapters), laid out as in
    the whole document (a page break sets them apart from the contents and the back pages).
    """
    return print_document(edition, pages, notes_only=notes_only).html()


def _long_date(iso: str) -> str:
    d = date.fromisoformat(iso)
    return f"{d.day} {d.strftime('%B')} {d.year}"


def title_page(edition: Edition) -> str:
    m = edition.meta
    ed = edition.config.metadata.edition
    doi = f"https://doi.org/{m.doi}"
    return f"""<section class="title-page" id="title-page">
<h1 id="title-page-heading">{esc(m.title)}</h1>
<p class="author">{esc(m.author)}</p>
<p class="affiliation">{esc(m.affiliation)}</p>
<p class="citation"><em>{esc(m.journal)}</em> {esc(m.volume)}({esc(m.issue)}), {esc(m.year)},
pp. {esc(m.first_page)}–{esc(m.last_page)}. {esc(m.publisher)}.</p>
<p class="citation">DOI: <a href="{esc(doi)}">{esc(m.doi)}</a></p>
<p class="edition-name">{esc(ed.title)}</p>
<p class="edition-line">{esc(ed.editors)} · version {esc(ed.version)} · {_long_date(ed.date)}</p>
<p class="stable-url">Stable URL: <a href="{esc(ed.site_url)}">{esc(ed.site_url)}</a></p>
<p class="source-note">{esc(ed.source_note)} Paragraph numbers (¶) and manuscript page markers
([ms.&#160;N]) are the same as in the online edition. The Textual notes list what the edition changed and
why; the full record of every change is the Apparatus of the online edition.</p>
</section>"""


def toc_entries(edition: Edition, pages: tuple[Page, ...]) -> list[tuple[str, str, str]]:
    """(anchor, title, css class) of each Contents line, in reading order: abstract, chapters, back pages."""
    rows = [("abstract-heading", "Abstract", "")]
    rows += [(c.id, c.title, "editorial" if c.editorial else "") for c in edition.document.chapters]
    rows += [(f"page-{p.spec.id}", p.title, "part") for p in pages if p.kind == "back" and p.in_print]
    return rows


def contents(edition: Edition, pages: tuple[Page, ...]) -> str:
    items = []
    for anchor, title, cls in toc_entries(edition, pages):
        note = ' <span class="supplied">(heading supplied by the edition)</span>' if cls == "editorial" else ""
        items.append(f'<li class="{cls}"><a href="#{anchor}">{esc(title)}{note}</a></li>')
    return (
        '<nav class="toc new-page">\n<h1 id="print-contents">Contents</h1>\n<ol>\n'
        + "\n".join(items)
        + "\n</ol>\n</nav>"
    )
