"""Build time: every stage of the real build (median of N runs) against bare MkDocs and bare WeasyPrint.

All runs are in one process on a temporary project copy, interleaved (edition, bare MkDocs, bare
WeasyPrint, then again) after one discarded warm-up round (imports, jieba's dictionary cache), so
the edition and the baselines are timed under the same conditions.
"""

from __future__ import annotations

import gc
import importlib.util
import logging
import shutil
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config as mkdocs_config

from build_scripts.config import Config, load_config
from build_scripts.pipeline import StageTimer, build, prepare

from .project import write_bare_config

#: The edition's own Python: everything that is neither MkDocs nor WeasyPrint.
OWN_STAGES = ("source", "repair", "structure", "citations", "glossary", "check", "emit")


def has_pdf() -> bool:
    """The PDF stage is measured as soon as ``build_scripts/pdf.py`` exists."""
    return importlib.util.find_spec("build_scripts.pdf") is not None


@dataclass
class BuildTimes:
    """Medians in seconds, plus the raw samples."""

    stages: dict[str, float]
    samples: dict[str, list[float]]
    bare_mkdocs: float
    bare_weasyprint: float | None
    print_html: float | None
    runs: int
    peer_pdf: float | None = None
    """A plain WeasyPrint PDF of the reading text with notes (front page and chapters, notes as
    footnotes, no edition stylesheet): with bare MkDocs, the minimal peer edition."""
    notes: list[str] = field(default_factory=list)

    @property
    def whole(self) -> float:
        return self.stages["whole build"]

    @property
    def own(self) -> float:
        return sum(self.stages.get(s, 0.0) for s in OWN_STAGES)

    @property
    def peer(self) -> float:
        """The minimal peer edition: a plain Material site plus a plain PDF of the reading text with notes."""
        return self.bare_mkdocs + (self.peer_pdf or 0.0)

    @property
    def baseline(self) -> float:
        return self.bare_mkdocs + (self.bare_weasyprint or 0.0)


def _quiet() -> None:
    for name in ("mkdocs", "weasyprint", "fontTools", "jieba"):
        logging.getLogger(name).setLevel(logging.ERROR)


def time_edition_once(config: Config, pdf: bool) -> dict[str, float]:
    timer = StageTimer(report=lambda _: None)
    gc.collect()
    start = time.perf_counter()
    build(config, pdf=pdf, offline=True, timer=timer)
    total = time.perf_counter() - start
    _quiet()
    times = dict(timer.times)
    times["whole build"] = total
    return times


def time_bare_mkdocs_once(project: Path) -> float:
    cfg_file = write_bare_config(project / "mkdocs.yml", project / "docs", project / "mkdocs-bare.yml")
    out = project / "bare-site"
    shutil.rmtree(out, ignore_errors=True)
    gc.collect()
    start = time.perf_counter()
    mkdocs_build(mkdocs_config(config_file=str(cfg_file), site_dir=str(out)))
    elapsed = time.perf_counter() - start
    _quiet()
    return elapsed


class BareWeasyPrint:
    """WeasyPrint alone on the edition's print HTML, with the edition's stylesheets and PDF variant."""

    def __init__(self, project: Path) -> None:
        from build_scripts import pdf
        from build_scripts.pages import render_pages

        self.project = project
        edition = prepare(load_config(root=project))
        start = time.perf_counter()
        self.document = pdf.print_html(edition, render_pages(edition))
        self.make_html = time.perf_counter() - start
        self.css_text = pdf.font_css(pdf.font_faces(project), edition)
        self.print_css = pdf.PRINT_DIR / "edition.css"
        self.variant = getattr(pdf, "PDF_VARIANT", None)

    def once(self) -> float:
        from weasyprint import CSS, HTML
        from weasyprint.text.fonts import FontConfiguration

        gc.collect()
        start = time.perf_counter()
        fonts = FontConfiguration()
        sheets = [CSS(string=self.css_text, font_config=fonts), CSS(filename=str(self.print_css), font_config=fonts)]
        HTML(string=self.document, base_url=str(self.project)).write_pdf(
            self.project / "bare.pdf", stylesheets=sheets, font_config=fonts, pdf_variant=self.variant
        )
        return time.perf_counter() - start


class PeerPdf(BareWeasyPrint):
    """The peer edition's PDF: the reading text with its notes, plain (fonts and footnotes only)."""

    PLAIN_CSS = (
        "@page { size: A4; margin: 25mm; } .fn { float: footnote; } .fn::footnote-call { content: attr(data-n); }"
    )

    def __init__(self, project: Path) -> None:
        from build_scripts import pdf
        from build_scripts.pages import render_pages

        super().__init__(project)
        edition = prepare(load_config(root=project))
        self.document = pdf.print_html(edition, render_pages(edition), notes_only=True)

    def once(self) -> float:
        from weasyprint import CSS, HTML
        from weasyprint.text.fonts import FontConfiguration

        gc.collect()
        start = time.perf_counter()
        fonts = FontConfiguration()
        sheets = [CSS(string=self.css_text + self.PLAIN_CSS, font_config=fonts)]
        HTML(string=self.document, base_url=str(self.project)).write_pdf(
            self.project / "peer.pdf", stylesheets=sheets, font_config=fonts
        )
        return time.perf_counter() - start


def measure(project: Path, runs: int = 5) -> BuildTimes:
    """Interleaved: each round builds the edition, then the bare MkDocs site, then the bare PDF, so
    the three are timed under the same conditions (heap, caches); round 0 is a discarded warm-up."""
    _quiet()
    pdf = has_pdf()
    config = load_config(root=project)
    bare_pdf = BareWeasyPrint(project) if pdf else None
    peer_pdf = PeerPdf(project) if pdf else None
    samples: dict[str, list[float]] = defaultdict(list)
    for n in range(runs + 1):
        times = time_edition_once(config, pdf)
        times["bare mkdocs"] = time_bare_mkdocs_once(project)
        if bare_pdf:
            times["bare WeasyPrint"] = bare_pdf.once()
        if peer_pdf:
            times["peer PDF"] = peer_pdf.once()
        if n == 0:
            continue
        for key, seconds in times.items():
            samples[key].append(seconds)
    notes = [] if pdf else ["build_scripts/pdf.py is absent: no PDF stage and no WeasyPrint baseline."]
    medians = {k: statistics.median(v) for k, v in samples.items()}
    return BuildTimes(
        stages=medians,
        samples=dict(samples),
        bare_mkdocs=medians["bare mkdocs"],
        bare_weasyprint=medians.get("bare WeasyPrint"),
        print_html=bare_pdf.make_html if bare_pdf else None,
        runs=runs,
        peer_pdf=medians.get("peer PDF"),
        notes=notes,
    )
