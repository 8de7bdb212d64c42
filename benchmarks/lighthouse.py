"""Lighthouse scores of every page type, mobile and desktop, in Debian's Chromium.

Lighthouse 12.2.3 (``benchmarks/node/package.json`` and its lock file; ``make bench`` installs it
with ``npm ci``) runs headless (``--headless=new --no-sandbox``) against the built site, served
from 127.0.0.1 the way a static host serves it: gzip for text, so the transfer sizes Lighthouse's
throttling simulation works from are those a reader gets. Each page is measured ``runs`` times
per preset (five by default) and the median score is kept: Lighthouse's variability guide
(GoogleChrome/lighthouse, docs/variability.md) advises running five times and taking the median,
which it says halves the spread. The table also prints each page's lowest and highest performance
score, so the spread stays visible. CLS is the largest of the runs, since a page that moves once is
a page that moves.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from build_scripts.config import ROOT
from build_scripts.serving import serve

NODE_DIR = ROOT / "benchmarks" / "node"
LIGHTHOUSE = NODE_DIR / "node_modules" / ".bin" / "lighthouse"
CHROME_PATH = "/usr/bin/chromium"
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
PRESETS = ("mobile", "desktop")

#: One page of each type: (label, path under the site root).
PAGE_TYPES = (
    ("front page", ""),
    ("chapter", "introduction/"),
    ("chapter (longest)", "national-security-regime-security-and-soft-power/"),
    ("References", "references/"),
    ("Glossary", "glossary/"),
    ("About", "about/"),
    ("Textual notes", "textual-notes/"),
    ("Apparatus", "apparatus/"),
    ("Changes", "changes/"),
    ("Downloads", "downloads/"),
)

TARGETS = {"performance": 95, "accessibility": 100, "best-practices": 100, "seo": 100}
CLS_TARGET = 0.02


@dataclass(frozen=True, slots=True)
class Score:
    """One page under one preset: median category scores (0–100) and the worst CLS of the runs."""

    page: str
    path: str
    preset: str
    scores: dict[str, int]
    performance_range: tuple[int, int]
    cls: float
    lcp_ms: float
    tbt_ms: float


def available() -> bool:
    return LIGHTHOUSE.exists() and Path(CHROME_PATH).exists()


def run_once(url: str, preset: str, out: Path) -> dict[str, Any]:
    """One Lighthouse run; its JSON report."""
    cmd = [
        str(LIGHTHOUSE),
        url,
        f"--chrome-flags={CHROME_FLAGS}",
        "--output=json",
        f"--output-path={out}",
        "--quiet",
        f"--only-categories={','.join(CATEGORIES)}",
    ]
    if preset == "desktop":
        cmd.append("--preset=desktop")
    subprocess.run(cmd, check=True, env={**os.environ, "CHROME_PATH": CHROME_PATH}, timeout=300)
    data: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return data


def measure(site: Path, runs: int = 3, log: Any = print) -> list[Score]:
    """Every page type under both presets, ``runs`` times each."""
    results = []
    with serve(site, gzip=True) as base, tempfile.TemporaryDirectory(prefix="edition-lh-") as tmp:
        for label, path in PAGE_TYPES:
            for preset in PRESETS:
                reports = [run_once(base + path, preset, Path(tmp) / f"{n}.json") for n in range(runs)]
                score = _summarise(label, path, preset, reports)
                log(f"  {label} ({preset}): {score.scores}, performance {score.performance_range}, CLS {score.cls:.3f}")
                results.append(score)
    return results


def load_average() -> tuple[float, float, float]:
    """The machine's load averages over 1, 5 and 15 minutes (what ``uptime`` prints)."""
    return os.getloadavg()


