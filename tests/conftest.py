"""Shared fixtures: the real configuration, the prepared edition, and a real site build."""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling
from xdist.workermanage import WorkerController

from build_scripts.config import ROOT, Config, load_config
from build_scripts.edition import Edition
from build_scripts.emit import emit
from build_scripts.pages import Page, render_pages
from build_scripts.pipeline import prepare

ARTIFACTS = ROOT / "test-artifacts"

#: The browser, the served site and the offline copy (tests/browsing.py), for every module that drives Chromium.
#: Registered here, before any test module imports a helper from it (which would stop pytest rewriting it).
pytest_plugins = ["browsing"]

#: Test modules that share an expensive per-worker fixture run on one pytest-xdist worker, so it is made
#: once: "site" and "site-tools" each share a browser and a served site (two groups, so that the two
#: workers can share the browser tests' load); "build" holds the kill chain (``recovered_build``,
#: which is also reproducibility's second build) and the modules that read the run's one real build
#: without a browser. All read that build (``full_build``), which either worker makes and both share.
#: Every other module is one unit of work.
GROUPS = {
    "test_browser": "site",
    "test_cite_selection": "site-tools",
    "test_glossary_render": "site-tools",
    "test_links": "site-tools",
    "test_search_quality": "site-tools",
    "test_search_index": "site-tools",
    "test_site": "site-tools",
    "test_urls": "site-tools",
    "test_zotero": "site-tools",
    "test_atomic": "build",
    "test_pdf": "build",
    "test_reproducible": "build",
    "test_fresh_machine": "build",
    "test_versions": "build",
}
#: The units handed out first, so that neither worker starts a long one near the end (the rest, many
#: short modules, even out the two workers' loads). xdist gives each worker one unit, then a second:
#: one worker runs the bad-input catalogue, which needs no complete build, while the other makes the
#: run's one real build and goes on with the kill chain; the browser group, which reads that build, comes next.
FIRST = ("test_bad_inputs", "build", "site", "test_escaping", "site-tools")


class GroupScheduling(LoadScopeScheduling):
    """``--dist loadgroup`` by :data:`GROUPS`, read from the test's module name.

    pytest-xdist 3.8 groups tests by appending ``@group`` to ``item._nodeid``, which pytest 9.2 no
    longer reads (pytest-dev/pytest-xdist#1386): every ``xdist_group`` mark is silently ignored and
    each worker builds every shared fixture itself. This scheduler needs no mark.
    """

    def _split_scope(self, nodeid: str) -> str:
        module = nodeid.split("::", 1)[0].rsplit("/", 1)[-1].removesuffix(".py")
        return GROUPS.get(module, module)

    def _assign_work_unit(self, node: WorkerController) -> None:
        first = min(self.workqueue, key=lambda scope: FIRST.index(scope) if scope in FIRST else len(FIRST))
        self.workqueue.move_to_end(first, last=False)
        super()._assign_work_unit(node)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> GroupScheduling | None:
    return GroupScheduling(config, log) if config.getvalue("dist") == "loadgroup" else None


@pytest.fixture(scope="session")
def config() -> Config:
    return load_config()


@pytest.fixture(scope="session")
def edition(config: Config) -> Edition:
    return prepare(config)


@pytest.fixture(scope="session")
def pages(edition: Edition) -> tuple[Page, ...]:
    return render_pages(edition)


@pytest.fixture(scope="session")
def emitted(edition: Edition, pages: tuple[Page, ...]) -> dict[str, str]:
    return emit(edition, pages)


@pytest.fixture(scope="session")
def built_site(full_build: Path) -> Path:
    """The site of the run's one real build (:func:`full_build`): mkdocs --strict on freshly emitted docs,
    with the PDF, the offline copy and the released versions beside it, exactly as ``make build`` publishes
    it. Tests read it, or copy it before they change anything."""
    return full_build / "site"


def once_per_run(tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], None]) -> Path:
    """A folder that ``make`` fills once per test run: the first worker to ask makes it, the others wait and share it.

    Each pytest-xdist worker's temporary folder sits in the run's own, which holds the lock and the
    result; without xdist it is an ordinary session folder. Users only read it (or copy it).
    """
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder, done = root / name, root / f"{name}.done"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            make(folder)
            done.touch()
    return folder


@pytest.fixture(scope="session")
def full_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One complete ``python -m build_scripts`` (site, PDF, offline copy) in a copy of the project, per run.

    Shared by the atomicity, PDF, reproducibility, versions and fresh-machine tests (on either worker), which each
    need a real build made the way ``make build`` makes it; the build also records the shared libraries
    it loaded. Tests read it or copy it; none changes it.
    """
    from test_atomic import copy_project, run_build

    def make(folder: Path) -> None:
        project = copy_project(folder / "project")
        done = run_build(project, env={"EDITION_LOADED_LIBS": str(folder / "loaded-libs.txt")})
        assert done.returncode == 0, done.stderr

    return once_per_run(tmp_path_factory, "full-build", make) / "project"


@pytest.fixture(scope="session")
def recovered_build(full_build: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the shared build after the kill chain (test_atomic.kill_chain): two builds killed
    in two stages, then a full rebuild on another day. Its ``recovery.json`` beside the project
    records what the chain saw; the atomicity and reproducibility tests read it and the rebuilt site.
    """
    from test_atomic import kill_chain

    def make(folder: Path) -> None:
        project = folder / "project"
        shutil.copytree(full_build, project, symlinks=True)
        record = kill_chain(project)
        (folder / "recovery.json").write_text(json.dumps(dataclasses.asdict(record), indent=1), encoding="utf-8")

    return once_per_run(tmp_path_factory, "recovered-build", make) / "project"


@pytest.fixture(scope="session")
def full_build_libs(full_build: Path) -> Path:
    return full_build.parent / "loaded-libs.txt"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
