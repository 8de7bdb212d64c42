"""Atomic output: a build killed mid-stage leaves the last good site/ intact and servable.

The kill chain (``kill_chain``, run once per test run as ``conftest.recovered_build``) works on a
copy of the run's shared complete build (``conftest.full_build``) and starts ``python -m
build_scripts`` there twice, killing it while a given stage runs: SIGTERM in the mkdocs stage
(``.site-new`` has appeared), then SIGKILL in the offline stage (``.site-offline`` has appeared),
the second build starting on what the first left. Both times the print process is still laying
out the PDF, and the kill must take it too. The previous ``site/`` must stay byte-identical and no
process of the build may outlive it; the site is then served with no broken link. A full rebuild
follows, on another day as MkDocs' clock tells it: it must publish the same bytes as the shared
build (it is also reproducibility's second build, tests/test_reproducible.py), while a second
build started meanwhile stops at once. The chain records what it saw; the tests
here assert on that record.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from build_scripts.config import ROOT, load_config
from build_scripts.diagnostics import BuildError, Diagnostic, Location
from build_scripts.pipeline import PDF_NAME, StageTimer, Staging, build
from build_scripts.serving import serve as serve_site
from build_scripts.site import old_trees, recover, staging_dirs

pytestmark = pytest.mark.slow

HAS_PDF = (ROOT / "build_scripts" / "pdf.py").exists()
BUILD_ARGS = [] if HAS_PDF else ["--no-pdf"]
IGNORE = shutil.ignore_patterns(
    ".venv",
    ".git",
    "site",
    ".site-*",
    ".docs-new",
    ".build-tmp",
    ".build.lock",
    "test-artifacts",
    ".hypothesis",
    "*_cache",
    "__pycache__",
    "tests",
    "node",  # benchmarks/node: Lighthouse's npm packages (make bench), 110 MB no build reads
)


def copy_project(dst: Path) -> Path:
    """The project's tree (inputs, code, config; no venv, outputs or caches) under ``dst``."""
    shutil.copytree(ROOT, dst, ignore=IGNORE)
    return dst


def tree_hash(root: Path) -> dict[str, str]:
    """Relative path → SHA-256 of every file under ``root``."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def run_build(project: Path, *extra: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "build_scripts", *BUILD_ARGS, *extra],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
        env=_env() | (env or {}),
    )


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.fixture
def project(full_build: Path, tmp_path: Path) -> Path:
    """A copy of the shared complete build (conftest.full_build), one per case."""
    dst = tmp_path / "project"
    shutil.copytree(full_build, dst, symlinks=True)
    return dst


def _when_path_exists(name: str) -> Callable[[Path, list[str]], bool]:
    return lambda project, _lines: (project / name).exists()


#: Runs ``python -m build_scripts`` with MkDocs' clock moved to another day (2031-05-17).
ANOTHER_DAY = """
import datetime, runpy, sys
import mkdocs.utils
class Later(datetime.datetime):
    @classmethod
    def now(cls, tz=None):
        return datetime.datetime(2031, 5, 17, 12, 0, tzinfo=tz)
