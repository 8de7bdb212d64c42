"""The whole build, top to bottom: source → repair → structure → citations → glossary → pages → emit → site → PDF.

Each stage is one call with one input and one typed output; :func:`prepare` runs the text stages
(they write nothing), :func:`build` adds the writing stages. A stage that finds problems raises
:class:`~build_scripts.diagnostics.BuildError` with every coded diagnostic, and the build stops
before anything is written; the site is built beside ``site/`` and swapped in only when complete.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from .bibliography import load_bibliography
from .changelog import Snapshot, load_snapshot
from .citations import recognise_citations
from .config import OFFLINE_NAME, PDF_NAME, Config
from .datafiles import read_text
from .decisions import load_decisions
from .diagnostics import BuildError, Diagnostic, Location
from .edition import Edition
from .emit import emit, forget_history, write_files
from .glossary import check_pinyin, find_occurrences, load_glossary, load_link_policy
from .latex import plain
from .pages import environment, render_pages
from .printjob import print_process
from .releases import Release, archive_reader, assemble, forget_archives, is_older, load_releases
from .repair import load_glyph_table, repair
from .site import CompiledTemplates, add_to_zip, build_site, clear_staging, recover, staging_dirs, swap_in, zip_tree
from .source import read_source
from .structure import build_structure
from .wordcheck import load_wordlist, measure

#: The list of hand-written files in docs/ (everything else there is generated).
HANDWRITTEN = "assets/MANIFEST.txt"


@dataclass
class StageTimer:
    """Times each stage and reports it as it finishes."""

    report: Callable[[str], None] = print
    times: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        self.record(name, time.perf_counter() - start)

    def record(self, name: str, seconds: float) -> None:
        """Report a stage timed elsewhere (the PDF, laid out in its own process)."""
        self.times[name] = seconds
        self.report(f"  {name:<10} {seconds:7.3f} s")


def prepare(config: Config, timer: StageTimer | None = None, earlier: Sequence[Snapshot] | None = None) -> Edition:
    """Run the text stages and return the edition model; writes nothing.

    ``earlier`` are the earlier releases, oldest first, each read from its published files with
    :func:`build_scripts.changelog.load_snapshot`; the pages and emit stages compare this edition
    with them (the changes page, ``downloads/changelog.json``). By default they are the releases
    in ``releases/`` older than the version being prepared (:func:`earlier_releases`).
    """
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
        policy = load_link_policy(config.glossary)
        occurrences = find_occurrences(entries, document, config.source_name, config.glossary, policy, cited_ranges)
    with t("check"):
        coverage = measure(document, load_wordlist(config.wordlist))
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()  # the source's bytes: read_source decodes strictly
    edition = Edition(
        config, document, decisions, bibliography, citations, entries, occurrences, coverage.as_dict(), digest, policy
    )
    if earlier is None:
        with t("releases"):
            earlier = earlier_releases(config)
    return replace(edition, earlier=tuple(earlier)) if earlier else edition


def earlier_releases(config: Config, releases: tuple[Release, ...] | None = None) -> tuple[Snapshot, ...]:
    """The released versions older than the one being prepared, read from their frozen files.

    A release newer than ``edition.version`` means the version was not raised after a release:
    the build stops with ``E-RELEASES-ORDER`` rather than publish the latest under an old number.
    """
    current = config.metadata.edition.version
    releases = load_releases(config.releases_dir) if releases is None else releases
    newer = [r.version for r in releases if not is_older(r.version, current) and r.version != current]
    if newer:
        where = Location(str(config.metadata_file))
        message = f"edition.version {current} is older than the released {', '.join(newer)}: raise it"
        raise BuildError([Diagnostic("E-RELEASES-ORDER", where, message)])
    return tuple(load_snapshot(r.version, archive_reader(r.archive)) for r in releases if is_older(r.version, current))


def build(config: Config, *, pdf: bool = True, offline: bool = True, timer: StageTimer | None = None) -> Edition:
    """Run every stage under the build lock and swap the finished site into ``config.site_dir``.

    Nothing the reader sees changes until everything has succeeded: MkDocs reads a staging copy
    of ``docs/`` and writes a staging site; the PDF is laid out in a second process (the machine
    has two cores), forked first so that it loads WeasyPrint during the text stages and started
    as soon as the pages exist, while this process emits ``docs/`` and builds the web site and
    the offline copy; the site is swapped in, and only then are the generated files of ``docs/``
    replaced. A failure at any point leaves ``site/`` and ``docs/`` as they were, and stops the
    print process at once.
    """
    t = timer or StageTimer()
    forget_process_caches()
    with build_lock(config.root):
        for warning in recover(config.site_dir):
            t.report(str(warning))
        work = Staging.beside(config.site_dir)
        try:
            work.clear()
            with print_process(pdf, config.root) as printer:
                edition = prepare(config, t, earlier=())
                releases = load_releases(config.releases_dir)
                with t("releases"):  # after the text stages, as in prepare(): a bad input stops before decompressing
                    edition = replace(edition, earlier=earlier_releases(config, releases))
                with t("pages"):
                    pages = render_pages(edition)
                if printer is not None:
                    printer.submit(edition, pages, work.tmp / PDF_NAME)
                with t("emit"):
                    files = emit(edition, pages)
                    check_docs(config.docs_dir, files)
                stage_docs(config.docs_dir, files, work.docs)
                build_sites(config, work, releases, offline=offline, t=t)
                if printer is not None:
                    t.record("pdf", printer.result())
            publish_downloads(work, pdf=pdf, offline=offline)
            with t("swap"):
                check_tree(work.site)
                for warning in swap_in(work.site, config.site_dir):
                    t.report(str(warning))
                write_files(files, config.docs_dir)
        finally:
            work.remove()
        record_loaded_libraries()
    return edition


def forget_process_caches() -> None:
    """Every build starts cold, as ``make build`` (one build a process) does: the page templates, the
    decoded BibTeX fields and the decompressed releases are cached for the rest of a process (tests
    render the pages many times), but a benchmark that builds again in the same process must time
    the same work as the first build."""
    environment.cache_clear()
    plain.cache_clear()
    forget_archives()
    forget_history()


def build_sites(config: Config, work: Staging, releases: tuple[Release, ...], *, offline: bool, t: StageTimer) -> None:
    """The MkDocs stages, from the staged ``docs/``: the web site, the offline copy (zipped at once) and
    the released versions unpacked beside the new site. Both MkDocs builds share compiled templates."""
    yml, date, templates = config.mkdocs_yml, config.metadata.edition.date, CompiledTemplates()
    with t("mkdocs"):
        build_site(yml, work.site, docs_dir=work.docs, date=date, templates=templates)
    if offline:
        with t("offline"):
            build_site(yml, work.offline, docs_dir=work.docs, offline=True, date=date, templates=templates)
            zip_offline(work)
    with t("versions"):
        assemble(work.site, releases, config.metadata.edition.version, config.page_templates / "_versions.html")


@dataclass(frozen=True, slots=True)
class Staging:
    """The folders a build writes before anything is published, all beside ``site/``."""

    docs: Path
    """Copy of ``docs/`` with the freshly generated pages: what MkDocs reads."""
    site: Path
    """The new site (``.site-new``), swapped in when complete."""
    offline: Path
    """The offline variant, zipped into the new site's downloads."""
    tmp: Path
    """Files being written (the PDF, the offline zip); never inside a tree that is published."""

    @classmethod
    def beside(cls, site_dir: Path) -> Staging:
        new, _ = staging_dirs(site_dir)
        parent = site_dir.parent
        return cls(parent / ".docs-new", new, parent / ".site-offline", parent / ".build-tmp")

    def all(self) -> tuple[Path, ...]:
        return (self.docs, self.site, self.offline, self.tmp)

    def clear(self) -> None:
        """Remove what a killed build left (the lock is held, so no other build is using them)."""
        for path in self.all():
            clear_staging(path)
        self.tmp.mkdir()

    def remove(self) -> None:
        for path in self.all():
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)


