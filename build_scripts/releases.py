"""Released versions: each one the whole published edition of that version, frozen and served for good.

A reader who cited ¶20 of version 1.0.0 must find ¶20 *as it was*, so a release is not rebuilt
from newer code: ``make release`` builds the edition once, freezes the built site (pages, search
index, assets and every download: PDF, plain text, JSON, BibTeX, the offline zip) into
``releases/<version>.tar.xz`` and records it in ``releases/index.yaml`` (version, date, the
source commit, the archive's SHA-256). ``make build`` never rebuilds an old version: it unpacks
each archive under ``<site>/<version>/``, so every URL of a release also resolves at
``<site_url><version>/<path>``, while the unversioned URLs serve the edition being built.

Frozen pages differ from what was published in two places only, both made when freezing:
their canonical link names the versioned URL, and they carry the *version bar*, a region
between :data:`BAR_START` and :data:`BAR_END`. That region is the one part of a frozen page
that is refreshed at every build (from the template ``editorial/pages/_versions.html``), because
it names what is newer: the version of the page, a link to the same place in the latest version,
the list of all versions and the changes between them.
"""

from __future__ import annotations

import functools
import hashlib
import io
import itertools
import lzma
import re
import tarfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date as Date
from pathlib import Path
from types import MappingProxyType
from typing import Any

import jinja2

from .datafiles import LINE_KEY, load_yaml
from .diagnostics import BuildError, Diagnostic, Location
from .model import Version

INDEX_NAME = "index.yaml"
BAR_START = "<!--edition:versions-->"
BAR_END = "<!--/edition:versions-->"
BAR = re.compile(re.escape(BAR_START) + r".*?" + re.escape(BAR_END), re.S)
#: Where freezing puts the bar in a page built before the bar existed (Material's article element).
ARTICLE = re.compile(r'(<article class="md-content__inner md-typeset">)')
CANONICAL = re.compile(r'(<link rel="canonical" href=")([^"]*)(")')
SHA256 = re.compile(r"[0-9a-f]{64}")
COMMIT = re.compile(r"[0-9a-f]{40}")
#: Fixed member metadata, so that an archive's bytes depend on its files only.
TAR_MTIME = 0


