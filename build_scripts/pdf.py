"""PDF stage: the edition model → one print HTML document → WeasyPrint (CSS Paged Media) → PDF.

The print edition is rendered from the same records as the site: block text and its inline marks
go through :func:`build_scripts.inline.to_html` (so there is no second copy of the text), footnotes
carry the same formatted reference as the site's, and the method page is the site's own Markdown
(:func:`build_scripts.emit.about_page`) rendered by Python-Markdown. Fonts are declared with
``@font-face`` on known files only (DejaVu from Debian, the bundled CJK subset); a character that
none of them covers stops the build rather than falling back to whatever the machine has. The PDF
is deterministic: its dates are the edition's date and its identifier is a hash of its content.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from .citations import Citation
from .diagnostics import BuildError, Diagnostic, Location
from .edition import Edition, EditionIndex
from .emit import KIND_LABELS, about_page, block_marks, footnote_body
from .inline import Mark, page_marker, to_html
from .model import Block, Chapter, Intervention

PRINT_DIR = Path(__file__).resolve().parent / "print"
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
CJK_FONT = Path("docs/assets/fonts/NotoSansSC-edition.otf")
#: Every @font-face family starts so; WeasyPrint names embedded fonts after the family.
FAMILY_PREFIX = "Edition-"
PDF_VARIANT = "pdf/ua-1"
EDITORIAL_NOTE = "Heading supplied by the edition: the manuscript’s opening section is untitled."
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


def build_pdf(edition: Edition, out: Path) -> Path:
    """Write the print edition to ``out``; any WeasyPrint error or warning, or a font not ours, stops the build."""
    where = Location(str(out))
    faces = font_faces(edition.config.root)
    missing = [f.path for f in faces if not f.path.is_file()]
    if missing:
        raise BuildError([Diagnostic("E-PDF-BUILD", where, f"font file missing: {p}") for p in missing])
    document = print_html(edition)
    problems = [Diagnostic("E-PDF-BUILD", where, msg) for msg in uncovered_characters(document, faces)]
    if problems:
        raise BuildError(problems)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with _weasyprint_log() as messages:
        try:
            rendered = render(document, edition, faces, where)
            rendered.write_pdf(tmp, pdf_variant=PDF_VARIANT, pdf_identifier=True, uncompressed_pdf=False)
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


def render(document: str, edition: Edition, faces: tuple[FontFace, ...], where: Location) -> Any:
    """Lay the document out; push a block to the next page when its footnote did not stay with its call.

    WeasyPrint moves the last footnotes of a page to the next one to fit the first line of a
    paragraph at the foot of the page; starting that paragraph on the next page instead keeps
    every footnote on its call's page. One page is mended per layout (a push shifts what follows).
    Layout is deterministic, and so are these breaks.
    """
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    pushed: list[str] = []
    for _ in range(MAX_LAYOUTS):
        fonts = FontConfiguration()
        extra = "".join(f"#{ident} {{ break-before: page; }}\n" for ident in pushed)
        stylesheets = [
            CSS(string=font_css(faces, edition) + extra, font_config=fonts),
            CSS(filename=str(PRINT_DIR / "edition.css"), font_config=fonts),
        ]
        rendered = HTML(string=document, base_url=str(edition.config.root)).render(
            stylesheets=stylesheets, font_config=fonts, pdf_variant=PDF_VARIANT
        )
        page_of = {name: n for n, page in enumerate(rendered.pages) for name in page.anchors}
        strays = sorted(
            {page for name, page in page_of.items() if name.startswith("fnref-") and page != page_of["fn-" + name[6:]]}
        )
        if not strays:
            return rendered
        blocks = [b.id for b in edition.document.blocks if b.kind != "heading"]
        last = [b for b in blocks if page_of.get(b) == strays[0]][-1:]
        if not last or last[0] in pushed:
            break
        pushed += last
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


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def print_html(edition: Edition) -> str:
    """The whole print edition as one HTML document."""
    m = edition.meta
    ed = edition.config.metadata.edition
    index = edition.index
    parts = [
        title_page(edition),
        contents(edition),
        front(edition, index),
        *(chapter_html(edition, c, index) for c in edition.document.chapters),
        references_html(edition),
        glossary_html(edition),
        about_html(edition),
        apparatus_html(edition, index),
    ]
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
        + "\n".join(parts)
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
<h1 id="title">{esc(m.title)}</h1>
<p class="author">{esc(m.author)}</p>
<p class="affiliation">{esc(m.affiliation)}</p>
<p class="citation"><em>{esc(m.journal)}</em> {esc(m.volume)}({esc(m.issue)}), {esc(m.year)},
pp. {esc(m.first_page)}–{esc(m.last_page)}. {esc(m.publisher)}.</p>
<p class="citation">DOI: <a href="{esc(doi)}">{esc(m.doi)}</a></p>
<p class="edition-name">{esc(ed.title)}</p>
<p class="edition-line">{esc(ed.editors)} · version {esc(ed.version)} · {_long_date(ed.date)}</p>
<p class="stable-url">Stable URL: <a href="{esc(ed.site_url)}">{esc(ed.site_url)}</a></p>
<p class="source-note">{esc(ed.source_note)} Paragraph numbers (¶) and manuscript page markers
([ms.&#160;N]) are the same as in the online edition; every intervention is listed in the Apparatus.</p>
</section>"""


