"""BENCHMARKS.md: the tables, each target met or missed, and the reason for every miss."""

from __future__ import annotations

import statistics
from typing import Any

from .buildtime import OWN_STAGES, BuildTimes
from .reader import ReaderCost, Resource

#: A growth ratio counts as linear up to this much above the size ratio (timer and GC noise).
LINEAR_SLACK = 1.25


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _s(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds:.3f}"


def _bullets(blocks: list[str]) -> list[str]:
    """Join consecutive ``- `` items into one list block (the blocks are joined by blank lines)."""
    out: list[str] = []
    for block in blocks:
        if block.startswith("- ") and out and out[-1].startswith("- "):
            out[-1] += "\n" + block
        else:
            out.append(block)
    return out


def _status(ok: bool) -> str:
    return "**met**" if ok else "**MISSED**"


def environment(machine: dict[str, str], versions: dict[str, str], when: str, command: str) -> str:
    return "\n\n".join(
        [
            f"Run {when} with `{command}`.",
            "## Machine\n\n" + _table(["", ""], [[k, v] for k, v in machine.items()]),
            "## Versions\n\n" + _table(["package", "version"], [[k, v] for k, v in versions.items()]),
        ]
    )


def build_section(bt: BuildTimes) -> tuple[str, list[list[str]], list[str]]:
    """The build-time section, its target rows, and the reasons for misses."""
    order = [s for s in (*OWN_STAGES, "mkdocs", "pdf", "offline", "swap") if s in bt.stages]
    rows = []
    for stage in order:
        sample = bt.samples[stage]
        share = bt.stages[stage] / bt.whole
        rows.append([stage, _s(bt.stages[stage]), _s(min(sample)), _s(max(sample)), f"{share:.1%}"])
    rows.append(["**edition's own stages** (source … emit)", _s(bt.own), "", "", f"{bt.own / bt.whole:.1%}"])
    rows.append(["**whole build** (wall clock)", _s(bt.whole), _s(min(bt.samples["whole build"])), "", "100%"])
    rows.append(["bare `mkdocs build` (baseline)", _s(bt.bare_mkdocs), _s(min(bt.samples["bare mkdocs"])), "", ""])
    if bt.bare_weasyprint is not None:
        rows.append(
            ["bare WeasyPrint (baseline)", _s(bt.bare_weasyprint), _s(min(bt.samples["bare WeasyPrint"])), "", ""]
        )
    if bt.peer_pdf is not None:
        rows.append(["peer edition's plain PDF (reading text with notes)", _s(bt.peer_pdf), "", "", ""])
    peer_ratio = bt.whole / bt.peer
    ratio = bt.whole / bt.baseline
    own_share = bt.own / bt.whole
    lines = [
        f"## Build time (median of {bt.runs} runs, after one warm-up run)",
        _table(["stage", "median s", "min s", "max s", "share of whole build"], rows),
        "Ratios (printed by `make bench` too):",
        f"- whole build / (bare mkdocs + bare WeasyPrint) = {bt.whole:.3f} / {bt.baseline:.3f} = **{ratio:.2f}×**",
        f"- mkdocs stage / bare mkdocs = {bt.stages['mkdocs'] / bt.bare_mkdocs:.2f}×",
        f"- whole build / minimal peer edition (bare mkdocs + plain PDF of the reading text with notes) = "
        f"{bt.whole:.3f} / {bt.peer:.3f} = **{peer_ratio:.2f}×**",
    ]
    if bt.bare_weasyprint is not None and "pdf" in bt.stages:
        lines.append(f"- pdf stage / bare WeasyPrint = {bt.stages['pdf'] / bt.bare_weasyprint:.2f}×")
    if bt.print_html is not None:
        lines.append(f"- making the print HTML (`pdf.print_html`) takes {bt.print_html:.3f} s of the pdf stage")
    lines.append(f"- edition's own stages / whole build = **{own_share:.1%}**")
    if "pdf" in bt.stages:
        lines.append(
            "- the pdf stage runs in a second process from the end of the pages stage on, beside emit, "
            "mkdocs, offline and versions, so the shares add up to more than 100%"
        )
    lines += [f"- note: {n}" for n in bt.notes]
    lines = _bullets(lines)
    targets = [
        ["whole build ≤ 2.5× the minimal peer edition", f"{peer_ratio:.2f}×", _status(peer_ratio <= 2.5)],
        ["whole build ≤ 1.3× (bare mkdocs + bare WeasyPrint)", f"{ratio:.2f}×", _status(ratio <= 1.3)],
        ["edition's own stages ≤ 10% of the whole build", f"{own_share:.1%}", _status(own_share <= 0.10)],
    ]
    reasons = []
    if ratio > 1.3:
        parts = []
        if "offline" in bt.stages:
            parts.append(
                f"the offline copy ({bt.stages['offline']:.2f} s, while the PDF is laid out) is a second complete "
                "MkDocs build (Material's offline plugin, file:// URLs) zipped into downloads, which neither "
                "baseline does"
            )
        extra_mk = bt.stages["mkdocs"] - bt.bare_mkdocs
        parts.append(
            f"the mkdocs stage costs {extra_mk:+.2f} s over bare MkDocs (strict validation, the hooks, the "
            "template overrides, the redirects plugin and the search plugin's separator)"
        )
        if bt.bare_weasyprint is not None and "pdf" in bt.stages:
            parts.append(
                f"the pdf stage costs {bt.stages['pdf'] - bt.bare_weasyprint:+.2f} s over bare WeasyPrint (making "
                "the print HTML, checking every character against the embedded fonts, and re-rendering when a "
                "footnote would leave its call's page)"
            )
        parts.append(f"the edition's own text stages take {bt.own:.2f} s")
        reasons.append(f"Whole build {ratio:.2f}× the bare baselines (target 1.3×): " + "; ".join(parts) + ".")
    if own_share > 0.10:
        top = sorted(((bt.stages.get(s, 0.0), s) for s in OWN_STAGES), reverse=True)[:3]
        reasons.append(
            f"The edition's own stages are {own_share:.1%} of the build (target 10%); the largest are "
            + ", ".join(f"{s} {t:.3f} s" for t, s in top)
            + "."
        )
    return "\n\n".join(lines), targets, reasons


