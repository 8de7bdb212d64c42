"""Print rendering: the site's own Markdown pages → one HTML document for WeasyPrint, with markdown-it-py.

Every page the PDF prints is the Markdown MkDocs builds the web page from (:mod:`build_scripts.pages`);
this module renders that same text with markdown-it-py (CommonMark, tables, footnotes from
mdit_py_plugins) plus :func:`attr_list_plugin` for the Python-Markdown ``attr_list`` syntax the
pages use. Three rules make the pages one printed document:

* **Links.** A link to another page, ``page.md#frag``, becomes the in-document link ``#frag``;
  ``page.md`` alone becomes ``#page-<id>``, the page's section. A link to a page the PDF does not
  print, or to a download, becomes its address on the web site.
* **Ids.** The pages share one id space, so every id must be unique across them: a duplicate is
  an ``E-PRINT-ID`` diagnostic, and a link without a target an ``E-PRINT-LINK``. One mapping is
  deterministic and deliberate: an id that names *another* page (About's section ``#references``
  and the References page ``#references``) is printed as ``<page id>-<id>`` (``about-references``)
  on the page that does not own it, and links to it follow. Published web anchors are unchanged.
* **Notes.** A footnote call becomes a WeasyPrint in-flow footnote: the note's body in
  ``<span class="fn">`` (``float: footnote`` in ``print/edition.css``) at the call, so it is set
  at the foot of the call's page.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

from .diagnostics import Diagnostic, Location
from .pages import Page

ATTR_LINE = re.compile(r"(?:^|\n)[ \t]*\{:?[ \t]*([^{}\n]*?)[ \t]*\}[ \t]*$")
"""A paragraph's last line that is only ``{: #id .class key="v" }`` (Python-Markdown ``attr_list``)."""
ATTR_HEADING = re.compile(r"[ \t]+\{:?[ \t]*([^{}\n]*?)[ \t]*\}[ \t]*$")
"""A heading's trailing ``{ #id .class }``."""
ATTR_INLINE = re.compile(r"\{:?[ \t]*([^{}\n]*?)[ \t]*\}")
ATTR_ITEM = re.compile(r"""#([\w-]+)|\.([\w-]+)|([\w-]+)=("[^"]*"|'[^']*'|[^\s"']+)""")
RAW_ID = re.compile(r"""\bid=["']([^"']+)["']""")
RAW_HREF = re.compile(r"""\bhref=["']#([^"']+)["']""")


# --- the attr_list plugin ------------------------------------------------------------------------


def parse_attrs(text: str) -> list[tuple[str, str]]:
    """``#id .a .b key="v"`` → ``[("id", "id"), ("class", "a b"), ("key", "v")]``."""
    ident = ""
    classes: list[str] = []
    others: list[tuple[str, str]] = []
    for m in ATTR_ITEM.finditer(text):
        if m.group(1):
            ident = m.group(1)
        elif m.group(2):
            classes.append(m.group(2))
        else:
            value = m.group(4)
            if value[:1] in "\"'":
                value = value[1:-1]
            others.append((m.group(3), html.unescape(value)))
    out = [("id", ident)] if ident else []
    if classes:
        out.append(("class", " ".join(classes)))
    return out + others


def _set_attrs(token: Token, attrs: list[tuple[str, str]]) -> None:
    for key, value in attrs:
        if key == "class" and token.attrGet("class"):
            value = f"{token.attrGet('class')} {value}"
        token.attrSet(key, value)


def _block_attrs(state: StateCore) -> None:
    """Before inline parsing: move a paragraph's or heading's trailing attribute list onto its opening tag."""
    tokens = state.tokens
    for i, tok in enumerate(tokens):
        if tok.type != "inline" or i == 0:
            continue
        opener = tokens[i - 1]
        pattern = {"paragraph_open": ATTR_LINE, "heading_open": ATTR_HEADING}.get(opener.type)
        m = pattern.search(tok.content) if pattern else None
        if m and m.start() > 0:
            _set_attrs(opener, parse_attrs(m.group(1)))
            tok.content = tok.content[: m.start()].rstrip()


def _inline_attrs(state: StateInline, silent: bool) -> bool:
    """``[text](url){: .class }``: an attribute list right after a link applies to the link."""
    if state.src[state.pos] != "{" or state.pending or not state.tokens or state.tokens[-1].type != "link_close":
        return False
    m = ATTR_INLINE.match(state.src, state.pos)
    if not m:
        return False
    if not silent:
        opener = next(t for t in reversed(state.tokens) if t.type == "link_open")
        _set_attrs(opener, parse_attrs(m.group(1)))
    state.pos = m.end()
    return True