def toc_entries(edition: Edition) -> list[tuple[str, str, str]]:
    """(anchor, title, css class) of each Contents line, in reading order."""
    rows = [("abstract-heading", "Abstract", "")]
    rows += [(c.id, c.title, "editorial" if c.editorial else "") for c in edition.document.chapters]
    rows += [(p, t, "part") for p, t in BACK_MATTER]
    return rows


BACK_MATTER = (
    ("references", "References"),
    ("glossary", "Glossary"),
    ("about", "About this edition"),
    ("apparatus", "Apparatus"),
)


def contents(edition: Edition) -> str:
    items = []
    for anchor, title, cls in toc_entries(edition):
        note = ' <span class="supplied">(heading supplied by the edition)</span>' if cls == "editorial" else ""
        items.append(f'<li class="{cls}"><a href="#{anchor}">{esc(title)}{note}</a></li>')
    return '<nav class="toc new-page">\n<h1 id="contents">Contents</h1>\n<ol>\n' + "\n".join(items) + "\n</ol>\n</nav>"


def _footnotes(edition: Edition, block: Block, index: EditionIndex) -> Callable[[Mark], str]:
    by_number = {str(index.numbers[(c.block, c.start)]): c for c in index.citations.get(block.id, ())}

    def render(mark: Mark) -> str:
        return footnote_html(edition, block.section, by_number[mark.target], mark.target)

    return render


def footnote_html(edition: Edition, section: str, citation: Citation, number: str) -> str:
    """An in-flow footnote (``float: footnote``) with the same reference as the site's footnote."""
    ref = edition.bibliography.get(citation.key)
    parts = footnote_body(citation, ref, ref.html, esc)
    parts.append(f'<a class="to-ref" href="#ref-{esc(ref.key)}">→&#160;References</a>')
    ident = f"{section}-{number}"
    return (
        f'<span class="fnref" id="fnref-{ident}"></span>'
        f'<span class="fn" id="fn-{ident}" data-n="{number}">{" ".join(parts)}</span>'
    )


def block_html(edition: Edition, block: Block, index: EditionIndex) -> str:
    """One block of the reading text; the marks are the site's (:func:`~build_scripts.emit.block_marks`)."""
    if block.kind == "heading":
        cls = "chapter-title editorial" if block.editorial else "chapter-title"
        out = f'<h1 class="{cls}" id="{block.id}">{esc(block.text)}</h1>'
        ms = " ".join(page_marker(p.page) for p in block.pages)
        if ms:
            out += f'\n<p class="ms-line">{ms}</p>'
        if block.editorial:
            out += f'\n<p class="editorial-note">* {EDITORIAL_NOTE}</p>'
        return out
    body = to_html(block.text, block_marks(block, index), footnote_html=_footnotes(edition, block, index))
    if block.kind == "abstract":
        return f'<p class="abstract" id="{block.id}">{body}</p>'
    pnum = f'<span class="pnum">¶{block.number}</span>'
    tag = "blockquote" if block.kind == "quote" else "p"
    return f'<{tag} class="para {block.kind}" id="{block.id}">{pnum}{body}</{tag}>'