def scaling_section(
    results: dict[int, list[dict[str, Any]]], traced: dict[int, dict[str, Any]], pdf_runs: dict[int, dict[str, Any]]
) -> tuple[str, list[list[str]], list[str]]:
    factors = sorted(results)
    base, top = factors[0], factors[-1]
    mid = factors[1] if len(factors) > 2 else top
    stages = [
        s
        for s in ("repair", "citations", "glossary", "pages", "emit", "mkdocs", "pdf")
        if any(s in r["times"] for r in results[base])
    ]

    def med(f: int, stage: str) -> float | None:
        vals = [r["times"][stage] for r in results[f] if stage in r["times"]]
        return statistics.median(vals) if vals else None

    rows = []
    superlinear = []
    for stage in stages:
        times = [med(f, stage) for f in factors]
        ratios = ["–" if t is None or times[0] is None else f"{t / times[0]:.1f}×" for t in times]
        t_mid, t_top = med(mid, stage), med(top, stage)
        step = (top / mid) if mid != top else top / base
        growth = (t_top / t_mid) if (t_mid and t_top) else None
        linear = growth is not None and growth <= step * LINEAR_SLACK
        if growth is not None and not linear:
            superlinear.append((stage, growth, step))
        rows.append(
            [
                stage,
                *(_s(t) for t in times),
                *ratios[1:],
                "–" if growth is None else f"{growth:.1f}× for {step:.0f}×",
                "–" if growth is None else ("linear" if linear else "**superlinear**"),
            ]
        )
    header = [
        "stage",
        *(f"{f}× s" for f in factors),
        *(f"{f}×/{base}×" for f in factors[1:]),
        f"{top}× / {mid}×",
        "growth",
    ]
    mem_rows = []
    rss = {f: statistics.median(r["peak_rss_kib"] for r in results[f]) for f in factors}
    above = {f: statistics.median(r["peak_rss_kib"] - r["rss_before_kib"] for r in results[f]) for f in factors}
    tm = {f: traced[f]["tracemalloc_peak_kib"] for f in factors if f in traced}
    mem_ok = True
    for label, series in (
        ("peak RSS of the process (MiB)", rss),
        ("peak RSS above the loaded baseline (MiB)", above),
        ("tracemalloc peak, repair → emit (MiB)", tm),
    ):
        if not series:
            continue
        vals = [series.get(f) for f in factors]
        growth = series[top] / series[mid] if series.get(mid) and mid != top else None
        ok = growth is None or growth <= (top / mid) * LINEAR_SLACK
        if label.startswith(("peak RSS above", "tracemalloc")):
            mem_ok = mem_ok and ok
        mem_rows.append(
            [
                label,
                *(f"{v / 1024:.1f}" if v is not None else "–" for v in vals),
                *(f"{v / vals[0]:.1f}×" if v and vals[0] else "–" for v in vals[1:]),
                "–" if growth is None else f"{growth:.1f}× for {top / mid:.0f}×",
                "linear" if ok else "**superlinear**",
            ]
        )
    size_rows = [
        ["paragraphs", *(results[f][0]["paragraphs"] for f in factors)],
        ["words", *(results[f][0]["words"] for f in factors)],
    ]
    if all("site_bytes" in results[f][0] for f in factors):
        size_rows.append(["site bytes", *(results[f][0]["site_bytes"] for f in factors)])
    runs = ", ".join(f"{f}×: {len(results[f])}" for f in factors)
    pdf_errors = [f"{f}×: {r['pdf_error']}" for f in factors for r in results[f] if "pdf_error" in r]
    text = [
        f"## Scaling (synthetic editions; median of runs per size: {runs})",
        _table(["size", *(f"{f}×" for f in factors)], size_rows),
        _table(header, rows),
        "Growth is judged between the two largest sizes (the 1× times are a few milliseconds, mostly noise); "
        f"linear means the time grew at most {LINEAR_SLACK:.2f}× the size ratio.",
        "### Peak memory (one subprocess per size)",
        _table(
            [
                "measure",
                *(f"{f}×" for f in factors),
                *(f"{f}×/{base}×" for f in factors[1:]),
                f"{top}× / {mid}×",
                "growth",
            ],
            mem_rows,
        ),
    ]
    pdf_errors += [f"{f}×: {r['pdf_error']}" for f, r in sorted(pdf_runs.items()) if "pdf_error" in r]
    pdf_text, pdf_growth = pdf_scaling_text({f: r for f, r in pdf_runs.items() if "pdf" in r["times"]})
    text += pdf_text
    if pdf_growth is not None and pdf_growth[0] > pdf_growth[1] * LINEAR_SLACK:
        superlinear.append(("pdf", *pdf_growth))
    text += _bullets([f"- PDF at {e}" for e in pdf_errors])
    time_ok = not superlinear
    targets = [
        [
            "time grows at most linearly with edition size",
            "; ".join(f"{s} {g:.1f}× for {st:.0f}×" for s, g, st in superlinear) or "all stages linear",
            _status(time_ok),
        ],
        [
            "peak memory grows at most linearly",
            f"RSS above baseline {above[top] / above[base]:.1f}× at {top}×",
            _status(mem_ok),
        ],
    ]
    if pdf_growth is not None:
        pdf_top = max(pdf_runs)
        targets.append(
            [
                f"pdf stage grows at most linearly up to {pdf_top}× (CPU, two largest sizes)",
                f"{pdf_growth[0]:.2f}× for {pdf_growth[1]:.0f}×",
                _status(pdf_growth[0] <= pdf_growth[1] * LINEAR_SLACK),
            ]
        )
    reasons = []
    for stage, growth, step in superlinear:
        reasons.append(
            f"Scaling: the {stage} stage grew {growth:.1f}× for a {step:.0f}× larger edition. "
            + SUPERLINEAR_WHY.get(stage, "")
        )
    return "\n\n".join(text), targets, reasons


