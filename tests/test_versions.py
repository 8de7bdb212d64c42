"""Released versions: every URL of every version resolves at its versioned path, for good.

Checked on the real build (``full_build``, which unpacks the committed releases the way ``make
build`` does), and on a second version frozen from that build here, so that two versions are
assembled side by side exactly as a new release would be: each version's pages, anchors and
downloads resolve under ``<site_url><version>/``, the unversioned URLs show the latest, every
page names its version and links the same page in the latest.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import tarfile
from pathlib import Path

import pytest
from pybtex.database import parse_string

from build_scripts.config import ROOT, load_config
from build_scripts.diagnostics import BuildError
from build_scripts.release import _record
from build_scripts.releases import (
    BAR,
    assemble,
    freeze,
    is_version_dir,
    load_releases,
    read_archive,
)
from build_scripts.urls import read_manifest, unresolved

CONFIG = load_config()
SITE_URL = CONFIG.metadata.edition.site_url
CURRENT = CONFIG.metadata.edition.version
RELEASES = load_releases(ROOT / "releases")
BAR_VERSION = re.compile(r'data-version="([^"]+)"')


def versioned(urls: list[str], version: str) -> list[str]:
    assert all(u.startswith(SITE_URL) for u in urls)
    return [f"{SITE_URL}{version}/{u[len(SITE_URL) :]}" for u in urls]


def bar(page: Path) -> str:
    match = BAR.search(page.read_text(encoding="utf-8"))
    assert match, f"{page} has no version bar"
    return match.group(0)


def pages(tree: Path) -> list[Path]:
    """Reading pages of one version's tree (not redirects, not other versions)."""
    return [
        p
        for p in sorted(tree.rglob("index.html"))
        if not any(is_version_dir(q, tree) for q in p.parents) and "edition:versions" in p.read_text(encoding="utf-8")
    ]


def test_version_1_0_0_is_released_from_its_commit() -> None:
    first = RELEASES[0]
    assert (first.version, first.commit[:7], first.date) == ("1.0.0", "c65337f", "2026-11-28")


@pytest.mark.parametrize("release", RELEASES, ids=[r.version for r in RELEASES])
def test_every_url_of_a_release_resolves_at_its_versioned_path(full_build: Path, release) -> None:
    site = full_build / "site"
    promised = read_manifest(site / release.version / "urls.txt")
    assert len(promised) > 200
    assert unresolved(versioned(promised, release.version), site, SITE_URL) == []


@pytest.mark.parametrize("release", RELEASES, ids=[r.version for r in RELEASES])
def test_every_release_serves_its_own_downloads(full_build: Path, release) -> None:
    downloads = full_build / "site" / release.version / "downloads"
    assert (downloads / "edney-2015-edition.pdf").read_bytes().startswith(b"%PDF-")
    model = json.loads((downloads / "edition.json").read_text(encoding="utf-8"))
    assert model["blocks"] and (downloads / "edition.txt").read_text(encoding="utf-8").strip()
    assert len(parse_string((downloads / "references.bib").read_text(encoding="utf-8"), "bibtex").entries) > 40


def test_the_unversioned_urls_serve_the_version_being_built(full_build: Path) -> None:
    site = full_build / "site"
    assert unresolved(read_manifest(ROOT / "urls.txt"), site, SITE_URL) == []
    for page in pages(site):
        assert BAR_VERSION.search(bar(page)).group(1) == CURRENT, page  # type: ignore[union-attr]
    frozen = site / CURRENT / "downloads" / "edition.json"
    if frozen.exists():  # the version being built is released: the latest is the same text
        assert frozen.read_bytes() == (site / "downloads" / "edition.json").read_bytes()


