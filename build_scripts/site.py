"""Site stage: build the MkDocs site into a temporary folder, then swap it into place.

A failed or interrupted build never touches the last good ``site/``: MkDocs writes into
``.site-new``; only a complete tree (site, PDF, offline copy) is swapped in with two renames.
If a previous swap was interrupted between them, :func:`recover` restores the old tree.
"""

from __future__ import annotations

import calendar
import datetime
import logging
import os
import shutil
import zipfile
from pathlib import Path

from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.exceptions import MkDocsException

from .diagnostics import BuildError, Diagnostic, Location

ZIP_DATE = (2015, 11, 1, 0, 0, 0)


def staging_dirs(site_dir: Path) -> tuple[Path, Path]:
    """(new, old) sibling folders used for the swap."""
    return site_dir.with_name(".site-new"), site_dir.with_name(".site-old")


def recover(site_dir: Path) -> None:
    """Finish or undo an interrupted swap so ``site/`` is the last complete build."""
    _new, old = staging_dirs(site_dir)
    if not site_dir.exists() and old.exists():
        old.rename(site_dir)
    if old.exists():
        shutil.rmtree(old)


def build_site(mkdocs_yml: Path, out_dir: Path, *, offline: bool = False, date: str = "") -> None:
    """Run ``mkdocs build --strict`` into ``out_dir``; warnings fail the build.

    ``date`` (ISO, the edition's date) pins MkDocs' build date through ``SOURCE_DATE_EPOCH``
    unless the caller set it: the sitemap's ``<lastmod>`` and the ``sitemap.xml.gz`` header
    otherwise take the clock's date, and a build on another day would differ byte for byte.
    """
    env_before = os.environ.get("EDITION_OFFLINE")
    epoch_before = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["EDITION_OFFLINE"] = "true" if offline else "false"
    if date and epoch_before is None:
        day = datetime.date.fromisoformat(date)
        os.environ["SOURCE_DATE_EPOCH"] = str(calendar.timegm(day.timetuple()))
    try:
        cfg = load_config(config_file=str(mkdocs_yml), site_dir=str(out_dir), strict=True)
        logging.getLogger("mkdocs").setLevel(logging.WARNING)
        build(cfg)
    except (MkDocsException, SystemExit) as exc:
        raise BuildError([Diagnostic("E-SITE-BUILD", Location(str(mkdocs_yml)), str(exc) or repr(exc))]) from None
    finally:
        if env_before is None:
            os.environ.pop("EDITION_OFFLINE", None)
        else:
            os.environ["EDITION_OFFLINE"] = env_before
        if epoch_before is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)


def zip_tree(tree: Path, target: Path, prefix: str) -> None:
    """Zip ``tree`` deterministically (sorted names, fixed dates and permissions)."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(p for p in tree.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(f"{prefix}/{path.relative_to(tree).as_posix()}", date_time=ZIP_DATE)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())


def swap_in(new: Path, site_dir: Path) -> None:
    """Replace ``site_dir`` with the complete tree ``new``."""
    _, old = staging_dirs(site_dir)
    if old.exists():
        shutil.rmtree(old)
    if site_dir.exists():
        site_dir.rename(old)
    new.rename(site_dir)
    if old.exists():
        shutil.rmtree(old)