@dataclass(frozen=True, slots=True)
class Release:
    """One frozen version (an entry of ``releases/index.yaml``)."""

    version: str
    date: str
    """The version's own date (its ``edition.date``), ISO."""
    commit: str
    """The commit it was built from (tagged ``v<version>``)."""
    archive: Path
    sha256: str
    note: str
    """One sentence for readers: what this version changed."""

    def entry(self) -> dict[str, str]:
        """This release as ``releases/index.yaml`` records it (what :func:`load_releases` reads back)."""
        return {
            "version": self.version,
            "date": self.date,
            "commit": self.commit,
            "archive": self.archive.name,
            "sha256": self.sha256,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class VersionedTree:
    """A tree of pages being assembled, and the version its pages are."""

    version: str
    prefix: str
    """Its path under the site root: ``""`` for the unversioned (latest) pages, else ``"<version>/"``."""
    pages: frozenset[str]
    """Its page paths (``""``, ``"introduction/"``…), to link the same page in another version."""


def load_releases(folder: Path) -> tuple[Release, ...]:
    """The releases recorded in ``folder/index.yaml``, oldest first; none if there is no index.

    Every problem is reported at once with the file and line: a missing field, a malformed
    version, date, commit or checksum, versions out of order, an archive that is missing or whose
    bytes do not match the recorded SHA-256 (a frozen version must never change).
    """
    path = folder / INDEX_NAME
    if not path.is_file():
        return ()
    data = load_yaml(path)
    entries = data.get("releases") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise BuildError([Diagnostic("E-RELEASES-SCHEMA", Location(str(path), 1), "'releases' must be a list")])
    problems: list[Diagnostic] = []
    releases: list[Release] = []
    for entry in entries:
        where = Location(str(path), entry.get(LINE_KEY, 1) if isinstance(entry, dict) else 1)
        if not isinstance(entry, dict):
            problems.append(Diagnostic("E-RELEASES-SCHEMA", where, "each release must be a mapping"))
            continue
        fields = {k: entry.get(k) for k in ("version", "date", "commit", "archive", "sha256", "note")}
        missing = [k for k, v in fields.items() if not isinstance(v, str) or not v.strip()]
        if missing:
            problems.append(Diagnostic("E-RELEASES-SCHEMA", where, f"missing or blank: {', '.join(missing)}"))
            continue
        values: dict[str, str] = {k: str(v) for k, v in fields.items()}
        found = _check_release(values, folder, where)
        problems.extend(found)
        if not found:
            releases.append(Release(**(values | {"archive": folder / values["archive"]})))  # type: ignore[arg-type]
    versions = [Version.parse(r.version) for r in releases]
    if any(b is None or a is None or b <= a for a, b in itertools.pairwise(versions)):
        problems.append(Diagnostic("E-RELEASES-ORDER", Location(str(path), 1), "versions must increase, oldest first"))
    if problems:
        raise BuildError(problems)
    return tuple(releases)


def _check_release(values: dict[str, str], folder: Path, where: Location) -> list[Diagnostic]:
    problems = []
    if Version.parse(values["version"]) is None:
        problems.append(
            Diagnostic("E-RELEASES-SCHEMA", where, f"version {values['version']!r} is not MAJOR.MINOR.PATCH")
        )
    try:
        Date.fromisoformat(values["date"])
    except ValueError:
        problems.append(Diagnostic("E-RELEASES-SCHEMA", where, f"date {values['date']!r} is not an ISO date"))
    if not COMMIT.fullmatch(values["commit"]):
        problems.append(Diagnostic("E-RELEASES-SCHEMA", where, "commit must be a full 40-digit hash"))
    if values["archive"] != f"{values['version']}.tar.xz":
        problems.append(Diagnostic("E-RELEASES-SCHEMA", where, f"archive must be named {values['version']}.tar.xz"))
    elif not (folder / values["archive"]).is_file():
        problems.append(Diagnostic("E-RELEASES-ARCHIVE", where, f"{values['archive']} does not exist"))
    elif not SHA256.fullmatch(values["sha256"]):
        problems.append(Diagnostic("E-RELEASES-SCHEMA", where, "sha256 must be 64 lowercase hex digits"))
    elif sha256_file(folder / values["archive"]) != values["sha256"]:
        problems.append(
            Diagnostic("E-RELEASES-ARCHIVE", where, f"{values['archive']} does not match its recorded SHA-256")
        )
    return problems


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- freezing ------------------------------------------------------------------------------------


def frozen_page(text: str, version: str, site_url: str) -> str:
    """A built page as its frozen copy serves it: versioned canonical link, and a version bar region."""
    text = CANONICAL.sub(lambda m: _versioned(m, version, site_url), text, count=1)
    if BAR_START not in text:
        text = ARTICLE.sub(lambda m: m.group(1) + BAR_START + BAR_END, text, count=1)
    return text


def _versioned(match: re.Match[str], version: str, site_url: str) -> str:
    url = match.group(2)
    if url.startswith(site_url) and not url.startswith(f"{site_url}{version}/"):
        url = f"{site_url}{version}/{url[len(site_url) :]}"
    return match.group(1) + url + match.group(3)


def is_version_dir(path: Path, root: Path) -> bool:
    """Whether ``path`` is a released version's folder at the top of a site tree."""
    return path.parent == root and path.is_dir() and Version.parse(path.name) is not None


def freeze(site: Path, version: str, site_url: str, urls: str, target: Path) -> str:
    """Write ``site`` (without released versions' folders) as the archive ``target``; return its SHA-256.

    ``urls`` is the version's ``urls.txt`` (its promise of citable URLs), stored in the archive so
    that the frozen copy can be checked against it for good. The archive is deterministic: sorted
    members with fixed owner, mode and date.
    """
    files: list[tuple[str, bytes]] = []
    for path in sorted(site.rglob("*")):
        if not path.is_file() or any(is_version_dir(p, site) for p in path.parents):
            continue
        rel = path.relative_to(site).as_posix()
        data = path.read_bytes()
        if path.suffix == ".html":
            data = frozen_page(data.decode("utf-8"), version, site_url).encode("utf-8")
        files.append((rel, data))
    files.append(("urls.txt", urls.encode("utf-8")))
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in sorted(files):
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), TAR_MTIME, 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    packed = lzma.compress(raw.getvalue(), preset=6)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_bytes(packed)
    tmp.replace(target)
    return hashlib.sha256(packed).hexdigest()


def read_archive(archive: Path) -> Mapping[str, bytes]:
    """Every file of a release archive by its path; only plain files with safe relative paths.

    Decompressed once per process and file state: a build reads two files of each release for the
    changelog and then unpacks it whole, and both go through here."""
    stat = archive.stat()
    return _read_archive(archive.resolve(), stat.st_mtime_ns, stat.st_size)