def pdf_scaling_text(runs: dict[int, dict[str, Any]]) -> tuple[list[str], tuple[float, float] | None]:
    """The PDF scaling table, and (CPU growth, size ratio) between the two largest sizes."""
    if len(runs) < 2:
        return [], None
    pf = sorted(runs)
    cpu = {f: runs[f]["cpu"]["pdf"] for f in pf}
    bare = {f: runs[f]["cpu"]["bare WeasyPrint"] for f in pf}
    wall = {f: runs[f]["times"]["pdf"] for f in pf}
    mid, top = pf[-2], pf[-1]
    growth, step = cpu[top] / cpu[mid], top / mid
    rows = [
        ["pages of the PDF", *(runs[f].get("pdf_pages", "–") for f in pf)],
        ["pdf stage, wall clock s", *(_s(wall[f]) for f in pf)],
        ["pdf stage, CPU s", *(_s(cpu[f]) for f in pf)],
        ["bare WeasyPrint at the same size, CPU s (baseline)", *(_s(bare[f]) for f in pf)],
        ["**pdf stage / bare WeasyPrint** (CPU)", *(f"**{cpu[f] / bare[f]:.2f}×**" for f in pf)],
        [f"pdf stage CPU / {pf[0]}×", *(f"{cpu[f] / cpu[pf[0]]:.1f}×" for f in pf)],
        ["layouts (whole document + windows)", *(runs[f].get("pdf_layouts", "–") for f in pf)],
    ]
    text = [
        f"### PDF stage ({', '.join(f'{f}×' for f in pf)}; one subprocess per size)",
        _table(["size", *(f"{f}×" for f in pf)], rows),
        "Each size runs in its own subprocess: first the baseline (WeasyPrint alone on the same print HTML "
        "with the edition's stylesheets: one layout, no note placement, no tags, no checks), then the pdf "
        "stage (`pdf.build_pdf`). CPU time (`time.process_time`) is the measure here because the machine is "
        "shared and both run in one thread; the wall clock is given too. The stage is linear if its ratio to "
        "the same-size baseline stays flat and its growth between the two largest sizes is at most "
        f"{LINEAR_SLACK:.2f}× the size ratio: here {growth:.2f}× for {step:.0f}×.",
    ]
    return text, (growth, step)