def _summarise(label: str, path: str, preset: str, reports: list[dict[str, Any]]) -> Score:
    scores = {c: round(100 * statistics.median(r["categories"][c]["score"] or 0 for r in reports)) for c in CATEGORIES}
    audits = [r["audits"] for r in reports]
    performance = [round(100 * (r["categories"]["performance"]["score"] or 0)) for r in reports]
    return Score(
        label,
        path,
        preset,
        scores,
        (min(performance), max(performance)),
        max(a["cumulative-layout-shift"]["numericValue"] for a in audits),
        statistics.median(a["largest-contentful-paint"]["numericValue"] for a in audits),
        statistics.median(a["total-blocking-time"]["numericValue"] for a in audits),
    )


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def section(
    scores: list[Score], runs: int, load: tuple[tuple[float, float, float], tuple[float, float, float]] | None = None
) -> tuple[str, list[list[str]], list[str]]:
    """The Lighthouse section of BENCHMARKS.md, its target rows and the reasons for misses.

    ``load``: the load averages at the start and at the end of the runs; scores (TBT above all)
    drop on a busy machine, so the section says how busy it was.
    """
    rows = [
        [
            s.page,
            f"`/{s.path}`",
            s.preset,
            *(str(s.scores[c]) for c in CATEGORIES),
            "–".join(str(x) for x in s.performance_range),
            f"{s.cls:.3f}",
            f"{s.lcp_ms / 1000:.1f}",
            f"{s.tbt_ms:.0f}",
        ]
        for s in scores
    ]
    header = [
        "page",
        "path",
        "preset",
        "performance",
        "accessibility",
        "best practices",
        "SEO",
        "performance, lowest–highest run",
        "CLS",
        "LCP s",
        "TBT ms",
    ]
    targets: list[list[str]] = []
    reasons: list[str] = []
    mobile = [s for s in scores if s.preset == "mobile"]
    for category, target in TARGETS.items():
        pool = mobile if category == "performance" else scores
        low = min(s.scores[category] for s in pool)
        ok = low >= target
        what = "mobile performance" if category == "performance" else category
        targets.append([f"Lighthouse {what} ≥ {target} on every page", f"lowest {low}", _status(ok)])
        if not ok:
            worst = [f"{s.page} ({s.preset}) {s.scores[category]}" for s in pool if s.scores[category] < target]
            reasons.append(f"Lighthouse {what} below {target}: " + ", ".join(worst) + ".")
    worst_cls = max(s.cls for s in scores)
    ok = worst_cls <= CLS_TARGET
    targets.append([f"CLS ≤ {CLS_TARGET} on every page (mobile and desktop)", f"largest {worst_cls:.3f}", _status(ok)])
    if not ok:
        reasons.append(
            "CLS above target: " + ", ".join(f"{s.page} ({s.preset}) {s.cls:.3f}" for s in scores if s.cls > CLS_TARGET)
        )
    text = "\n\n".join(
        [
            f"## Lighthouse (median of {runs} runs per page and preset; CLS the largest)",
            "Lighthouse 12.2.3 in Debian's Chromium (`--headless=new --no-sandbox`), default throttling "
            "(mobile: simulated slow 4G and 4× CPU slowdown; desktop: the desktop preset), site served "
            "gzip-encoded from 127.0.0.1 (`benchmarks/lighthouse.py`)." + (_load_text(load) if load else ""),
            _table(header, rows),
            "Targets of this section:",
            _table(["target", "measured", "status"], targets),
        ]
        + [f"- {r}" for r in reasons]
    )
    return text, targets, reasons


def _load_text(load: tuple[tuple[float, float, float], tuple[float, float, float]]) -> str:
    start, end = (", ".join(f"{x:.2f}" for x in avg) for avg in load)
    return (
        f" Machine load (`uptime` load averages over 1, 5 and 15 minutes, {os.cpu_count()} CPUs): "
        f"{start} at the start, {end} at the end."
    )


def _status(ok: bool) -> str:
    return "**met**" if ok else "**MISSED**"


def replace_section(document: str, text: str) -> str:
    """BENCHMARKS.md with its Lighthouse section replaced by ``text`` (added before Method if absent)."""
    start = document.find("## Lighthouse")
    if start < 0:
        start = end = document.find("## Method")
    else:
        end = document.find("\n## ", start + 1) + 1
    return document[:start] + text + "\n\n" + document[end:]
