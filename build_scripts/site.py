"""Site stage: build the MkDocs site beside ``site/`` and swap it in only when everything is complete.

The published tree is never written in place. MkDocs reads a staging copy of ``docs/`` and writes
``.site-new``; the PDF and the offline zip are added there; only then :func:`swap_in` replaces
``site/`` with two renames, undoing the first if the second fails. Deleting the previous tree
afterwards is housekeeping: if it fails, the new site is already complete and live, the old tree
stays in a uniquely named ``.site-old…`` folder that :func:`recover` retries, and the build says so.
"""

from __future__ import annotations

import calendar
import datetime
import logging
import os
import shutil
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import jinja2
import yaml
from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.exceptions import MkDocsException

from .datafiles import mark_location
from .diagnostics import BuildError, Diagnostic, Location

ZIP_DATE = (2015, 11, 1, 0, 0, 0)


def staging_dirs(site_dir: Path) -> tuple[Path, Path]:
    """(new, old) sibling folders used for the swap."""
    return site_dir.with_name(".site-new"), site_dir.with_name(".site-old")


def old_trees(site_dir: Path) -> list[Path]:
    """Previous trees moved aside by swaps whose clean-up has not finished."""
    _, old = staging_dirs(site_dir)
    return sorted(p for p in site_dir.parent.glob(old.name + "*") if p.is_dir())


def recover(site_dir: Path) -> list[Diagnostic]:
    """Finish or undo an interrupted swap so ``site/`` is the last complete build; return warnings.

    Runs under the build lock, so any staging folder is left over from a killed build.
    """
    olds = old_trees(site_dir)
    if not site_dir.exists() and olds:
        olds[-1].rename(site_dir)
        olds = olds[:-1]
    return [w for old in olds for w in remove_tree(old)]


def remove_tree(path: Path) -> list[Diagnostic]:
    """Delete a tree the build made; a failure is a warning (the tree is only in the way of nobody)."""
    failed: list[str] = []
    shutil.rmtree(path, onerror=lambda _f, p, e: failed.append(f"{p}: {e[1]}"))
    return [Diagnostic("W-SITE-CLEANUP", Location(str(path)), f"could not delete {f}") for f in failed[:3]]


def clear_staging(path: Path) -> None:
    """Make room for a staging folder; stop if something that is not a folder is in the way."""
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        raise BuildError(
            [Diagnostic("E-SITE-STAGING", Location(str(path)), "is not a folder the build made: move or delete it")]
        )
    if path.exists():
        shutil.rmtree(path)


class CompiledTemplates(jinja2.BytecodeCache):
    """The theme's templates as Jinja compiled them, shared by the MkDocs builds of one build.

    The web site and the offline copy render the same templates, and compiling them is a fifth
    of an MkDocs build: given the same instance, the second :func:`build_site` loads them from
    here. Jinja keys each entry by the template's file and checks its source's checksum, so an
    edited template is compiled again. It lives as long as the caller keeps it (one build).
    """

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()

    def on_env(self, env: jinja2.Environment, *, config: Any, files: Any) -> jinja2.Environment:
        """MkDocs' ``on_env`` event (the cache is added to the build's plugins): use this cache."""
        env.bytecode_cache = self
        return env


