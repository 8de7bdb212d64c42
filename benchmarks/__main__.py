"""``python -m benchmarks`` (``make bench``): measure the build and write BENCHMARKS.md."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from build_scripts.config import ROOT

from . import buildtime, lighthouse, reader, report, scaling
from .machine import machine, versions
from .project import copy_project

METHOD = """\
- Everything runs on temporary copies of the project (`benchmarks/project.py`); the repository's
  `docs/` and `site/` are not touched.
- **Build time** (`benchmarks/buildtime.py`): `build_scripts.pipeline.build()` with its own
  `StageTimer`, in one process, PDF stage included whenever `build_scripts/pdf.py` exists, offline
  copy included (as `make build`); one warm-up run is discarded, then the median of N runs. The
  baselines run in the same process on the same generated `docs/`:
  *bare mkdocs* is `mkdocs build` with a configuration derived from `mkdocs.yml` by dropping
  `hooks`, `custom_dir`, `extra_css`, `extra_javascript`, `extra`, `validation` and `strict`, and
  replacing the plugins with MkDocs' default `search` (same theme, palette, features, `font: false`,
  Markdown extensions and nav); *bare WeasyPrint* is `HTML(string=pdf.print_html(edition)).write_pdf()`
  with the edition's two stylesheets and PDF variant, one pass, no checks. "Own stages" are the
  edition's Python stages (source, repair, structure, citations, glossary, check, emit).
- **Scaling** (`benchmarks/scaling.py`): the article's chapters repeated 10× and 50× as new chapters
  (renamed ids, slugs and ¶ numbers) with their citations and glossary terms; repair runs on the
  source repeated N times. Each size runs in a fresh subprocess: stage times and peak RSS
  (`getrusage`), and separately a `tracemalloc` peak over repair → emit. The PDF stage is timed at
  its own sizes (`--pdf-sizes`), each in a fresh subprocess that first runs its baseline, bare
  WeasyPrint on the same N× print HTML; its table gives CPU time and the ratio to that baseline.
- **Lighthouse** (`benchmarks/lighthouse.py`): Lighthouse 12.2.3 from `benchmarks/node` (`npm ci`) in
  Debian's Chromium, mobile and desktop presets, one page of each type, median of 5 runs (as
  Lighthouse's variability guide advises) with the lowest and highest; left out (with a note) when
  Node or Chromium is missing. `python -m benchmarks --lighthouse-only` re-measures
  just this on the built `site/`.
- **Reader cost** (`benchmarks/reader.py`): the chapter's HTML and every resource it makes the
  browser fetch on load, from the built files, raw and gzip; the plain Material site is the bare
  configuration's build of the same Markdown.
