"""Emitted Markdown: regenerated output matches the committed docs, text is literal, footnotes pair up."""

from __future__ import annotations

import re

import markdown
from htmltext import text_of
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from mdit_py_plugins.footnote import footnote_plugin

from build_scripts.config import Config
from build_scripts.edition import Edition
from build_scripts.inline import Mark, to_markdown
from build_scripts.mdtext import escape, is_glyph_range

EXTENSIONS = ["footnotes", "attr_list", "md_in_html", "tables", "toc"]


def test_committed_docs_equal_a_fresh_emit(config: Config, emitted: dict[str, str]) -> None:
    stale = [rel for rel, text in emitted.items() if (config.docs_dir / rel).read_text(encoding="utf-8") != text]
    assert stale == [], "run `make build` (or python -m build_scripts --emit-only) and commit docs/"


def test_no_raw_glyph_range_character_in_docs(emitted: dict[str, str]) -> None:
    bad = {rel for rel, text in emitted.items() if rel.endswith(".md") and any(is_glyph_range(c) for c in text)}
    assert bad == set()


def drop_spans(html: str, cls: str, strip: bool = False, tag: str = "span") -> str:
    """``html`` without each ``<tag class="cls" …>`` and everything inside it (nested ones too)."""
    while (start := html.find(f'<{tag} class="{cls}"')) >= 0:
        depth, pos = 0, start
        for m in re.finditer(rf"<{tag}\b|</{tag}>", html[start:]):
            depth += 1 if m.group() == f"<{tag}" else -1
            if depth == 0:
                pos = start + m.end()
                break
        html = html[:start] + (html[pos:].lstrip() if strip else html[pos:])
    return html


def test_every_paragraph_renders_to_exactly_its_text(edition: Edition, emitted: dict[str, str]) -> None:
    """Render each chapter with Python-Markdown (as MkDocs does) and compare every ¶'s text content."""
    for chapter in edition.document.chapters:
        page = markdown.markdown(emitted[f"{chapter.slug}.md"].split("---", 2)[2], extensions=EXTENSIONS)
        for block in chapter.blocks:
            if not block.number:
                continue
            m = re.search(rf'<p[^>]*id="{block.id}"[^>]*>(.*?)</p>', page, re.S)
            assert m, block.id
            body = re.sub(r'<a class="pnum"[^>]*>.*?</a>\s*', "", m.group(1))
            body = re.sub(r'<sup id="fnref[^"]*">.*?</sup>', "", body)
            body = re.sub(r'<span class="ms"[^>]*>.*?</span>', "", body)
            body = drop_spans(drop_spans(body, "ptools", strip=True), "sidenote", tag="small")
            text, _ = text_of(body)
            assert text.replace("\u00a0", " ") == block.text, block.id


def test_notes_are_paired_and_numbered_continuously_one_per_call(edition: Edition, emitted: dict[str, str]) -> None:
    md = MarkdownIt("commonmark").use(footnote_plugin)
    labels: list[int] = []
    for page in ["index", *(c.slug for c in edition.document.chapters)]:
        tokens = md.parse(emitted[f"{page}.md"])
        refs = [t.meta["label"] for tok in tokens if tok.children for t in tok.children if t.type == "footnote_ref"]
        defs = [t.meta["label"] for t in tokens if t.type == "footnote_open"]
        assert refs == defs
        labels += [int(n) for n in refs]
    calls = {(c.block, c.marker) for c in edition.citations}
    assert labels == list(range(1, len(calls) + 1))


ANY_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=80)


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
def test_any_text_renders_literally(text: str) -> None:
    text = " ".join(text.split())
    rendered = markdown.markdown(escape(text), extensions=EXTENSIONS)
    content, tags = text_of(rendered)
    assert content == text
    assert set(tags) <= {"p"}


@settings(max_examples=200, deadline=None)
@given(ANY_TEXT, st.data())
def test_marks_never_inject_markup(text: str, data: st.DataObject) -> None:
    text = " ".join(text.split()) or "x"
    a = data.draw(st.integers(0, len(text)))
    b = data.draw(st.integers(a, len(text)))
    marks = [Mark("glossary", a, b, "term", title='<script>"x"</script>')] if b > a else []
    marks.append(Mark("footnote", b, b, "1"))
    md = to_markdown(text, marks, "glossary.md") + "\n\n[^1]: note"
    rendered = markdown.markdown(md, extensions=EXTENSIONS)
    content, tags = text_of(rendered.split('<div class="footnote">')[0])
    assert content.strip().replace("1", "") == text.replace("1", "")
    assert "script" not in tags


def test_metacharacters_in_source_render_literally(emitted: dict[str, str]) -> None:
    sample = "*emph* _u_ [link](x) <b>bold</b> # not a heading | pipe `code` &amp; {: #id }"
    html_text = markdown.markdown(escape(sample), extensions=EXTENSIONS)
    assert text_of(html_text)[0] == sample