def attr_list_plugin(md: MarkdownIt) -> None:
    """The part of Python-Markdown's ``attr_list`` the pages use: after a paragraph's last line, a heading, a link."""
    md.core.ruler.before("inline", "attr_list_block", _block_attrs)
    md.inline.ruler.before("link", "attr_list_inline", _inline_attrs)


def markdown_parser() -> MarkdownIt:
    """CommonMark with raw HTML, tables, footnotes and attribute lists: the extensions ``mkdocs.yml`` enables."""
    md = MarkdownIt("commonmark", {"html": True}).enable("table")
    md.use(footnote_plugin, inline=False).use(attr_list_plugin)
    md.add_render_rule("footnote_ref", _render_footnote_ref)
    return md


# --- one document ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PrintPage:
    """A page parsed for print: its tokens, and the ids it defines."""

    page: Page
    tokens: list[Token]
    env: dict[str, Any]
    ids: tuple[str, ...]
    """Every id the page defines, in Markdown attributes or in raw HTML."""
    attr_ids: frozenset[str]
    """The ids set by Markdown attributes: the only ones the renderer can print under another name."""

    @property
    def anchor(self) -> str:
        """The id of the page's ``<section>``: where a link to the whole page lands."""
        return f"page-{self.page.spec.id}"


@dataclass(frozen=True, slots=True)
class PrintSection:
    """One printed page as its ``<section>``: the opening tag and the page's top-level elements, in order.

    The PDF stage lays out stretches of these elements on their own (:func:`build_scripts.pdf.place_notes`),
    so a section is kept as its parts; :meth:`html` is the section as it stands in the document.
    """

    page: Page
    open_tag: str
    elements: tuple[str, ...]
    """Each top-level element's HTML (a paragraph, a heading, a block quotation with its paragraphs…)."""

    def html(self, start: int = 0, stop: int | None = None) -> str:
        """The section with only ``elements[start:stop]`` (all of them by default)."""
        return f"{self.open_tag}\n{''.join(self.elements[start:stop])}</section>"


def print_pages(pages: Sequence[Page], site_url: str, reserved: Sequence[str] = ()) -> tuple[str, list[Diagnostic]]:
    """The printed pages' HTML, one ``<section>`` each, and every id or link problem.

    ``reserved`` are ids the rest of the print document (title page, contents) already uses.
    """
    sections, problems = print_sections(pages, site_url, reserved)
    return "\n".join(s.html() for s in sections), problems


def print_sections(
    pages: Sequence[Page], site_url: str, reserved: Sequence[str] = ()
) -> tuple[tuple[PrintSection, ...], list[Diagnostic]]:
    """The printed pages as :class:`PrintSection` records (see :func:`print_pages`)."""
    md = markdown_parser()
    parsed = [_parse(md, p) for p in pages if p.in_print]
    page_ids = {p.page.spec.id for p in parsed}
    renames = {
        (p.page.spec.id, i): f"{p.page.spec.id}-{i}"
        for p in parsed
        for i in p.attr_ids
        if _names_other_page(p, i, page_ids)
    }
    owners: dict[str, list[str]] = {i: ["print document"] for i in reserved}
    for p in parsed:
        owners.setdefault(p.anchor, []).append(p.page.path)
        for i in p.ids:
            owners.setdefault(renames.get((p.page.spec.id, i), i), []).append(p.page.path)
    problems = [
        Diagnostic("E-PRINT-ID", Location("print document"), f"id {ident!r} is used by {', '.join(where)}")
        for ident, where in sorted(owners.items())
        if len(where) > 1
    ]
    by_slug = {p.page.spec.slug: p for p in parsed}
    web_only = {p.spec.slug for p in pages if not p.in_print}
    sections = []
    for p in parsed:
        local = {i: renames.get((p.page.spec.id, i), i) for i in p.ids}
        for tok in _walk(p.tokens):
            if tok.attrGet("id") in local:
                tok.attrSet("id", local[str(tok.attrGet("id"))])
            if tok.type == "link_open":
                href = str(tok.attrGet("href") or "")
                tok.attrSet("href", _print_href(href, local, by_slug, renames, web_only, site_url))
        elements = tuple(tag_chinese(e) for e in _render(md, p))
        classes = f"page page-{p.page.spec.id}" + (" chapter" if p.page.kind == "chapter" else " new-page")
        title = html.escape(p.page.title, quote=True)
        sections.append(
            PrintSection(p.page, f'<section class="{classes}" id="{p.anchor}" data-title="{title}">', elements)
        )
    document = "\n".join(s.html() for s in sections)
    defined = set(owners) | set(RAW_ID.findall(document))
    missing = sorted({h for h in RAW_HREF.findall(document) if html.unescape(h) not in defined})
    problems += [Diagnostic("E-PRINT-LINK", Location("print document"), f"no target for #{h}") for h in missing]
    return tuple(sections), problems


