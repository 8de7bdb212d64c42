"""``make release``: freeze the version being prepared, or an earlier commit's edition, as a release.

``python -m build_scripts.release`` freezes the version named in ``editorial/metadata.yaml``
(``edition.version``). It refuses (``E-RELEASE-REFUSED``) when that version is already released
or the working tree has uncommitted changes, since a release must be exactly one commit's
edition. It runs the whole build (site, PDF, offline copy), freezes ``site/`` with ``urls.txt``
into ``releases/<version>.tar.xz``, records it in ``releases/index.yaml``, tags the source commit
``v<version>`` and commits the archive and the index.

``python -m build_scripts.release --from COMMIT`` freezes the edition as it was published at an
earlier commit (how version 1.0.0 was made): that commit's own code builds its own data in a
temporary worktree, with this project's virtual environment, so nothing of the newer code leaks
into it. The version and date are that commit's ``edition.version`` and ``edition.date``.

Releases are recorded oldest first; a version older than the newest release is refused.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from .config import ROOT, load_config
from .diagnostics import BuildError, Diagnostic, Location
from .model import Version
from .pipeline import build
from .releases import INDEX_NAME, Release, freeze, load_releases

INDEX_HEADER = """\
# Released versions of the edition, oldest first: each archive is the whole published site of that
# version (pages, search, assets and downloads), frozen, and served at <site_url><version>/.
# Written by `make release` (build_scripts/release.py); never edit an entry by hand: the build
# checks every archive against its SHA-256, because a version that people cite must not change.
"""


def git(*args: str, cwd: Path = ROOT) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def refuse(message: str, where: Path) -> BuildError:
    return BuildError([Diagnostic("E-RELEASE-REFUSED", Location(str(where)), message)])


def release_current(root: Path) -> dict[str, str]:
    """Build and freeze the working tree's version (which must be committed and not yet released)."""
    config = load_config(root)
    edition = config.metadata.edition
    if git("status", "--porcelain", "--untracked-files=no", cwd=root):
        raise refuse("the working tree has uncommitted changes: commit them first", root)
    build(config)
    urls = (root / "urls.txt").read_text(encoding="utf-8")
    return _record(
        root,
        edition.version,
        edition.date,
        git("rev-parse", "HEAD", cwd=root),
        config.site_dir,
        urls,
        edition.site_url,
        edition.release_note,
    )


def release_from(root: Path, commit: str, note: str) -> dict[str, str]:
    """Build the edition of an earlier ``commit`` with that commit's own code, and freeze it."""
    full = git("rev-parse", "--verify", f"{commit}^{{commit}}", cwd=root)
    with tempfile.TemporaryDirectory(prefix="edition-release-") as tmp:
        tree = Path(tmp) / "tree"
        git("worktree", "add", "--detach", str(tree), full, cwd=root)
        try:
            (tree / ".venv").symlink_to(root / ".venv")
            meta = yaml.safe_load((tree / "editorial" / "metadata.yaml").read_text(encoding="utf-8"))["edition"]
            subprocess.run([sys.executable, "-m", "build_scripts"], cwd=tree, check=True)
            urls = (tree / "urls.txt").read_text(encoding="utf-8")
            return _record(
                root, str(meta["version"]), str(meta["date"]), full, tree / "site", urls, str(meta["site_url"]), note
            )
        finally:
            git("worktree", "remove", "--force", str(tree), cwd=root)


def _record(
    root: Path, version: str, date: str, commit: str, site: Path, urls: str, site_url: str, note: str
) -> dict[str, str]:
    folder = root / "releases"
    folder.mkdir(exist_ok=True)
    releases = load_releases(folder)
    parsed = Version.parse(version)
    if parsed is None:
        raise refuse(f"version {version!r} is not MAJOR.MINOR.PATCH", root / "editorial" / "metadata.yaml")
    if any(r.version == version for r in releases):
        raise refuse(f"version {version} is already released", folder / INDEX_NAME)
    if releases and parsed <= (Version.parse(releases[-1].version) or parsed):
        raise refuse(f"version {version} is not newer than {releases[-1].version}", folder / INDEX_NAME)
    archive = folder / f"{version}.tar.xz"
    sha = freeze(site, version, site_url, urls, archive)
    release = Release(version, date, commit, archive, sha, " ".join(note.split()))
    entries = [r.entry() for r in (*releases, release)]
    text = yaml.safe_dump({"releases": entries}, allow_unicode=True, sort_keys=False, width=100)
    (folder / INDEX_NAME).write_text(INDEX_HEADER + text, encoding="utf-8")
    load_releases(folder)  # the index just written must read back, archive checksums included
    return release.entry()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m build_scripts.release", description=__doc__.split("\n\n")[0])
    parser.add_argument("--from", dest="commit", help="freeze the edition as published at this earlier commit")
    parser.add_argument("--note", default="", help="with --from: one sentence for readers on what that version was")
    parser.add_argument("--no-git", action="store_true", help="write the archive and index only (no tag, no commit)")
    args = parser.parse_args(argv)
    try:
        if args.commit:
            if not args.note.strip():
                raise refuse("--from needs --note: one sentence for readers on what that version was", ROOT)
            entry = release_from(ROOT, args.commit, args.note)
        else:
            entry = release_current(ROOT)
    except BuildError as exc:
        for d in exc.diagnostics:
            print(d, file=sys.stderr)
        return 1
    version = entry["version"]
    print(f"released {version}: releases/{entry['archive']} sha256 {entry['sha256']}")
    if not args.no_git:
        git("tag", "-a", f"v{version}", entry["commit"], "-m", f"Version {version} of the edition")
        git("add", "releases")
        git("commit", "-m", f"Release {version}: freeze the published edition of {entry['commit'][:7]}")
        print(f"tagged v{version} at {entry['commit'][:7]} and committed releases/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
