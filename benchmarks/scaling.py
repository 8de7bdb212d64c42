"""Scaling: the same stages on synthetic editions 10× and 50× the article's size.

A synthetic edition repeats the article's chapters as new chapters (ids and slugs suffixed ``-2``,
``-3``…, paragraphs renumbered ``pN`` onwards) with their citations and glossary terms; the
citation, glossary, emit, MkDocs (and, up to :data:`PDF_MAX_FACTOR`, PDF) stages then run on it
for real, in a project copy whose ``mkdocs.yml`` navigation lists every chapter. The repair stage
runs on the source text repeated N times. Each copy has its own source lines (shifted), with its
own copies of the interventions and of the citation decisions, so line-keyed records apply to one
copy each as in a genuinely longer text. (Structure is not rerun: it reads the source itself.)

Each size runs in its own subprocess (``python -m benchmarks.scaling``) so peak memory is that
size's alone: peak RSS of the process (``resource.getrusage``), and, in a second subprocess, the
peak of Python allocations (``tracemalloc``) over the text stages (repair → emit).
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import subprocess
import sys
import time
import tracemalloc
from dataclasses import replace
from pathlib import Path
from typing import Any

from build_scripts.bibliography import load_bibliography
from build_scripts.citations import recognise_citations
from build_scripts.config import load_config
from build_scripts.decisions import Decision, load_decisions
from build_scripts.edition import Edition
from build_scripts.emit import emit, write_files
from build_scripts.glossary import find_occurrences, load_glossary, load_link_policy
from build_scripts.model import Block, Document
from build_scripts.pages import render_pages
from build_scripts.pipeline import prepare
from build_scripts.repair import load_glyph_table, repair
from build_scripts.site import build_site
from build_scripts.source import read_source

from .project import read_mkdocs, with_nav

PDF_MAX_FACTOR = 10
TEXT_STAGES = ("repair", "citations", "glossary", "emit")


def line_shift(document: Document) -> int:
    """Source lines per copy: copy k's blocks, interventions and decisions sit ``k × shift`` lines on."""
    return max(b.last_line for b in document.blocks) + 1


def scale_document(document: Document, factor: int) -> Document:
    """``document`` with its chapters repeated ``factor`` times under new ids, slugs, ¶ numbers and lines.

    Each copy also gets its own source lines (shifted by :func:`line_shift`) and its own copy of
    the interventions, so line-keyed records (``[sic]``, citation decisions, the apparatus) apply
    to one copy each, as they would in a genuinely longer text.
    """
    per_copy = max(b.number for b in document.blocks)
    shift = line_shift(document)
    chapters = []
    interventions = list(document.interventions)
    for k in range(factor):
        for chapter in document.chapters:
            cid = chapter.id if k == 0 else f"{chapter.id}-{k + 1}"
            slug = chapter.slug if k == 0 else f"{chapter.slug}-{k + 1}"
            title = chapter.title if k == 0 else f"{chapter.title} ({k + 1})"
            blocks = tuple(_renamed(b, cid, k * per_copy, k * shift, k * document.page_count) for b in chapter.blocks)
            chapters.append(replace(chapter, id=cid, slug=slug, title=title, blocks=blocks))
        if k:
            interventions += [
                replace(
                    i,
                    id=f"{i.id}-{k + 1}",
                    line=i.line + k * shift,
                    end_line=i.end_line + k * shift if i.end_line else 0,
                    replacement=f"{i.replacement}-{k + 1}" if i.kind == "heading" else i.replacement,
                )
                for i in document.interventions
                if i.line >= _first_chapter_line(document)
            ]
    return replace(document, chapters=tuple(chapters), interventions=tuple(interventions))


def scale_decisions(decisions: tuple[Decision, ...], document: Document, factor: int) -> tuple[Decision, ...]:
    """Each chapter-text decision once per copy, on that copy's lines."""
    shift, first = line_shift(document), _first_chapter_line(document)
    out = list(decisions)
    for k in range(1, factor):
        out += [
            replace(d, id=f"{d.id}-{k + 1}", line=d.line + k * shift, end_line=d.end_line + k * shift)
            for d in decisions
            if d.line >= first
        ]
    return tuple(out)


def _first_chapter_line(document: Document) -> int:
    return min(b.first_line for c in document.chapters for b in c.blocks)


def _renamed(block: Block, chapter_id: str, shift: int, lines: int, pages: int = 0) -> Block:
    moved = replace(
        block,
        pages=tuple(replace(p, page=p.page + pages) for p in block.pages),  # each copy its own [ms. N]
        first_line=block.first_line + lines,
        last_line=block.last_line + lines,
        line_offsets=tuple((line + lines, offset) for line, offset in block.line_offsets),
        section=chapter_id,
    )
    if block.kind == "heading":
        return replace(moved, id=chapter_id)
    if block.number:
        return replace(moved, id=f"p{block.number + shift}", number=block.number + shift)
    return moved


def _nav(project: Path, edition: Edition) -> list[Any]:
    nav = read_mkdocs(project / "mkdocs.yml")["nav"]
    original = {f"{c.slug}.md" for c in edition.config.chapters}
    first = next(n for n, item in enumerate(nav) if next(iter(item.values())) in original)
    rest = [item for item in nav[first:] if next(iter(item.values())) not in original]
    chapters = [{c.title: f"{c.slug}.md"} for c in edition.document.chapters]
    return [*nav[:first], *chapters, *rest]


