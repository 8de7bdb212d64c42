"""Atomic output: a build killed mid-stage leaves the last good site/ intact and servable.

The cases work on a copy of the run's shared complete build (``conftest.full_build``) and start
``python -m build_scripts`` there, killing it (SIGKILL or SIGTERM) while a given stage runs: the
mkdocs stage (``.site-new`` has appeared), the PDF stage (the stage timer has reported the mkdocs
stage, so the PDF stage has begun) and the offline stage (``.site-offline`` has appeared). The
previous ``site/`` must stay byte-identical and no process of the build may outlive it. One case
then serves the site over HTTP with no broken links and rebuilds in full: the same bytes must be
published, while a second build started meanwhile stops at once. The other kills the three stages
one build after another, each starting on what the last left, and recovers with a quick build.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
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


def _after_stage(stage: str) -> Callable[[Path, list[str]], bool]:
    return lambda _project, lines: any(line.split()[:1] == [stage] for line in lines)


def start_build(project: Path, *, stderr: int) -> subprocess.Popen[str]:
    """``python -m build_scripts`` in ``project``, running in the background; its output as text on a pipe."""
    return subprocess.Popen(
        [sys.executable, "-m", "build_scripts", *BUILD_ARGS],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        env=_env(),
    )


def kill_during(project: Path, ready: Callable[[Path, list[str]], bool], sig: signal.Signals) -> tuple[int, list[str]]:
    """Start a build, wait until ``ready`` says the target stage is running, send ``sig``."""
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
    proc.send_signal(sig)
    code = proc.wait(timeout=60)
    reader.join(timeout=10)
    return code, lines


@pytest.fixture
def serve() -> Iterator[Callable[[Path], str]]:
    """Start serving a folder over HTTP (:func:`build_scripts.serving.serve`); all stop after the test."""
    with contextlib.ExitStack() as stack:
        yield lambda directory: stack.enter_context(serve_site(directory))


def assert_servable(site: Path, serve: Callable[[Path], str]) -> None:
    from test_links import check_links

    base = serve(site)
    for path in ("", "introduction/", "references/", "search/search_index.json", "assets/edition.css"):
        with urllib.request.urlopen(base + path, timeout=10) as response:
            assert response.status == 200 and response.read(), path
    broken = [b for b in check_links(site) if HAS_PDF or not b.url.endswith(PDF_NAME)]
    assert broken == []


STAGES = {
    "mkdocs": _when_path_exists(".site-new"),
    "pdf": _after_stage("mkdocs"),
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


def assert_killed_cleanly(project: Path, stage: str, sig: signal.Signals, before: dict[str, str]) -> None:
    """Kill a build of ``project`` while ``stage`` runs: site/ keeps its bytes and no process of the build survives."""
    code, lines = kill_during(project, STAGES[stage], sig)
    assert code == -sig, f"{stage}: the build was not killed by {sig.name} (exit {code}; output {lines})"
    assert not any(line.split()[:1] == ["swap"] for line in lines), stage
    assert tree_hash(project / "site") == before, f"the build killed during {stage} changed site/"
    deadline = time.monotonic() + 10
    while processes_in(project) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not processes_in(project), f"the print process outlived the build killed during {stage}"


def assert_recovered(project: Path, again: subprocess.CompletedProcess[str]) -> None:
    """The next build succeeded and left no staging folder or old tree behind."""
    assert again.returncode == 0, again.stderr
    site = project / "site"
    _, old = staging_dirs(site)
    assert not [p for p in (*Staging.beside(site).all(), old) if p.exists()]


def test_builds_killed_in_each_stage_leave_the_site_servable_and_a_full_rebuild_publishes_the_same_bytes(
    project: Path, serve: Callable[[Path], str]
) -> None:
    """SIGTERM in MkDocs, then SIGKILL in the PDF stage, then SIGKILL in the offline stage, each build
    starting on what the last one left: site/ keeps its bytes every time, and is then served with no
    broken link. The full rebuild that follows publishes the same (reproducible) bytes and leaves no
    staging folder, while a second build started meanwhile stops at once with E-BUILD-LOCKED."""
    site = project / "site"
    before = tree_hash(site)
    for stage, sig in (("mkdocs", signal.SIGTERM), ("pdf", signal.SIGKILL), ("offline", signal.SIGKILL)):
        if stage == "pdf" and not HAS_PDF:
            continue
        assert_killed_cleanly(project, stage, sig, before)
    assert_servable(site, serve)
    again, second = build_with_a_second_build_started(project)
    assert second.returncode == 1 and "E-BUILD-LOCKED" in second.stderr, second.stderr
    assert "Traceback" not in second.stderr
    assert_recovered(project, again)
    assert not [p for p in site.rglob("*") if p.suffix == ".tmp"], "a partial file was published"
    assert (site / "downloads" / PDF_NAME).stat().st_size > 100_000 or not HAS_PDF, "no complete PDF"
    assert tree_hash(site) == before, "the recovering build should publish the same (reproducible) site"


def build_with_a_second_build_started(project: Path) -> tuple[subprocess.CompletedProcess[str], ...]:
    """A full build, and a second one started once the first holds the lock (it writes its pid there)."""
    first = start_build(project, stderr=subprocess.PIPE)
    lock, deadline = project / ".build.lock", time.monotonic() + 60
    while not lock.exists() or lock.read_text(encoding="utf-8").strip() != str(first.pid):
        if first.poll() is not None or time.monotonic() > deadline:
            first.kill()
            pytest.fail(f"the build did not take the lock: {first.communicate()}")
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