@contextmanager
def build_lock(root: Path) -> Iterator[None]:
    """Hold ``.build.lock`` for the whole build; a second build stops at once with ``E-BUILD-LOCKED``.

    A POSIX record lock (``lockf``): it belongs to this process only, so the print process forked
    from it does not hold it, and the kernel releases it the moment this process ends, killed or not.
    """
    path = root / ".build.lock"
    with open(path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise BuildError(
                [
                    Diagnostic(
                        "E-BUILD-LOCKED", Location(str(path)), f"another build (pid {holder}) is running: wait for it"
                    )
                ]
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        try:
            yield
        finally:
            handle.truncate(0)
            fcntl.lockf(handle, fcntl.LOCK_UN)


def check_docs(docs_dir: Path, files: dict[str, str]) -> None:
    """Stop on any file in ``docs/`` that the build neither generates nor lists as hand-written."""
    manifest = docs_dir / HANDWRITTEN
    allowed = {HANDWRITTEN, *files, *read_handwritten(manifest)}
    found = sorted(p.relative_to(docs_dir).as_posix() for p in docs_dir.rglob("*") if p.is_file() or p.is_symlink())
    unknown = [
        Diagnostic("E-DOCS-UNKNOWN", Location(str(docs_dir / rel)), f"not generated and not listed in {manifest.name}")
        for rel in found
        if rel not in allowed
    ]
    missing = [
        Diagnostic("E-DOCS-UNKNOWN", Location(str(manifest)), f"lists {rel}, which does not exist")
        for rel in read_handwritten(manifest)
        if not (docs_dir / rel).is_file()
    ]
    if unknown or missing:
        raise BuildError(unknown + missing)


def read_handwritten(manifest: Path) -> list[str]:
    """The hand-written files of ``docs/`` (assets), one path per line with ``# reason``."""
    lines = read_text(manifest).splitlines()
    return [line.split("#", 1)[0].strip() for line in lines if line.split("#", 1)[0].strip()]


def stage_docs(docs_dir: Path, files: dict[str, str], staging: Path) -> None:
    """The docs MkDocs reads: the hand-written files and the freshly generated ones."""
    for rel in read_handwritten(docs_dir / HANDWRITTEN):
        target = staging / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(docs_dir / rel, target)
    write_files(files, staging)


def check_tree(site: Path) -> None:
    """Nothing partial goes live: no temporary files, and no placeholder download left empty."""
    partial = [
        p
        for p in site.rglob("*")
        if p.suffix == ".tmp" or (p.parent.name == "downloads" and p.is_file() and p.stat().st_size == 0)
    ]
    if partial:
        raise BuildError(
            [Diagnostic("E-SITE-STAGING", Location(str(p)), "partial file in the finished site") for p in partial]
        )


def record_loaded_libraries() -> None:
    """With ``EDITION_LOADED_LIBS=<file>``, append the shared libraries this process has mapped.

    For packagers and for tests/test_fresh_machine.py, which maps them to the Debian packages that
    own them and checks that the Makefile installs every one (or receives it as a dependency).
    """
    target = os.environ.get("EDITION_LOADED_LIBS")
    if not target:
        return
    maps = Path(f"/proc/{os.getpid()}/maps").read_text(encoding="utf-8").splitlines()
    libraries = sorted(
        {line.split()[-1] for line in maps if ".so" in line.split()[-1] and line.split()[-1].startswith("/")}
    )
    with open(target, "a", encoding="utf-8") as out:
        out.writelines(f"{path}\n" for path in libraries)


OFFLINE_ROOT = "edney-2015-edition"
"""The folder the offline zip unpacks to."""


def zip_offline(work: Staging) -> None:
    """Zip the offline copy into ``work.tmp`` while the PDF is laid out (:func:`publish_downloads` adds it)."""
    downloads = work.offline / "downloads"
    for name in (PDF_NAME, OFFLINE_NAME):
        (downloads / name).unlink(missing_ok=True)  # MkDocs' placeholders
    zip_tree(work.offline, work.tmp / OFFLINE_NAME, OFFLINE_ROOT)


def publish_downloads(work: Staging, *, pdf: bool, offline: bool) -> None:
    """Put the PDF into the new site and into the offline zip, and the zip into the new site's downloads."""
    downloads = work.site / "downloads"
    if pdf:
        shutil.copy2(work.tmp / PDF_NAME, downloads / PDF_NAME)
    else:
        (downloads / PDF_NAME).unlink(missing_ok=True)
    if offline:
        if pdf:
            add_to_zip(work.tmp / OFFLINE_NAME, work.tmp / PDF_NAME, f"{OFFLINE_ROOT}/downloads/{PDF_NAME}")
        shutil.move(work.tmp / OFFLINE_NAME, downloads / OFFLINE_NAME)
    else:
        (downloads / OFFLINE_NAME).unlink(missing_ok=True)


def build_offline(config: Config, new: Path) -> None:
    """Build only the offline variant into ``new/downloads`` (tests and benchmarks use it alone)."""
    work = replace(Staging.beside(new), site=new)
    for path in (work.docs, work.offline, work.tmp):
        clear_staging(path)
    work.tmp.mkdir()
    try:
        stage_docs(config.docs_dir, emit_files(config), work.docs)
        build_site(config.mkdocs_yml, work.offline, docs_dir=work.docs, offline=True, date=config.metadata.edition.date)
        zip_offline(work)
        pdf = new / "downloads" / PDF_NAME
        if pdf.exists():
            add_to_zip(work.tmp / OFFLINE_NAME, pdf, f"{OFFLINE_ROOT}/downloads/{PDF_NAME}")
        shutil.move(work.tmp / OFFLINE_NAME, new / "downloads" / OFFLINE_NAME)
    finally:
        for path in (work.docs, work.offline, work.tmp):
            shutil.rmtree(path, ignore_errors=True)


def emit_files(config: Config) -> dict[str, str]:
    edition = prepare(config)
    return emit(edition, render_pages(edition))