mkdocs.utils.datetime = Later
sys.argv = ["build_scripts", *sys.argv[1:]]
runpy.run_module("build_scripts", run_name="__main__", alter_sys=True)
"""


def start_build(
    project: Path, *, stderr: int, program: Sequence[str] = ("-m", "build_scripts")
) -> subprocess.Popen[str]:
    """``python -m build_scripts`` (or ``program``) in ``project``, running in the background; its output
    as text on a pipe."""
    return subprocess.Popen(
        [sys.executable, *program, *BUILD_ARGS],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        env=_env(),
    )


def kill_during(
    project: Path, ready: Callable[[Path, list[str]], bool], sig: signal.Signals
) -> tuple[int, list[str], int]:
    """Start a build, wait until ``ready`` says the target stage is running, send ``sig``; return the
    exit code, the stage lines printed and how many processes the build had when it was killed."""
    proc = start_build(project, stderr=subprocess.DEVNULL)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True)  # type: ignore[union-attr]
    reader.start()
    deadline = time.monotonic() + 300
    while not ready(project, lines):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the build ended before the kill point: {lines}")
        time.sleep(0.001)
    alive = len(processes_in(project))
    proc.send_signal(sig)
    code = proc.wait(timeout=60)
    reader.join(timeout=10)
    return code, lines, alive


#: When a stage is running: MkDocs has made its staging folder, or the offline build its own. The print
#: process lays the PDF out from the start of the build until after both, so a kill in either stage
#: also kills a build whose PDF is half laid out (``Killed.printing`` records that it was).
STAGES = {
    "mkdocs": _when_path_exists(".site-new"),
    "offline": _when_path_exists(".site-offline"),
}


def processes_in(folder: Path) -> list[int]:
    """Pids of processes whose working directory is ``folder`` (a build, or its print process)."""
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and (proc / "cwd").resolve() == folder.resolve():
                pids.append(int(proc.name))
        except OSError:
            continue
    return pids


@dataclass
class Killed:
    """One build of the chain, killed while ``stage`` ran."""

    stage: str
    signal: int
    exit_code: int
    output: list[str]
    printing: bool  # its print process was laying out the PDF when the signal was sent
    swapped: bool  # it reached the swap (reported the swap stage)
    site_changed: bool  # site/ lost or changed a byte
    survivors: list[int]  # its processes (the build, its print process) alive 10 s after the kill


@dataclass
class Recovery:
    """What the kill chain (:func:`kill_chain`) saw; the tests assert on it."""

    kills: list[Killed]
    unserved: list[str]  # paths the served site did not answer with content, after the kills
    broken: list[str]  # broken links of the site after the kills
    rebuild: tuple[int, str]  # exit code and stderr of the full rebuild
    second: tuple[int, str]  # … of the second build, started while the rebuild held the lock
    leftovers: list[str]  # staging folders or old trees left after the rebuild
    partial: list[str]  # *.tmp files published

    @classmethod
    def load(cls, path: Path) -> Recovery:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            kills=[Killed(**k) for k in data["kills"]],
            unserved=data["unserved"],
            broken=data["broken"],
            rebuild=(data["rebuild"][0], data["rebuild"][1]),
            second=(data["second"][0], data["second"][1]),
            leftovers=data["leftovers"],
            partial=data["partial"],
        )


#: The chain's kills, in order: each build starts on what the last one left. (A third, SIGKILL "in the
#: PDF stage" once the mkdocs stage was reported, fired within milliseconds of the offline one, in
#: the same state: MkDocs done, the offline build starting, the PDF being laid out.)
KILLS = (("mkdocs", signal.SIGTERM), ("offline", signal.SIGKILL))


def kill_once(project: Path, stage: str, sig: signal.Signals, before: dict[str, str]) -> Killed:
    code, lines, alive = kill_during(project, STAGES[stage], sig)
    deadline = time.monotonic() + 10
    while processes_in(project) and time.monotonic() < deadline:
        time.sleep(0.05)
    return Killed(
        stage=stage,
        signal=int(sig),
        exit_code=code,
        output=lines,
        printing=alive >= 2,
        swapped=any(line.split()[:1] == ["swap"] for line in lines),
        site_changed=tree_hash(project / "site") != before,
        survivors=processes_in(project),
    )


def kill_chain(project: Path) -> Recovery:
    """Kill a build of ``project`` (a copy of a complete build) in each stage of :data:`KILLS`, serve what
    is left, then rebuild in full on another day (as MkDocs' clock tells it) while a second build is
    started. The rebuild is also the second build that reproducibility compares (test_reproducible)."""
    from test_links import check_links

    site = project / "site"
    before = tree_hash(site)
    kills = [kill_once(project, stage, sig, before) for stage, sig in KILLS]
    unserved = []
    with serve_site(site) as base:
        for path in ("", "introduction/", "references/", "search/search_index.json", "assets/edition.css"):
            try:
                with urllib.request.urlopen(base + path, timeout=10) as response:
                    if response.status != 200 or not response.read():
                        unserved.append(path)
            except OSError as exc:
                unserved.append(f"{path}: {exc}")
    broken = [b.url for b in check_links(site) if HAS_PDF or not b.url.endswith(PDF_NAME)]
    rebuild, second = build_with_a_second_build_started(project)
    _, old = staging_dirs(site)
    return Recovery(
        kills=kills,
        unserved=unserved,
        broken=broken,
        rebuild=(rebuild.returncode, rebuild.stderr),
        second=(second.returncode, second.stderr),
        leftovers=[p.name for p in (*Staging.beside(site).all(), old) if p.exists()],
        partial=[p.relative_to(site).as_posix() for p in site.rglob("*.tmp")],
    )


@pytest.fixture(scope="module")
def recovery(recovered_build: Path) -> Recovery:
    return Recovery.load(recovered_build.parent / "recovery.json")


def test_builds_killed_in_each_stage_leave_the_site_as_it_was_and_servable(recovery: Recovery) -> None:
    """SIGTERM in MkDocs, then SIGKILL in the offline stage (the second build starting on what the first
    left), each while the PDF is being laid out: site/ keeps its bytes every time, no process of the
    build outlives it, and the site is then served with no broken link."""
    assert [(k.stage, k.signal) for k in recovery.kills] == [(stage, int(sig)) for stage, sig in KILLS]
    for k in recovery.kills:
        assert k.exit_code == -k.signal, f"{k.stage}: not killed by signal {k.signal} (exit {k.exit_code}; {k.output})"
        assert k.printing or not HAS_PDF, f"the PDF was no longer being laid out when the {k.stage} stage was killed"
        assert not k.swapped, f"the build killed during {k.stage} reached the swap"
        assert not k.site_changed, f"the build killed during {k.stage} changed site/"
        assert not k.survivors, f"the print process outlived the build killed during {k.stage}"
    assert recovery.unserved == [] and recovery.broken == []


def test_a_full_rebuild_after_the_kills_publishes_the_same_bytes_and_refuses_a_second_build(
    recovery: Recovery, recovered_build: Path, full_build: Path
) -> None:
    """The full rebuild that follows the kills publishes the same (reproducible) bytes as the shared
    build and leaves no staging folder or partial file, while a second build started meanwhile stops
    at once with E-BUILD-LOCKED."""
    code, stderr = recovery.second
    assert code == 1 and "E-BUILD-LOCKED" in stderr and "Traceback" not in stderr, stderr
    assert recovery.rebuild[0] == 0, recovery.rebuild[1]
    assert recovery.leftovers == [] and recovery.partial == [], "a staging folder or partial file was left"
    site = recovered_build / "site"
    assert (site / "downloads" / PDF_NAME).stat().st_size > 100_000 or not HAS_PDF, "no complete PDF"
    assert tree_hash(site) == tree_hash(full_build / "site"), "the recovering build should publish the same site"


def build_with_a_second_build_started(project: Path) -> tuple[subprocess.CompletedProcess[str], ...]:
    """A full build (on another day: :data:`ANOTHER_DAY`), and a second one started once the first
    holds the lock (it writes its pid there)."""
    first = start_build(project, stderr=subprocess.PIPE, program=["-c", ANOTHER_DAY])
    lock, deadline = project / ".build.lock", time.monotonic() + 60
    while not lock.exists() or lock.read_text(encoding="utf-8").strip() != str(first.pid):
        if first.poll() is not None or time.monotonic() > deadline:
            first.kill()
            raise AssertionError(f"the build did not take the lock: {first.communicate()}")
        time.sleep(0.01)
    second = run_build(project)
    out, err = first.communicate(timeout=600)
    return subprocess.CompletedProcess(first.args, first.returncode, out, err), second


def test_recover_restores_a_site_moved_aside_by_an_interrupted_swap(tmp_path: Path) -> None:
    site = tmp_path / "site"
    new, old = staging_dirs(site)
    old.mkdir()
    (old / "index.html").write_text("last good")
    new.mkdir()
    recover(site)
    assert (site / "index.html").read_text() == "last good"
    assert not old.exists()


def test_recover_drops_the_old_tree_after_a_completed_swap(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _, old = staging_dirs(site)
    site.mkdir()
    (site / "index.html").write_text("new")
    old.mkdir()
    recover(site)
    assert (site / "index.html").read_text() == "new" and not old.exists()


# --- swap failures, docs staging and two builds at once (in-process where a fault is injected) ------


def _quiet() -> StageTimer:
    return StageTimer(report=lambda _: None)


def test_a_failed_swap_keeps_the_site_and_an_undeletable_old_site_is_cleaned_by_the_next_build(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three in-process builds in a row, each on what the last one left.

    1. The swap is refused (``.site-new`` cannot be renamed): E-SITE-SWAP, and the previous site
       stays complete and published, with no old tree or staging folder left.
    2. The swap works but the old tree cannot be deleted: a W-SITE-CLEANUP warning, the new site
       is published and the old tree stays beside it.
    3. A normal build removes that old tree.
    """
    import build_scripts.site as site_module

    site = project / "site"
    before = tree_hash(site)
    config = load_config(project)
    real_rename, real_rmtree = Path.rename, shutil.rmtree

    def refuse(self: Path, target: Any) -> Any:
        if self.name == ".site-new":
            raise PermissionError(errno.EACCES, "refused by the test", str(self))
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", refuse)
    with pytest.raises(BuildError) as raised:
        build(config, pdf=False, offline=False, timer=_quiet())
    assert raised.value.codes == {"E-SITE-SWAP"}
    assert tree_hash(site) == before, "the previous site must stay complete and published"
    assert not old_trees(site) and not staging_dirs(site)[0].exists()
    monkeypatch.undo()

    def stubborn(path: Any, *args: Any, **kwargs: Any) -> None:
        if Path(path).name.startswith(".site-old"):
            kwargs["onerror"](
                os.unlink, str(Path(path) / "index.html"), (PermissionError, PermissionError(1, "no"), None)
            )
            return
        real_rmtree(path, *args, **kwargs)

    monkeypatch.setattr(site_module.shutil, "rmtree", stubborn)
    reports: list[str] = []
    build(config, pdf=False, offline=False, timer=StageTimer(report=reports.append))
    assert [r for r in reports if r.startswith("W-SITE-CLEANUP")], reports
    assert (site / "index.html").is_file() and len(old_trees(site)) == 1
    monkeypatch.undo()
    build(config, pdf=False, offline=False, timer=_quiet())
    assert (site / "index.html").is_file() and not old_trees(site)


def test_a_build_that_fails_late_leaves_docs_as_it_was(project: Path) -> None:
    """The text changes (so docs/ would change), then MkDocs fails: docs/ and site/ keep their bytes."""
    docs, site = tree_hash(project / "docs"), tree_hash(project / "site")
    decisions = project / "editorial" / "decisions.yaml"
    data = yaml.safe_load(decisions.read_text(encoding="utf-8"))
    data["decisions"].append(
        {"id": "late", "kind": "emend", "line": 220, "match": "huge", "correction": "vast", "reason": "test"}
    )
    decisions.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    about = project / "editorial" / "pages" / "about.md"
    about.write_text(about.read_text(encoding="utf-8") + "\nSee [the lost page](gone.md).\n", encoding="utf-8")
    with pytest.raises(BuildError) as raised:
        build(load_config(project), pdf=False, offline=False, timer=_quiet())
    assert "E-SITE-BUILD" in raised.value.codes
    assert any("gone.md" in d.message for d in raised.value.diagnostics), "MkDocs' warning text is reported"
    assert tree_hash(project / "docs") == docs and tree_hash(project / "site") == site
    assert not [p for p in Staging.beside(project / "site").all() if p.exists()]


def test_a_failing_build_stops_the_print_process_instead_of_waiting_for_the_pdf(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MkDocs fails while the PDF is being laid out: the build reports the failure without the PDF.

    The print process is forked from this test's process, so it runs the stand-ins set here: its
    "PDF" records its pid, then would take five minutes to finish and leave a mark. MkDocs' stand-in
    fails once that PDF has begun. The build must raise MkDocs' error with the print process killed
    and reaped and the PDF never finished (had it waited, the mark would be there).
    """
    import build_scripts.pdf as pdf_module
    import build_scripts.pipeline as pipeline

    if not HAS_PDF:
        pytest.skip("build_scripts/pdf.py has not landed: no print process")
    project = copy_project(tmp_path / "project")
    started, finished = tmp_path / "pdf-started", tmp_path / "pdf-finished"

    def slow_pdf(*_args: Any) -> None:
        started.write_text(str(os.getpid()), encoding="utf-8")
        time.sleep(300)
        finished.touch()

    def failing_mkdocs(*_args: Any, **_kwargs: Any) -> None:
        while not started.exists():
            time.sleep(0.01)
        raise BuildError([Diagnostic("E-SITE-BUILD", Location("mkdocs.yml"), "injected by the test")])

    monkeypatch.setattr(pdf_module, "warm_up", lambda _root: None)
    monkeypatch.setattr(pdf_module, "build_pdf", slow_pdf)
    monkeypatch.setattr(pipeline, "build_site", failing_mkdocs)
    with pytest.raises(BuildError) as raised:
        build(load_config(project), pdf=True, offline=True, timer=_quiet())
    assert raised.value.codes == {"E-SITE-BUILD"}
    pid = int(started.read_text(encoding="utf-8"))
    assert not Path(f"/proc/{pid}").exists(), "the print process outlived the failed build"
    assert not finished.exists()
    assert not (project / "site").exists() and not [p for p in Staging.beside(project / "site").all() if p.exists()]