def front(edition: Edition, index: EditionIndex) -> str:
    keywords = "; ".join(edition.meta.keywords)
    return (
        '<section class="front new-page">\n<h1 id="abstract-heading">Abstract</h1>\n'
        + block_html(edition, edition.document.abstract, index)
        + f'\n<p class="keywords" id="keywords"><strong>Keywords:</strong> {esc(keywords)}</p>\n</section>'
    )


def chapter_html(edition: Edition, chapter: Chapter, index: EditionIndex) -> str:
    blocks = "\n".join(block_html(edition, b, index) for b in chapter.blocks)
    return f'<section class="chapter" id="chapter-{chapter.id}">\n{blocks}\n</section>'


def _backlinks(blocks: tuple[Block, ...]) -> str:
    return ", ".join(
        f'<a href="#{b.id}">¶{b.number}</a>' if b.number else f'<a href="#{b.id}">abstract</a>' for b in blocks
    )


def references_html(edition: Edition) -> str:
    where = edition.index.citing_blocks
    out = [
        '<section class="references new-page">\n<h1 id="references">References</h1>',
        "<p>The manuscript lost its reference list. This list is rebuilt from public records (see About this "
        "edition); each entry is marked by how sure the edition is that it is the work the author cited: "
        '<span class="status status-verified">verified</span> details confirmed in a public record; '
        '<span class="status status-candidate">candidate</span> the work exists but may not be the one cited; '
        '<span class="status status-unidentified">unidentified</span> not identified, the entry gives what the '
        "article says of it.</p>",
    ]
    for ref in edition.bibliography.references:
        note = f' <span class="ref-note">{esc(ref.note)}</span>' if ref.note else ""
        out.append(
            f'<p class="reference" id="ref-{esc(ref.key)}">'
            f'<span class="status status-{ref.status}">{ref.status}</span> '
            f'{ref.html}{note} <span class="backlinks">Cited in: {_backlinks(where.get(ref.key, ()))}.'
            "</span></p>"
        )
    return "\n".join(out) + "\n</section>"


def glossary_html(edition: Edition) -> str:
    where = edition.index.entry_blocks
    out = [
        '<section class="glossary new-page">\n<h1 id="glossary">Glossary</h1>',
        "<p>Chinese terms as the article romanises them, with simplified characters, pinyin with tone marks and the "
        "article’s own English rendering; concepts with whose term they are. Each entry lists every paragraph where "
        "the term occurs.</p>",
    ]
    for e in sorted(edition.glossary, key=lambda e: e.term.lower()):
        if e.kind == "chinese":
            head = (
                f'<span class="term">{esc(e.term)}</span> <span class="hanzi" lang="zh-Hans">{esc(e.hanzi)}</span> '
                f'<span class="pinyin" lang="zh-Latn-pinyin">{esc(e.pinyin)}</span> ‘{esc(e.gloss)}’'
            )
        else:
            who = f" ({esc(e.attribution)})" if e.attribution else ""
            head = f'<span class="term">{esc(e.term)}</span>{who}'
        out.append(
            f'<div class="gloss-entry" id="gloss-{esc(e.id)}"><p class="gloss-head">{head}</p>'
            f'<p class="gloss-def">{esc(e.definition)} <span class="backlinks">Occurs in: '
            f"{_backlinks(where.get(e.id, ()))}.</span></p></div>"
        )
    return "\n".join(out) + "\n</section>"


# --- About: the site's own Markdown, with links made internal ----------------------------------


def about_html(edition: Edition) -> str:
    """The method page, rendered from :func:`~build_scripts.emit.about_page` (the site's text)."""
    import markdown

    text = about_page(edition)
    if text.startswith("---\n"):
        text = text.split("\n---", 1)[1].lstrip("-\n")
    md = markdown.Markdown(extensions=["attr_list", "tables", _print_links(edition)])
    return f'<section class="about new-page">\n{md.convert(text)}\n</section>'


def _print_anchor(edition: Edition, page: str, fragment: str) -> str:
    """Where a site link ``page.md#fragment`` points inside the PDF."""
    chapters = {c.slug: c.id for c in edition.document.chapters}
    if page in chapters:
        return fragment or chapters[page]
    prefix = {"about": "about-", "glossary": "gloss-", "references": "ref-"}.get(page, "")
    if fragment and fragment != page:
        return prefix + fragment
    return {"index": "contents"}.get(page, page)