def with_chapters(chapters_file: Path, edition: Edition) -> None:
    """Rewrite the project copy's chapters.yaml to list every chapter of the scaled edition."""
    import yaml

    data = yaml.safe_load(chapters_file.read_text(encoding="utf-8"))
    data["chapters"] = [{"id": c.id, "slug": c.slug, "heading": c.title} for c in edition.document.chapters]
    chapters_file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def run(project: Path, factor: int, *, site: bool, pdf: bool, trace: bool) -> dict[str, Any]:
    """Time (or trace) the stages on a ``factor``× edition in ``project``; returns a JSON-able dict."""
    for name in ("mkdocs", "weasyprint", "fontTools", "jieba"):
        logging.getLogger(name).setLevel(logging.ERROR)
    config = load_config(root=project)
    base = prepare(config, earlier=())  # no Changes entries: they would link a synthetic copy to real releases
    document = scale_document(base.document, factor)
    source = "\n".join([read_source(config.source)] * factor)
    table = load_glyph_table(config.glyphs)
    bibliography = load_bibliography(config.bib)
    decisions = scale_decisions(load_decisions(config.decisions), base.document, factor)
    entries = load_glossary(config.glossary)
    times: dict[str, float] = {}
    cpu: dict[str, float] = {}
    rss_before = _rss_kib()
    if trace:
        tracemalloc.start()

    def timed(name: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        start, start_cpu = time.perf_counter(), time.process_time()
        out = fn(*args, **kwargs)
        times[name] = time.perf_counter() - start
        cpu[name] = time.process_time() - start_cpu
        return out

    timed("repair", repair, source, table, config.source_name)
    citations = timed("citations", recognise_citations, document, bibliography, decisions, config.source_name)
    cited: dict[str, list[tuple[int, int]]] = {}
    for c in citations:
        cited.setdefault(c.block, []).append((c.start, c.end))
    policy = load_link_policy(config.glossary)
    occurrences = timed(
        "glossary", find_occurrences, entries, document, config.source_name, config.glossary, policy, cited
    )
    specs = {spec.id: spec for spec in config.chapters}
    chapter_specs = tuple(  # one page spec per scaled chapter (the page model renders one page each)
        replace(specs[next(i for i in specs if c.id == i or c.id.startswith(i + "-"))], id=c.id, slug=c.slug)
        for c in document.chapters
    )
    scaled_config = replace(config, chapters=chapter_specs)
    edition = replace(base, config=scaled_config, document=document, citations=citations, occurrences=occurrences)
    pages = timed("pages", render_pages, edition)
    files = timed("emit", emit, edition, pages)
    result: dict[str, Any] = {"factor": factor, "paragraphs": len(document.paragraphs)}
    result["words"] = sum(len(b.text.split()) for b in document.blocks)
    if trace:
        result["tracemalloc_peak_kib"] = tracemalloc.get_traced_memory()[1] // 1024
        tracemalloc.stop()
    write_files(files, config.docs_dir)
    if site:
        if "\nnav:" in (project / "mkdocs.yml").read_text(encoding="utf-8"):
            nav = with_nav(project / "mkdocs.yml", _nav(project, edition))
            (project / "mkdocs.yml").write_text(nav, encoding="utf-8")
        else:  # the hook sets the nav from editorial/chapters.yaml: list the scaled chapters there
            with_chapters(config.chapters_file, edition)
        timed("mkdocs", build_site, project / "mkdocs.yml", project / ".site-new", date="2026-11-28")
        result["site_bytes"] = sum(p.stat().st_size for p in (project / ".site-new").rglob("*") if p.is_file())
    if pdf:
        from pypdf import PdfReader
        from weasyprint import HTML

        from build_scripts.pdf import build_pdf

        timed("bare WeasyPrint", bare_weasyprint, edition, pages, project / "bare.pdf")
        layouts = []
        render = HTML.render
        HTML.render = lambda *a, **k: layouts.append(1) or render(*a, **k)  # type: ignore[method-assign]
        try:
            timed("pdf", build_pdf, edition, pages, project / "scaled.pdf")
            result["pdf_pages"] = len(PdfReader(project / "scaled.pdf").pages)
        except Exception as exc:  # report, do not hide: the table says why PDF scaling is missing
            result["pdf_error"] = repr(exc)[:300]
        finally:
            HTML.render = render  # type: ignore[method-assign]
        result["pdf_layouts"] = len(layouts)
    result["times"] = times
    result["cpu"] = cpu
    result["rss_before_kib"] = rss_before
    result["peak_rss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return result


def bare_weasyprint(edition: Edition, pages: tuple[Any, ...], out: Path) -> None:
    """The PDF stage's baseline at the same size: WeasyPrint alone on the same print HTML with the
    edition's stylesheets, one layout, no note placement, checks or tags (as ``buildtime.BareWeasyPrint``)."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    from build_scripts import pdf

    fonts = FontConfiguration()
    css = pdf.font_css(pdf.font_faces(edition.config.root), edition)
    sheets = [CSS(string=css, font_config=fonts), CSS(filename=str(pdf.PRINT_DIR / "edition.css"), font_config=fonts)]
    HTML(string=pdf.print_html(edition, pages), base_url=str(edition.config.root)).write_pdf(
        out, stylesheets=sheets, font_config=fonts, pdf_variant=pdf.PDF_VARIANT
    )


def run_in_subprocess(project: Path, factor: int, *, site: bool, pdf: bool, trace: bool) -> dict[str, Any]:
    args = [sys.executable, "-m", "benchmarks.scaling", str(project), str(factor)]
    args += ["--site"] * site + ["--pdf"] * pdf + ["--trace"] * trace
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"scaling run {factor}× failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scaling")
    parser.add_argument("project", type=Path)
    parser.add_argument("factor", type=int)
    parser.add_argument("--site", action="store_true")
    parser.add_argument("--pdf", action="store_true")
    parser.add_argument("--trace", action="store_true")
    args = parser.parse_args()
    result = run(args.project, args.factor, site=args.site, pdf=args.pdf, trace=args.trace)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