#: Why a stage grew faster than the edition, when it does. These name today's code; a stage that
#: turns superlinear without an entry here needs profiling (cProfile on ``python -m benchmarks.scaling``).
SUPERLINEAR_WHY = {
    "pages": (
        "Cause unknown: every per-block lookup goes through `EditionIndex` (built once in `edition.py`), so "
        "profile `pages.render_pages` at the largest size."
    ),
    "emit": "Cause unknown: `emit.emit` only joins the rendered pages and data files; profile it at the largest size.",
    "glossary": "Cause: per-block matching of every entry, then coverage checks over every occurrence found.",
    "citations": "Cause unknown: `citations._apply_decisions` indexes citations by source line; profile it.",
    "pdf": (
        "Cause (cProfile at 5×): besides layout, which `pdf.place_notes` keeps linear, WeasyPrint 70's tagged "
        "PDF (`pdf/tags.py`) asks pydyf for `PDF.page_references` once per structure element, and that "
        "property builds the tuple of every page each time (pydyf 0.13), so tagging is O(pages × elements)."
    ),
}


def _sum(rs: list[Resource], transferred: bool) -> int:
    return sum(min(r.raw, r.gzip) if transferred else r.raw for r in rs)


def reader_section(rc: ReaderCost) -> tuple[str, list[list[str]], list[str]]:
    def by_kind(rs: list[Resource]) -> dict[str, tuple[int, int]]:
        out: dict[str, tuple[int, int]] = {}
        for r in rs:
            raw, gz = out.get(r.kind, (0, 0))
            out[r.kind] = (raw + r.raw, gz + min(r.raw, r.gzip))
        return out

    ed, bare = by_kind(rc.edition), by_kind(rc.bare)
    rows = []
    for kind in dict.fromkeys([*ed, *bare]):
        e, b = ed.get(kind, (0, 0)), bare.get(kind, (0, 0))
        rows.append([kind, e[0], e[1], b[0], b[1]])
    te_raw, te_gz = _sum(rc.edition, False), _sum(rc.edition, True)
    tb_raw, tb_gz = _sum(rc.bare, False), _sum(rc.bare, True)
    no_search = [r for r in rc.edition if not r.kind.startswith("search")]
    no_search_b = [r for r in rc.bare if not r.kind.startswith("search")]
    rows.append(["**total**", te_raw, te_gz, tb_raw, tb_gz])
    rows.append(
        [
            "total without search worker and index",
            _sum(no_search, False),
            _sum(no_search, True),
            _sum(no_search_b, False),
            _sum(no_search_b, True),
        ]
    )
    third = [r.url for r in rc.edition if r.third_party]
    ratio_raw, ratio_gz = te_raw / tb_raw, te_gz / tb_gz
    extra = [r for r in rc.edition if r.url not in {b.url for b in rc.bare}]
    index_ratio = rc.index_bytes / rc.text_bytes
    lines = [
        "## Reader cost: first load of the first chapter (`introduction/`)",
        "Bytes; gzip = what a server sends with gzip level 9 (images and fonts counted as they are). The plain "
        "Material site is built from the same Markdown with the bare configuration (no extra CSS/JS, hooks or "
        "overrides). The edition's CJK subset font is fetched only by pages whose rendered text holds Chinese "
        "(the glossary), or when a tooltip with Chinese is shown; the chapter has Chinese only in tooltips.",
        _table(["resource", "edition raw", "edition gzip", "plain Material raw", "plain Material gzip"], rows),
        f"- edition / plain Material: **{ratio_raw:.2f}×** raw, **{ratio_gz:.2f}×** gzip "
        f"(without search: {_sum(no_search, False) / _sum(no_search_b, False):.2f}× raw, "
        f"{_sum(no_search, True) / _sum(no_search_b, True):.2f}× gzip)",
        "- what the edition adds: " + ", ".join(f"`{r.url}` {min(r.raw, r.gzip)} B" for r in extra),
        f"- HTML of the page: {ed['html'][0]} B vs {bare['html'][0]} B",
        f"- third-party requests: **{len(third)}**" + (f" ({', '.join(third)})" if third else ""),
        "## Search index",
        _table(
            ["", "bytes"],
            [
                ["`search/search_index.json` (edition)", rc.index_bytes],
                ["`search/search_index.json` (plain Material, same Markdown)", rc.bare_index_bytes],
                ["visible article text of every indexed page (UTF-8, whitespace collapsed)", rc.text_bytes],
                ["reading text alone (`downloads/edition.txt`)", rc.reading_text_bytes],
            ],
        ),
        f"- index / site text = **{index_ratio:.2f}×** (plain Material: {rc.bare_index_bytes / rc.text_bytes:.2f}×)",
    ]
    targets = [
        [
            "first chapter load ≤ 1.1× a plain Material site (gzip)",
            f"{ratio_gz:.2f}× gzip, {ratio_raw:.2f}× raw",
            _status(ratio_gz <= 1.1),
        ],
        ["zero third-party bytes", f"{len(third)} third-party requests", _status(not third)],
        ["search index ≤ 1.3× the text", f"{index_ratio:.2f}×", _status(index_ratio <= 1.3)],
    ]
    reasons = []
    if ratio_gz > 1.1:
        reasons.append(
            f"First load {ratio_gz:.2f}× plain Material (gzip; target 1.1×): the additions are "
            + ", ".join(f"{r.kind} `{r.url}` ({min(r.raw, r.gzip)} B)" for r in extra)
            + f", and the chapter's HTML is {ed['html'][1] - bare['html'][1]:+d} B gzip (paragraph numbers and "
            "anchors, manuscript page markers, glossary links with tooltips, citation metadata and JSON-LD)."
        )
    if index_ratio > 1.3:
        reasons.append(
            f"Search index {index_ratio:.2f}× the text (target 1.3×), the same as a plain Material site of the same "
            f"Markdown ({rc.bare_index_bytes / rc.text_bytes:.2f}×), so the overhead is the search plugin's format, "
            "not the edition's pages: MkDocs' search plugin writes JSON with ASCII "
            "escapes, so each non-ASCII character costs 6 bytes (the apparatus quotes the garbled source readings, "
            "thousands of Latin Extended glyph characters), and each section keeps its HTML tags (`<p>`, `<sup>`). "
            f"Written without the escapes the same index would be {rc.unescaped_index_bytes / rc.text_bytes:.2f}× "
            "the text; leaving the apparatus page out of the search (`search: exclude: true` in its front matter) "
            f"would give {rc.index_without_apparatus[0] / rc.index_without_apparatus[1]:.2f}×. Either is a change "
            "to the site stage, not made by the benchmark."
        )
    return "\n\n".join(_bullets(lines)), targets, reasons


def document(env: str, sections: list[tuple[str, list[list[str]], list[str]]], method: str) -> str:
    targets = [row for _, rows, _ in sections for row in rows]
    reasons = [r for _, _, rs in sections for r in rs]
    out = [
        "# Benchmarks",
        "<!-- Generated by `make bench` (python -m benchmarks). Do not edit: rerun the benchmark. -->",
        env,
        "## Targets",
        _table(["target", "measured", "status"], targets),
        "### Missed targets, and why",
        "\n".join(f"- {r}" for r in reasons) if reasons else "None.",
        *(text for text, _, _ in sections),
        "## Method",
        method,
    ]
    return "\n\n".join(out) + "\n"