@pytest.mark.parametrize("release", RELEASES, ids=[r.version for r in RELEASES])
def test_each_versioned_page_names_its_version_and_links_the_same_page_in_the_latest(full_build: Path, release) -> None:
    site = full_build / "site"
    tree = site / release.version
    found = pages(tree)
    assert len(found) >= 10
    for page in found:
        text = bar(page)
        assert BAR_VERSION.search(text).group(1) == release.version  # type: ignore[union-attr]
        words = re.sub(r"<[^>]+>", "", text)
        if release.version != CURRENT:
            assert f"You are reading version {release.version}" in words and f"latest version is {CURRENT}" in words
        canonical = re.search(r'<link rel="canonical" href="([^"]+)"', page.read_text(encoding="utf-8"))
        assert canonical and canonical.group(1).startswith(f"{SITE_URL}{release.version}/"), page
        if release.version == CURRENT:
            continue
        latest = re.search(r'class="ed-versions__latest" href="([^"]+)"', text)
        assert latest, f"{page}: no link to the latest"
        target = (page.parent / latest.group(1)).resolve() / "index.html"
        same = site / page.parent.relative_to(tree) / "index.html"
        assert target == (same if same.exists() else site / "index.html").resolve(), page


def test_two_versions_side_by_side(full_build: Path, tmp_path: Path) -> None:
    """Freeze the real build as a new version next to the committed ones and assemble the site."""
    built = full_build / "site"
    project = tmp_path / "project"
    shutil.copytree(ROOT / "releases", project / "releases")
    new = "99.0.0"
    urls = (ROOT / "urls.txt").read_text(encoding="utf-8")
    entry = _record(project, new, "2099-01-01", "0" * 40, built, urls, SITE_URL, "A test version.")
    releases = load_releases(project / "releases")
    assert [r.version for r in releases][-1] == new and entry["sha256"] == releases[-1].sha256
    # The archive is deterministic: freezing the same tree again gives the same bytes.
    assert freeze(built, new, SITE_URL, urls, tmp_path / "again.tar.xz") == entry["sha256"]
    assert not [n for n in read_archive(releases[-1].archive) if is_version_dir(Path(n.split("/")[0]), Path("."))]

    site = tmp_path / "site"
    shutil.copytree(
        built, site, ignore=lambda d, names: [n for n in names if Path(d) == built and is_version_dir(built / n, built)]
    )
    assemble(site, releases, new, CONFIG.page_templates / "_versions.html")
    for release in releases:
        promised = read_manifest(site / release.version / "urls.txt")
        assert unresolved(versioned(promised, release.version), site, SITE_URL) == [], release.version
    assert unresolved(read_manifest(ROOT / "urls.txt"), site, SITE_URL) == []
    root_bar = bar(site / "introduction" / "index.html")
    assert f"Version {new}" in root_bar and f'href="../{new}/introduction/"' in root_bar
    old_bar = bar(site / "1.0.0" / "introduction" / "index.html")
    assert f"The latest version is {new}" in old_bar
    assert f'href="../../{new}/introduction/">Version {new}</a> (latest)' in old_bar


def test_a_release_cannot_be_made_twice_or_out_of_order(full_build: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(ROOT / "releases", project / "releases")
    for version in ("1.0.0", "0.9.0"):
        with pytest.raises(BuildError) as caught:
            _record(project, version, "2026-01-01", "0" * 40, full_build / "site", "", SITE_URL, "x")
        assert caught.value.codes == {"E-RELEASE-REFUSED"}


def test_an_archive_with_an_unsafe_member_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "bad.tar.xz"
    with tarfile.open(archive, "w:xz") as tar:
        info = tarfile.TarInfo("../outside.html")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(BuildError) as caught:
        read_archive(archive)
    assert caught.value.codes == {"E-RELEASES-ARCHIVE"}


def test_the_versions_table_links_every_release(full_build: Path) -> None:
    site = full_build / "site"
    page = site / "changes" / "index.html"
    links = re.findall(rf'href="{re.escape(SITE_URL)}(\d+\.\d+\.\d+/[^"]*)"', page.read_text(encoding="utf-8"))
    assert {link.split("/")[0] for link in links} >= {r.version for r in RELEASES if r.version != CURRENT}
    for link in links:
        target = site / link
        assert (target / "index.html" if link.endswith("/") else target).is_file(), link