class _Collect(logging.Handler):
    """Keeps the text of MkDocs' warnings and errors, which strict mode otherwise only counts."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _environment(offline: bool, date: str) -> Iterator[None]:
    """``EDITION_OFFLINE`` for the offline plugin and ``SOURCE_DATE_EPOCH`` for a reproducible build date."""
    before = {k: os.environ.get(k) for k in ("EDITION_OFFLINE", "SOURCE_DATE_EPOCH")}
    os.environ["EDITION_OFFLINE"] = "true" if offline else "false"
    if date and before["SOURCE_DATE_EPOCH"] is None:
        day = datetime.date.fromisoformat(date)
        os.environ["SOURCE_DATE_EPOCH"] = str(calendar.timegm(day.timetuple()))
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def build_site(
    mkdocs_yml: Path,
    out_dir: Path,
    *,
    docs_dir: Path | None = None,
    offline: bool = False,
    date: str = "",
    templates: CompiledTemplates | None = None,
) -> None:
    """Run ``mkdocs build --strict`` from ``docs_dir`` (default: mkdocs.yml's) into ``out_dir``.

    Warnings fail the build and each is reported with its text. ``date`` (ISO, the edition's
    date) pins MkDocs' build date through ``SOURCE_DATE_EPOCH`` unless the caller set it: the
    sitemap's ``<lastmod>`` and the ``sitemap.xml.gz`` header otherwise take the clock's date.
    ``templates`` shares compiled theme templates with other builds given the same cache.
    """
    collect = _Collect()
    logger = logging.getLogger("mkdocs")
    logger.addHandler(collect)
    where = Location(str(mkdocs_yml))
    try:
        with _environment(offline, date):
            overrides = {"docs_dir": str(docs_dir)} if docs_dir else {}
            cfg = load_config(config_file=str(mkdocs_yml), site_dir=str(out_dir), strict=True, **overrides)
            if templates is not None:
                cast(Any, cfg.plugins)["edition/compiled-templates"] = templates
            logger.setLevel(logging.WARNING)
            build(cfg)
    except BuildError:
        raise
    except (MkDocsException, SystemExit, OSError) as exc:
        found = [Diagnostic("E-SITE-BUILD", where, " ".join(m.split())) for m in collect.messages]
        at = _yaml_mark(exc, mkdocs_yml) or where
        raise BuildError([*found, Diagnostic("E-SITE-BUILD", at, str(exc) or repr(exc))]) from None
    finally:
        logger.removeHandler(collect)


def _yaml_mark(exc: BaseException, mkdocs_yml: Path) -> Location | None:
    """Where in mkdocs.yml the YAML parser stopped, if a YAML error lies behind MkDocs' ``exc``.

    MkDocs reports an unparsable configuration as a ConfigurationError whose text quotes the
    parser's position; the YAML error it wraps carries that position as a 0-based mark.
    """
    seen: BaseException | None = exc
    chain: set[int] = set()
    while seen is not None and id(seen) not in chain:
        chain.add(id(seen))
        if isinstance(seen, yaml.MarkedYAMLError) and seen.problem_mark is not None:
            mark = seen.problem_mark  # its name is the file parsed (an INHERIT parent, say), if a file
            return mark_location(mark.name if mark.name and Path(mark.name).is_file() else str(mkdocs_yml), mark)
        seen = seen.__cause__ or seen.__context__
    return None


def zip_tree(tree: Path, target: Path, prefix: str) -> None:
    """Zip ``tree`` deterministically (sorted names, fixed dates and permissions)."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(p for p in tree.rglob("*") if p.is_file()):
            _add(zf, path, f"{prefix}/{path.relative_to(tree).as_posix()}")


def add_to_zip(target: Path, path: Path, name: str) -> None:
    """Append ``path`` to the zip ``target`` as ``name``, with the same fixed date and permissions."""
    with zipfile.ZipFile(target, "a", compression=zipfile.ZIP_DEFLATED) as zf:
        _add(zf, path, name)


def _add(zf: zipfile.ZipFile, path: Path, name: str) -> None:
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.external_attr = 0o644 << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, path.read_bytes())


def swap_in(new: Path, site_dir: Path) -> list[Diagnostic]:
    """Replace ``site_dir`` with the complete tree ``new``; return warnings from the clean-up.

    Two renames: ``site/`` aside to a fresh ``.site-old…`` name, then ``new`` into place. If the
    second fails, the first is undone and the build stops with ``E-SITE-SWAP``: the previous site
    stays complete and published.
    """
    _, old = staging_dirs(site_dir)
    aside = old.with_name(f"{old.name}.{os.getpid()}")
    try:
        if site_dir.exists():
            site_dir.rename(aside)
    except OSError as exc:
        raise BuildError(
            [Diagnostic("E-SITE-SWAP", Location(str(site_dir)), f"cannot move the old site aside: {exc}")]
        ) from None
    try:
        new.rename(site_dir)
    except OSError as exc:
        if aside.exists():
            aside.rename(site_dir)
        raise BuildError(
            [Diagnostic("E-SITE-SWAP", Location(str(site_dir)), f"cannot move the new site in: {exc}")]
        ) from None
    return remove_tree(aside) if aside.exists() else []