def _print_links(edition: Edition) -> Any:
    from markdown.extensions import Extension
    from markdown.treeprocessors import Treeprocessor

    site = edition.config.metadata.edition.site_url

    class Links(Treeprocessor):  # type: ignore[misc]
        def run(self, root: Any) -> None:
            for el in root.iter():
                ident = el.get("id")
                if ident and ident != "about":
                    el.set("id", f"about-{ident}")
                href = el.get("href") if el.tag == "a" else None
                if not href or href.startswith(("#", "http")):
                    continue
                page, _, fragment = href.partition("#")
                if page.endswith(".md"):
                    el.set("href", "#" + _print_anchor(edition, page[:-3], fragment))
                else:
                    el.set("href", urljoin(site, href))

    class PrintLinks(Extension):  # type: ignore[misc]
        def extendMarkdown(self, md: Any) -> None:
            md.treeprocessors.register(Links(md), "print-links", 0)

    return PrintLinks()


# --- Apparatus ---------------------------------------------------------------------------------


def reading_html(text: str, have: frozenset[int]) -> str:
    """A source reading; a line break is shown as ↵, a character no edition font can draw as its code point, boxed."""
    if not text:
        return "—"
    return "".join(
        "↵" if c == "\n" else esc(c) if ord(c) in have else f'<span class="uplus">U+{ord(c):04X}</span>' for c in text
    )


def _why(i: Intervention) -> str:
    if i.rule.startswith("decision:"):
        return f"decision {esc(i.rule.split(':', 1)[1])}: {esc(i.reason)}"
    return esc(i.reason) if i.reason else esc(i.rule)


def apparatus_html(edition: Edition, index: EditionIndex) -> str:
    """Every intervention, grouped by block; joins with a space are listed compactly after each table."""
    doc = edition.document
    have = _cmap(DEJAVU / "DejaVuSans.ttf")
    out = [
        '<section class="apparatus new-page">\n<h1 id="apparatus">Apparatus</h1>',
        "<p>Every intervention, grouped by the block it concerns, with its source line and column, the source "
        "reading and the edition’s reading. Source readings are printed as the damaged text has them (DejaVu Sans); "
        'a code point that no font can draw (some are unassigned in Unicode) is shown boxed as <span class="uplus">'
        "U+XXXX</span>. Replaying these records on the source gives the reading text exactly; the full record is "
        "also in edition.json.</p>",
    ]
    for block in doc.blocks:
        rows = list(index.interventions.get(block.id, ()))
        if not rows:
            continue
        label = f"¶{block.number}" if block.number else ("Abstract" if block.kind == "abstract" else block.text)
        out.append(
            f'<h2 id="app-{block.id}">{esc(label)}</h2>\n<p><a href="#{block.id}">Go to the text</a> · source lines '
            f"{block.first_line}–{block.last_line}</p>"
        )
        table = [i for i in rows if i.kind not in ("join-line", "join-page") or i.rule.startswith("decision:")]
        if table:
            out.append(
                '<table><colgroup><col class="id"><col class="kind"><col class="where"><col class="source">'
                '<col class="edition"><col class="why"></colgroup><thead><tr><th>id</th><th>kind</th><th>line:col</th>'
                "<th>source reading</th>"
                "<th>edition reading</th><th>rule / reason</th></tr></thead><tbody>"
                + "".join(
                    f'<tr id="{i.id}"><td>{i.id}</td><td>{esc(KIND_LABELS.get(i.kind, i.kind))}</td>'
                    f'<td>{i.where}</td><td class="reading">{reading_html(i.original, have)}</td>'
                    f'<td class="reading">{reading_html(i.replacement, have)}</td><td>{_why(i)}</td></tr>'
                    for i in table
                )
                + "</tbody></table>"
            )
        joins = [i for i in rows if i.kind in ("join-line", "join-page")]
        if joins:
            plain = ", ".join(f"{i.line}+{i.end_line}" + (" (page)" if i.kind == "join-page" else "") for i in joins)
            out.append(f'<p class="joins">Lines joined with a space ({len(joins)}): {plain}.</p>')
    return "\n".join(out) + "\n</section>"
