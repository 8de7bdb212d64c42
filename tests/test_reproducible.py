"""Reproducibility: two builds, in different folders on different days, give byte-identical site/ trees and PDF.

Known sources of difference and how the build removes them:

* ``sitemap.xml`` ``<lastmod>`` and the ``sitemap.xml.gz`` header mtime come from MkDocs' build
  date, i.e. the clock, unless ``SOURCE_DATE_EPOCH`` is set; the site stage pins it to the
  edition's date (``editorial/metadata.yaml``) when the caller has not set it;
* the offline zip has sorted members (the PDF, laid out meanwhile, appended last), fixed dates and
  permissions (``site.zip_tree``, ``site.add_to_zip``);
* the PDF's dates are the edition's date and its identifier a hash of its content (``pdf.py``).

Both builds run as subprocesses without ``SOURCE_DATE_EPOCH`` in the environment, as ``make build``
does. The second is the full rebuild that ends the kill chain (``conftest.recovered_build``, see
tests/test_atomic.py): it runs in another folder, with MkDocs' clock set to another day, on a copy
of the first build's project after two builds were killed in it, and must still give the same
bytes. It is not a clean build, which makes the check stricter: a build reads nothing the killed
builds left (it publishes a new site/ from fresh staging folders), so any difference is a fault.
"""

from __future__ import annotations

import gzip
import io
import re
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from test_atomic import HAS_PDF, tree_hash

from build_scripts.config import load_config
from build_scripts.pipeline import OFFLINE_NAME, PDF_NAME

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def two_builds(full_build: Path, recovered_build: Path) -> tuple[Path, Path]:
    """The shared build's site, and the one rebuilt in another folder on another day after the kills."""
    return full_build / "site", recovered_build / "site"


def test_two_builds_are_byte_identical(two_builds: tuple[Path, Path]) -> None:
    a, b = (tree_hash(site) for site in two_builds)
    assert sorted(a) == sorted(b), "the builds published different files"
    differ = sorted(path for path in a if a[path] != b[path])
    assert differ == [], f"files that differ between two clean builds: {differ}"


def test_the_pdf_is_built_and_identical(two_builds: tuple[Path, Path]) -> None:
    if not HAS_PDF:
        pytest.skip("build_scripts/pdf.py has not landed")
    a, b = ((site / "downloads" / PDF_NAME).read_bytes() for site in two_builds)
    assert a.startswith(b"%PDF") and a == b


def test_the_offline_zip_is_identical_member_by_member(two_builds: tuple[Path, Path]) -> None:
    a, b = (zipfile.ZipFile(site / "downloads" / OFFLINE_NAME) for site in two_builds)
    assert [i.filename for i in a.infolist()] == [i.filename for i in b.infolist()]
    differ = [i.filename for i in a.infolist() if a.read(i) != b.read(i.filename)]
    assert differ == []
    assert {i.date_time for i in a.infolist()} == {(2015, 11, 1, 0, 0, 0)}


def test_dates_come_from_the_edition_not_the_clock(two_builds: tuple[Path, Path]) -> None:
    site = two_builds[0]
    edition_date = str(load_config().metadata.edition.date)
    lastmods = set(re.findall(r"<lastmod>([^<]+)</lastmod>", (site / "sitemap.xml").read_text(encoding="utf-8")))
    assert lastmods == {edition_date}
    with gzip.GzipFile(fileobj=io.BytesIO((site / "sitemap.xml.gz").read_bytes())) as gz:
        gz.read()
        header_mtime = gz.mtime
    assert datetime.fromtimestamp(header_mtime, UTC).date() == date.fromisoformat(edition_date)
