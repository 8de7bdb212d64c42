"""A fresh machine gets everything the build loads: no Debian library may come from somewhere else.

``make build`` once failed on every fresh Debian machine while CI was green: WeasyPrint needs
``libharfbuzz-subset0``, which the Makefile did not install but Debian's ``chromium`` (installed for
the tests) pulled in. This test reads the shared libraries the real build's processes mapped (the
build appends them to ``$EDITION_LOADED_LIBS``), maps each to the Debian package that owns it with
``dpkg -S``, and fails if a package is neither in the Makefile's ``BUILD_DEBS``, nor a dependency of
one of them, nor part of what any Debian system with Python has (essential and required packages,
and the libraries the Python interpreter itself links). It also checks that the Python side is
pinned: every distribution in the virtual environment is pinned in ``constraints.txt``.
"""

from __future__ import annotations

import re
import subprocess
import sys
import sysconfig
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import pytest

from build_scripts.config import ROOT

pytestmark = pytest.mark.slow
ARCH = re.compile(r":(?:any|amd64|arm64|i386|all)$")


@cache
def installed() -> dict[str, dict[str, str]]:
    """Installed Debian packages: name → control fields (Depends, Pre-Depends, Provides, Essential, Priority)."""
    fields = ["Package", "Status", "Depends", "Pre-Depends", "Provides", "Essential", "Priority"]
    out = subprocess.run(
        ["dpkg-query", "-W", "-f=" + "\\t".join(f"${{{f}}}" for f in fields) + "\\n"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    packages = {}
    for line in out.splitlines():
        row = dict(zip(fields, line.split("\t"), strict=True))
        if row["Status"].endswith(" installed"):
            packages[row["Package"]] = row
    return packages


def _names(relation: str) -> list[str]:
    """Package names in a Depends-style field, every alternative kept (``a (>= 1) | b`` → a, b)."""
    return [
        ARCH.sub("", alt.split("(")[0].strip())
        for part in relation.split(",")
        for alt in part.split("|")
        if alt.strip()
    ]


def closure(roots: set[str]) -> set[str]:
    """``roots`` and every installed package they depend on, through Provides, recursively."""
    packages = installed()
    provides: dict[str, set[str]] = {}
    for name, row in packages.items():
        for virtual in _names(row["Provides"]):
            provides.setdefault(virtual, set()).add(name)
    seen: set[str] = set()
    todo = [r for r in roots if r in packages]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        row = packages[name]
        for dep in _names(row["Depends"]) + _names(row["Pre-Depends"]):
            todo += [p for p in ({dep} | provides.get(dep, set())) if p in packages and p not in seen]
    return seen


def candidates(path: str) -> list[str]:
    """``path``, its real path, and each under its pre- or post-usrmerge name: how dpkg may have recorded it."""
    names = list(dict.fromkeys([path, str(Path(path).resolve())]))
    for c in list(names):
        names.append(c[len("/usr") :] if c.startswith("/usr/lib/") else "/usr" + c if c.startswith("/lib/") else c)
    return names


def owners(paths: Iterable[str]) -> dict[str, str]:
    """Path → the Debian package that ships it (under any of its :func:`candidates`); unowned paths left out."""
    wanted = {path: candidates(path) for path in paths}
    found = _dpkg_search(tuple(sorted({c for names in wanted.values() for c in names})))
    return {path: pkg for path, names in wanted.items() if (pkg := next((found[c] for c in names if c in found), None))}


@cache
def _dpkg_search(paths: tuple[str, ...]) -> dict[str, str]:
    """One ``dpkg -S`` for every path (dpkg reads its whole file database on each call): path → package."""
    out = subprocess.run(["dpkg", "-S", *paths], capture_output=True, text=True).stdout if paths else ""
    found: dict[str, str] = {}
    for line in out.splitlines():
        packages, sep, path = line.partition(": ")
        if sep and not line.startswith("diversion ") and path in paths:
            found.setdefault(path, ARCH.sub("", packages.split(":", 1)[0].strip()))
    return found


@cache
def makefile_debs() -> tuple[frozenset[str], frozenset[str]]:
    lines = subprocess.run(
        ["make", "-s", "--no-print-directory", "print-debs"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    return frozenset(lines[0].split()), frozenset(lines[1].split())


@cache
def python_base() -> frozenset[str]:
    """Packages of the libraries the Python interpreter and its standard extension modules link."""
    dynload = Path(sysconfig.get_config_var("DESTSHARED"))  # the base interpreter's, not the venv's
    files = [Path(sys.executable).resolve(), *dynload.glob("*.so")]
    libraries = {str(f) for f in files}  # on Debian's python3 these belong to libpython3.11-stdlib & co.
    out = subprocess.run(["ldd", *map(str, files)], capture_output=True, text=True).stdout
    libraries |= {m.group(1) for m in re.finditer(r"=> (/\S+)", out)}
    return frozenset(owners(libraries).values())


def system_base() -> set[str]:
    return {n for n, row in installed().items() if row["Essential"] == "yes" or row["Priority"] == "required"}


@pytest.fixture(scope="module")
def loaded(full_build_libs: Path) -> dict[str, str]:
    """Debian-owned shared libraries the real build mapped: path → package."""
    paths = sorted(set(full_build_libs.read_text(encoding="utf-8").split()))
    assert any("libpango" in p for p in paths), "the build's PDF process reported no Pango: was the PDF built?"
    return owners(paths)


def test_every_debian_library_the_build_loads_is_installed_by_the_makefile(loaded: dict[str, str]) -> None:
    build_debs, _ = makefile_debs()
    allowed = closure(build_debs) | closure(system_base() | python_base())
    stray = {path: pkg for path, pkg in loaded.items() if pkg not in allowed}
    assert not stray, (
        f"the build loads libraries from packages the Makefile neither installs nor gets as dependencies: {stray}"
    )


def test_the_check_would_catch_harfbuzz_subset_coming_only_from_chromium(loaded: dict[str, str]) -> None:
    """The historical failure: without libharfbuzz-subset0 in BUILD_DEBS, the check above must fail."""
    build_debs, test_debs = makefile_debs()
    assert "libharfbuzz-subset0" in loaded.values(), "WeasyPrint did not load HarfBuzz-Subset"
    without = closure(build_debs - {"libharfbuzz-subset0"}) | closure(system_base() | python_base())
    assert "libharfbuzz-subset0" not in without
    assert "libharfbuzz-subset0" in closure(test_debs), "chromium no longer depends on it (update this test)"


def test_every_python_distribution_is_pinned() -> None:
    """Nothing in .venv that constraints.txt does not pin: a fresh machine installs exactly these."""
    from importlib.metadata import distributions

    text = (ROOT / "constraints.txt").read_text(encoding="utf-8")
    pins = {
        re.sub(r"[-_.]+", "-", line.split("==")[0]).lower(): line.split("==")[1]
        for line in text.splitlines()
        if "==" in line and not line.startswith("#")
    }
    unpinned = []
    for dist in distributions():
        name = re.sub(r"[-_.]+", "-", dist.metadata["Name"]).lower()
        if name in ("pip", "setuptools", "wheel"):
            continue
        if pins.get(name) != dist.version:
            unpinned.append(f"{name}=={dist.version} (constraints: {pins.get(name)})")
    assert not unpinned, f"run `make constraints`: {unpinned}"


def test_the_test_tools_find_every_library_they_link() -> None:
    """Playwright's bundled Node.js driver is a binary from PyPI: every library it links must be installed
    by the Makefile (or come with what it installs). A fresh Debian lacked libatomic1, which gcc had
    pulled in on the development machines, and every browser test failed with a closed driver pipe."""
    import playwright

    node = Path(playwright.__file__).parent / "driver" / "node"
    out = subprocess.run(["ldd", str(node)], capture_output=True, text=True, check=True).stdout
    assert "not found" not in out, out
    linked = {m.group(1) for m in re.finditer(r"=> (/\S+)", out)}
    build_debs, test_debs = makefile_debs()
    allowed = closure(build_debs | test_debs) | closure(system_base() | python_base())
    stray = {path: pkg for path, pkg in sorted(owners(linked).items()) if pkg not in allowed}
    assert not stray, f"the Playwright driver links libraries the Makefile does not install: {stray}"
