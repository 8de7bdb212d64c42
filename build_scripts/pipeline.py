"""The whole build, top to bottom: source → repair → structure → citations → glossary → pages → emit → site → PDF.

Each stage is one call with one input and one typed output; :func:`prepare` runs the text stages
(they write nothing), :func:`build` adds the writing stages. A stage that finds problems raises
:class:`~build_scripts.diagnostics.BuildError` with every coded diagnostic, and the build stops
before anything is written; the site is built beside ``site/`` and swapped in only when complete.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .bibliography import load_bibliography
from .citations import recognise_citations
from .config import OFFLINE_NAME, PDF_NAME, Config
from .decisions import load_decisions
from .edition import Edition
from .emit import emit, write_files
from .glossary import check_pinyin, find_occurrences, load_glossary
from .pages import render_pages
from .repair import load_glyph_table, repair
from .site import build_site, recover, staging_dirs, swap_in, zip_tree
from .source import read_source
from .structure import build_structure
from .wordcheck import load_wordlist, measure


@dataclass
class StageTimer:
    """Times each stage and reports it as it finishes."""

    report: Callable[[str], None] = print
    times: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        self.times[name] = time.perf_counter() - start
        self.report(f"  {name:<10} {self.times[name]:7.3f} s")


def prepare(config: Config, timer: StageTimer | None = None) -> Edition:
    """Run the text stages and return the edition model; writes nothing."""
    t = timer or StageTimer(report=lambda _: None)
    with t("source"):
        text = read_source(config.source)
    with t("repair"):
        repaired = repair(text, load_glyph_table(config.glyphs), config.source_name)
    with t("structure"):
        decisions = load_decisions(config.decisions)
        document = build_structure(repaired, decisions, config)
    with t("citations"):
        bibliography = load_bibliography(config.bib)
        citations = recognise_citations(document, bibliography, decisions, config.source_name)
    with t("glossary"):
        entries = load_glossary(config.glossary)
        check_pinyin(entries, config.glossary)
        cited_ranges: dict[str, list[tuple[int, int]]] = {}
        for c in citations:
            cited_ranges.setdefault(c.block, []).append((c.start, c.end))
        occurrences = find_occurrences(entries, document, config.source_name, config.glossary, cited_ranges)
    with t("check"):
        coverage = measure(document, load_wordlist(config.wordlist))
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()  # the source's bytes: read_source decodes strictly
    return Edition(
        config, document, decisions, bibliography, citations, entries, occurrences, coverage.as_dict(), digest
    )


def build(config: Config, *, pdf: bool = True, offline: bool = True, timer: StageTimer | None = None) -> Edition:
    """Run every stage and swap the finished site into ``config.site_dir``."""
    t = timer or StageTimer()
    recover(config.site_dir)
    edition = prepare(config, t)
    with t("pages"):
        pages = render_pages(edition)
    with t("emit"):
        write_files(emit(edition, pages), config.docs_dir)
    new, _ = staging_dirs(config.site_dir)
    if new.exists():
        shutil.rmtree(new)
    try:
        with t("mkdocs"):
            build_site(config.mkdocs_yml, new, date=str(config.metadata.edition.date))
        if pdf:
            from .pdf import build_pdf

            with t("pdf"):
                build_pdf(edition, pages, new / "downloads" / PDF_NAME)
        else:
            (new / "downloads" / PDF_NAME).unlink(missing_ok=True)
        if offline:
            with t("offline"):
                build_offline(config, new)
        with t("swap"):
            swap_in(new, config.site_dir)
    except BaseException:
        if new.exists():
            shutil.rmtree(new, ignore_errors=True)
        raise
    return edition


def build_offline(config: Config, new: Path) -> None:
    """Build the offline variant (Material's offline plugin, file:// URLs) and zip it into downloads."""
    tree = new.with_name(".site-offline")
    if tree.exists():
        shutil.rmtree(tree)
    try:
        build_site(config.mkdocs_yml, tree, offline=True, date=str(config.metadata.edition.date))
        pdf = new / "downloads" / PDF_NAME
        if pdf.exists():
            shutil.copy2(pdf, tree / "downloads" / PDF_NAME)
        (tree / "downloads" / OFFLINE_NAME).unlink(missing_ok=True)
        zip_tree(tree, new / "downloads" / OFFLINE_NAME, "edney-2015-edition")
    finally:
        shutil.rmtree(tree, ignore_errors=True)