HAN = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]+")
TEXT_NODE = re.compile(r">([^<]+)<")


def tag_chinese(fragment: str) -> str:
    """Every run of Chinese characters in a ``lang="zh-Hans"`` span (fonts, hyphenation, screen readers)."""

    def text(m: re.Match[str]) -> str:
        return ">" + HAN.sub(lambda h: f'<span lang="zh-Hans">{h.group()}</span>', m.group(1)) + "<"

    return TEXT_NODE.sub(text, fragment)


def _names_other_page(p: PrintPage, ident: str, page_ids: set[str]) -> bool:
    return ident in page_ids and ident != p.page.spec.id


def _parse(md: MarkdownIt, page: Page) -> PrintPage:
    env: dict[str, Any] = {"page_id": page.spec.id}
    tokens = md.parse(page.body, env)
    attr_ids = [str(t.attrGet("id")) for t in _walk(tokens) if t.attrGet("id")]
    raw_ids = [i for t in _walk(tokens) if t.type in ("html_block", "html_inline") for i in RAW_ID.findall(t.content)]
    return PrintPage(page, tokens, env, (*attr_ids, *raw_ids), frozenset(attr_ids))


def _walk(tokens: list[Token]) -> list[Token]:
    out: list[Token] = []
    for tok in tokens:
        out.append(tok)
        if tok.children:
            out += _walk(tok.children)
    return out


def _print_href(
    href: str,
    local: dict[str, str],
    by_slug: dict[str, PrintPage],
    renames: dict[tuple[str, str], str],
    web_only: set[str],
    site_url: str,
) -> str:
    """Where a link of the site's Markdown points in the print document (see the module docstring)."""
    if href.startswith(("http://", "https://", "mailto:")):
        return href
    if href.startswith("#"):
        return "#" + local.get(href[1:], href[1:])
    path, _, fragment = href.partition("#")
    slug = path.removesuffix(".md")
    if path.endswith(".md") and slug in by_slug:
        target = by_slug[slug]
        if not fragment:
            return "#" + target.anchor
        return "#" + renames.get((target.page.spec.id, fragment), fragment)
    if path.endswith(".md") and slug in web_only:
        web = "" if slug == "index" else f"{slug}/"
        return urljoin(site_url, web) + (f"#{fragment}" if fragment else "")
    return urljoin(site_url, href)


# --- rendering ----------------------------------------------------------------------------------


def _render(md: MarkdownIt, page: PrintPage) -> list[str]:
    """Render a page's top-level elements with each footnote's body at its call; the notes list is not printed."""
    tokens = page.tokens
    renderer = md.renderer
    assert isinstance(renderer, RendererHTML)
    bodies: dict[int, str] = {}
    for n, tok in enumerate(tokens):
        if tok.type == "footnote_open":
            inline = next(t for t in tokens[n:] if t.type == "inline")
            bodies[tok.meta["id"]] = renderer.renderInline(inline.children or [], md.options, page.env)
    start = next((n for n, t in enumerate(tokens) if t.type == "footnote_block_open"), len(tokens))
    env = {**page.env, "footnote_bodies": bodies}
    return [str(renderer.render(group, md.options, env)) for group in _top_level(tokens[:start])]


def _top_level(tokens: list[Token]) -> list[list[Token]]:
    """The tokens of each top-level block (its opening token to its closing one, or a lone block token)."""
    groups: list[list[Token]] = []
    for tok in tokens:
        if not groups or (tok.level == 0 and tok.nesting >= 0):
            groups.append([])
        groups[-1].append(tok)
    return groups


def _render_footnote_ref(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    """A footnote call as WeasyPrint's in-flow footnote, the note body at the call."""
    meta = tokens[idx].meta
    label = html.escape(str(meta.get("label") or meta["id"] + 1))
    ident = f"{env['page_id']}-{label}"
    return (
        f'<span class="fnref" id="fnref-{ident}"></span>'
        f'<span class="fn" id="fn-{ident}" data-n="{label}">{env["footnote_bodies"][meta["id"]]}</span>'
    )
