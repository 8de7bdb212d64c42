"""PDF stage: the edition model → one print HTML document → WeasyPrint (CSS Paged Media) → PDF.

The print edition is the site's own pages: each page's one Markdown source (:mod:`build_scripts.pages`)
rendered for print by :mod:`build_scripts.printmd`; only the title page and the contents page are
print-only, and are made here. Fonts are declared with
``@font-face`` on known files only (DejaVu from Debian, the bundled CJK subset); a character that
none of them covers stops the build rather than falling back to whatever the machine has. The PDF
is deterministic: its dates are the edition's date and its identifier is a hash of its content.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Iterator, Sequence
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
from .printmd import print_pages

PRINT_DIR = Path(__file__).resolve().parent / "print"
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
CJK_FONT = Path("docs/assets/fonts/NotoSansSC-edition.otf")
#: Every @font-face family starts so; WeasyPrint names embedded fonts after the family.
FAMILY_PREFIX = "Edition-"
#: No PDF/UA-1 claim: WeasyPrint 70 tags notes as plain spans and writes no per-element /Lang, and no
#: validator (veraPDF) runs here to prove conformance. The PDF is tagged (structure tree) without the claim.
PDF_VARIANT = None
PDF_OPTIONS: dict[str, Any] = {"pdf_tags": True, "pdf_identifier": True, "uncompressed_pdf": False}
MAX_LAYOUTS = 6


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
    document = print_html(edition, pages)
    problems = [Diagnostic("E-PDF-BUILD", where, msg) for msg in uncovered_characters(document, faces)]
    if problems:
        raise BuildError(problems)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with _weasyprint_log() as messages:
        try:
            rendered, _ = render(document, edition, faces, where)
            rendered.write_pdf(tmp, pdf_variant=PDF_VARIANT, **PDF_OPTIONS)
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


def render(
    document: str, edition: Edition, faces: tuple[FontFace, ...], where: Location, pushed: Sequence[str] = ()
) -> tuple[Any, list[str]]:
    """Lay the document out; push a block to the next page when its footnote did not stay with its call.

    WeasyPrint moves the last footnotes of a page to the next one to fit the first line of a
    paragraph at the foot of the page; starting that paragraph on the next page instead keeps
    every footnote on its call's page (a note it sometimes drops from a crowded page counts the same).
    Every such page is mended in one layout, so the layouts needed do not grow with the edition (a
    push shifts what follows, so a later page may need another round). Layout is deterministic, and so
    are these breaks. Returns the layout and every block pushed (``pushed``, then new ones). With
    short notes (full reference once, name and year after) the first layout normally keeps every
    note on its page, so the edition is laid out once.
    """
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    pushed = list(pushed)
    for _ in range(MAX_LAYOUTS):
        fonts = FontConfiguration()
        extra = "".join(f"#{ident} {{ break-before: page; }}\n" for ident in pushed)
        stylesheets = [
            CSS(string=font_css(faces, edition) + extra, font_config=fonts),
            CSS(filename=str(PRINT_DIR / "edition.css"), font_config=fonts),
        ]
        rendered = HTML(string=document, base_url=str(edition.config.root)).render(
            stylesheets=stylesheets, font_config=fonts, pdf_variant=PDF_VARIANT, pdf_tags=True
        )
        page_of = {name: n for n, page in enumerate(rendered.pages) for name in page.anchors}
        strays = sorted(  # a note WeasyPrint could not place at all counts as strayed from its call's page
            {
                page
                for name, page in page_of.items()
                if name.startswith("fnref-") and page != page_of.get("fn-" + name[6:])
            }
        )
        if not strays:
            return rendered, pushed
        blocks = [b.id for b in edition.document.blocks if b.kind != "heading"]
        last = {page: b for b in blocks if (page := page_of.get(b)) in strays}  # the last block of each page
        new = [b for b in last.values() if b not in pushed]
        if not new:
            break
        pushed += new
    raise BuildError([Diagnostic("E-PDF-BUILD", where, f"footnotes left their call's page; pushed {pushed}")])


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


def font_css(faces: tuple[FontFace, ...], edition: Edition) -> str:
    """``@font-face`` rules for the known font files, and the running head's short title."""
    rules = [
        f'@font-face {{ font-family: "{f.family}"; src: url("{f.path.as_uri()}"); '
        f"font-weight: {f.weight}; font-style: {f.style}; }}"
        for f in faces
    ]
    short = edition.config.metadata.edition.short_title.replace("\\", "\\\\").replace('"', '\\"')
    rules.append(f'@page {{ @top-right {{ content: "{short}"; }} }}')
    return "\n".join(rules) + "\n"


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


def print_html(edition: Edition, pages: tuple[Page, ...], *, notes_only: bool = False) -> str:
    """The whole print edition as one HTML document: title page, contents, then every printed page.

    The pages are the site's own Markdown, rendered by :func:`build_scripts.printmd.print_pages`.
    ``notes_only`` gives just the pages that carry notes (front page and chapters), laid out as in
    the whole document, for :func:`render` to place the notes quickly.
    """
    m = edition.meta
    ed = edition.config.metadata.edition
    if notes_only:
        pages = tuple(p for p in pages if p.kind != "back")
    body, problems = print_pages(pages, ed.site_url, PRINT_IDS)
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
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">{head}</head>\n<body>\n'
        + ("" if notes_only else title_page(edition) + "\n" + contents(edition, pages) + "\n")
        + body
        + "\n</body></html>\n"
    )


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