"""


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    p.add_argument("--runs", type=int, default=5, help="build-time runs per measurement (median)")
    p.add_argument("--sizes", default="1,10,50", help="scaling factors")
    p.add_argument("--scaling-runs", type=int, default=3, help="runs per scaling size up to 10×")
    p.add_argument("--pdf-sizes", default="1,2,5,10", help="scaling factors at which the PDF stage is also timed")
    p.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    p.add_argument("--lighthouse-runs", type=int, default=5, help="Lighthouse runs per page and preset (median)")
    p.add_argument(
        "--buildtime-only",
        action="store_true",
        help="only the build-time measurement, printed; BENCHMARKS.md is not written (its targets cover every part)",
    )
    p.add_argument(
        "--lighthouse-only",
        action="store_true",
        help="only Lighthouse, on the already built site/; replaces that section of BENCHMARKS.md",
    )
    return p.parse_args(argv)


def log(message: str) -> None:
    print(message, flush=True)


def run_scaling(tmp: Path, sizes: list[int], pdf_sizes: set[int], runs: int) -> tuple[dict[int, Any], dict[int, Any]]:
    results: dict[int, list[dict[str, Any]]] = {}
    traced: dict[int, dict[str, Any]] = {}
    with_pdf = buildtime.has_pdf()
    for factor in sizes:
        results[factor] = []
        for n in range(runs if factor <= 10 else 1):
            work = copy_project(tmp / f"scale-{factor}-{n}")
            pdf = with_pdf and n == 0 and factor in pdf_sizes
            results[factor].append(scaling.run_in_subprocess(work, factor, site=True, pdf=pdf, trace=False))
            shutil.rmtree(work)
        work = copy_project(tmp / f"trace-{factor}")
        traced[factor] = scaling.run_in_subprocess(work, factor, site=False, pdf=False, trace=True)
        shutil.rmtree(work)
        times = ", ".join(f"{k} {v:.2f}s" for k, v in results[factor][0]["times"].items())
        log(f"  {factor}×: {times}; peak RSS {results[factor][0]['peak_rss_kib'] / 1024:.0f} MiB")
    return results, traced


def pdf_scaling(tmp: Path, sizes: list[int]) -> dict[int, dict[str, Any]]:
    """The PDF stage and its same-size baseline (bare WeasyPrint), wall clock and CPU, one subprocess per size."""
    out = {}
    for factor in sizes:
        work = copy_project(tmp / f"pdf-{factor}")
        result = scaling.run_in_subprocess(work, factor, site=False, pdf=True, trace=False)
        shutil.rmtree(work)
        out[factor] = result
        if "pdf" in result["times"]:
            t, c = result["times"], result["cpu"]
            log(
                f"  pdf {factor}×: {t['pdf']:.2f} s (CPU {c['pdf']:.2f} s); bare WeasyPrint "
                f"{t['bare WeasyPrint']:.2f} s (CPU {c['bare WeasyPrint']:.2f} s); "
                f"stage / bare (CPU) {c['pdf'] / c['bare WeasyPrint']:.2f}×"
            )
    return out


def lighthouse_only(args: argparse.Namespace) -> int:
    start = lighthouse.load_average()
    scores = lighthouse.measure(ROOT / "site", args.lighthouse_runs, log)
    text, _, _ = lighthouse.section(scores, args.lighthouse_runs, (start, lighthouse.load_average()))
    args.out.write_text(lighthouse.replace_section(args.out.read_text(encoding="utf-8"), text), encoding="utf-8")
    log(f"wrote the Lighthouse section of {args.out}")
    return 0


def buildtime_only(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="edition-bench-") as name:
        bt = measure_build(copy_project(Path(name) / "project"), args.runs)
    text, targets, reasons = report.build_section(bt)
    log(text)
    for target, measured, status in targets:
        log(f"{status.strip('*'):>7}  {target}: {measured}")
    log("\n".join(reasons))
    return 0


def measure_build(project: Path, runs: int) -> buildtime.BuildTimes:
    log(f"build time: {runs} runs + 1 warm-up, edition and baselines …")
    bt = buildtime.measure(project, runs)
    log(
        f"  whole build {bt.whole:.3f} s; bare mkdocs {bt.bare_mkdocs:.3f} s; "
        f"bare WeasyPrint {report._s(bt.bare_weasyprint)} s"
    )
    log(f"  whole / (bare mkdocs + bare WeasyPrint) = {bt.whole / bt.baseline:.2f}×")
    log(f"  whole / minimal peer edition (bare mkdocs + plain PDF with notes) = {bt.whole / bt.peer:.2f}×")
    log(f"  own stages / whole = {bt.own / bt.whole:.1%}")
    return bt


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.lighthouse_only:
        return lighthouse_only(args)
    if args.buildtime_only:
        return buildtime_only(args)
    sizes = [int(s) for s in args.sizes.split(",")]
    pdf_sizes = [int(s) for s in args.pdf_sizes.split(",") if s]
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    command = "python -m benchmarks " + " ".join(argv if argv is not None else sys.argv[1:])
    with tempfile.TemporaryDirectory(prefix="edition-bench-") as name:
        tmp = Path(name)
        project = copy_project(tmp / "project")
        bt = measure_build(project, args.runs)
        log("reader cost …")
        rc = reader.measure(project / "site", project / "bare-site")
        log(f"  first load gzip: edition {report._sum(rc.edition, True)} B, plain {report._sum(rc.bare, True)} B")
        log(f"scaling {sizes} …")
        results, traced = run_scaling(tmp, sizes, set(), args.scaling_runs)
        pdf_times = pdf_scaling(tmp, pdf_sizes) if buildtime.has_pdf() and pdf_sizes else {}
        lh = None
        if lighthouse.available():
            log("Lighthouse …")
            start = lighthouse.load_average()
            scores = lighthouse.measure(project / "site", args.lighthouse_runs, log)
            lh = lighthouse.section(scores, args.lighthouse_runs, (start, lighthouse.load_average()))
    sections = [report.build_section(bt), report.scaling_section(results, traced, pdf_times), report.reader_section(rc)]
    if lh:
        sections.append(lh)
    else:
        why = "Lighthouse (benchmarks/node, `npm ci`) or Debian's Chromium is not installed"
        sections.append((f"## Lighthouse\n\nNot measured in this run: {why}; `make bench` installs it.", [], []))
    env = report.environment(machine(), versions(), when, command.strip())
    args.out.write_text(report.document(env, sections, METHOD), encoding="utf-8")
    for _, rows, _ in sections:
        for target, measured, status in rows:
            log(f"{status.strip('*'):>7}  {target}: {measured}")
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