def forget_archives() -> None:
    """Drop the decompressed archives (:func:`read_archive`'s cache)."""
    _read_archive.cache_clear()


@functools.lru_cache(maxsize=4)
def _read_archive(archive: Path, mtime_ns: int, size: int) -> Mapping[str, bytes]:
    where = Location(str(archive))
    out: dict[str, bytes] = {}
    with tarfile.open(archive, "r:xz") as tar:
        for member in tar:
            name = member.name
            unsafe = name.startswith("/") or ".." in name.split("/") or "\\" in name
            if unsafe or not member.isfile():
                raise BuildError(
                    [Diagnostic("E-RELEASES-ARCHIVE", where, f"member {name!r} is not a plain relative file")]
                )
            stream = tar.extractfile(member)
            assert stream is not None  # a regular member always has data
            out[name] = stream.read()
    return MappingProxyType(out)


def archive_reader(archive: Path) -> Callable[[str], str | None]:
    """A reader of one archive's text files by path (None if absent), decompressed on first use."""

    def read(name: str) -> str | None:
        data = read_archive(archive).get(name)
        return data.decode("utf-8") if data is not None else None

    return read


def is_older(version: str, than: str) -> bool:
    a, b = Version.parse(version), Version.parse(than)
    return a is not None and b is not None and a < b


def unpack(archive: Path, dest: Path) -> VersionedTree:
    """Write a release's files under ``dest`` (which must not exist yet)."""
    files = read_archive(archive)
    dest.mkdir(parents=True)
    for name, data in files.items():
        path = dest / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return VersionedTree(dest.name, f"{dest.name}/", pages_of(files))


def pages_of(names: Iterable[str]) -> frozenset[str]:
    return frozenset(n[: -len("index.html")] for n in names if n == "index.html" or n.endswith("/index.html"))


# --- the version bar -----------------------------------------------------------------------------


def assemble(site: Path, releases: tuple[Release, ...], current: str, template: Path) -> tuple[VersionedTree, ...]:
    """Unpack every release under ``site/<version>/`` and fill the version bar of every page.

    ``site`` holds the unversioned pages just built (version ``current``, which is the latest
    whether or not it is released yet).
    """
    root_pages = pages_of(p.relative_to(site).as_posix() for p in site.rglob("index.html"))
    trees = [VersionedTree(current, "", root_pages)]
    for release in releases:
        trees.append(unpack(release.archive, site / release.version))
    fill_bars(site, tuple(trees), releases, current, template)
    return tuple(trees)


def fill_bars(
    site: Path, trees: tuple[VersionedTree, ...], releases: tuple[Release, ...], current: str, template: Path
) -> None:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(template.parent),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
    )
    bar = env.get_template(template.name)
    released = {r.version: r for r in releases}
    root = trees[0]
    for tree in trees:
        for page in sorted(tree.pages):
            file = site / tree.prefix / page / "index.html"
            text = file.read_text(encoding="utf-8")
            region = BAR.search(text)
            if region is None:  # a page without a bar: a redirect stub
                continue
            up = "../" * (tree.prefix + page).count("/")
            context = _bar_context(tree, page, up, trees, released, current, root)
            html = BAR_START + bar.render(**context).strip() + BAR_END
            file.write_text(text[: region.start()] + html + text[region.end() :], encoding="utf-8")


def _bar_context(
    tree: VersionedTree,
    page: str,
    up: str,
    trees: tuple[VersionedTree, ...],
    released: dict[str, Release],
    current: str,
    root: VersionedTree,
) -> dict[str, Any]:
    def href(target: VersionedTree) -> str:
        return up + target.prefix + (page if page in target.pages else "")

    versions = sorted((t for t in trees if t.prefix), key=lambda t: Version.parse(t.version) or Version(0, 0, 0))
    return {
        "version": tree.version,
        "date": long_date(released[tree.version].date) if tree.version in released else "",
        "unversioned": not tree.prefix,
        "permanent": next((href(t) for t in versions if t.version == current), "") if not tree.prefix else "",
        "is_latest": tree.version == current,
        "latest": {"version": current, "href": href(root), "released": current in released},
        "versions": [
            {"version": t.version, "href": href(t), "here": t.prefix == tree.prefix, "latest": t.version == current}
            for t in reversed(versions)
        ],
        "changes": up + "changes/" if "changes/" in root.pages else "",
    }


def long_date(iso: str) -> str:
    d = Date.fromisoformat(iso)
    return f"{d.day} {d.strftime('%B')} {d.year}"
