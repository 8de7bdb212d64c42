"""The catalogue of bad inputs (``tests/fixtures/bad-inputs.yaml``): a coded, located error, never a traceback.

Each case corrupts a copy of the project as the catalogue says and runs the build's command-line entry
(:func:`build_scripts.__main__.main`, in this process to keep the suite quick; one case runs it as a
real subprocess): it must exit 1, print the expected code at the expected ``file:line:col``, end with
"nothing was published", and leave ``docs/`` and ``site/`` byte for byte as they were.
"""

from __future__ import annotations

import fcntl
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_atomic import _env, copy_project, tree_hash

from build_scripts.__main__ import main
from build_scripts.config import ROOT
from build_scripts.pipeline import Staging

CASES: list[dict[str, Any]] = yaml.safe_load((ROOT / "tests/fixtures/bad-inputs.yaml").read_text(encoding="utf-8"))
DIAGNOSTIC = re.compile(r"^(?P<code>E-[A-Z]+-[A-Z]+) (?P<where>\S+) (?P<message>.*)$")


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = copy_project(tmp_path_factory.mktemp("pristine") / "project")
    (project / "site").mkdir()
    (project / "site" / "index.html").write_text("<p>last good build</p>", encoding="utf-8")
    return project


def apply(change: dict[str, Any], root: Path) -> None:
    """Corrupt the copy at ``root`` as one catalogue ``change`` says."""
    [(op, args)] = change.items()
    path = root / args["file"]
    if op == "replace":
        text = path.read_text(encoding="utf-8")
        assert args["old"] in text, f"{args['old']!r} is not in {args['file']}: update the catalogue"
        path.write_text(text.replace(args["old"], args["new"], 1), encoding="utf-8")
    elif op in ("insert", "bytes"):
        data = path.read_bytes().split(b"\n")
        line = data[args["line"] - 1].decode("utf-8")
        head, tail = line[: args["col"] - 1].encode("utf-8"), line[args["col"] - 1 :].encode("utf-8")
        new = args["text"].encode("utf-8") if op == "insert" else bytes.fromhex(args["hex"])
        data[args["line"] - 1] = head + new + tail
        path.write_bytes(b"\n".join(data))
    elif op == "write":
        path.write_text(args["text"], encoding="utf-8")
    elif op == "append":
        path.write_text(path.read_text(encoding="utf-8") + args["text"], encoding="utf-8")
    elif op == "lines":
        lines = path.read_text(encoding="utf-8").split("\n")
        rest = lines[args["keep"]][: len(lines[args["keep"]]) // 2] if args.get("half") else ""
        path.write_text("\n".join(lines[: args["keep"]]) + "\n" + rest, encoding="utf-8")
    elif op == "crlf":
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    elif op == "bom":
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    elif op == "mkfile":
        path.write_text("not a folder\n", encoding="utf-8")
    else:
        raise ValueError(f"unknown change {op}")


def expected_lines(where: dict[str, Any], root: Path) -> set[int] | None:
    """The line(s) the diagnostic may name, computed on the corrupted copy; None if any (or none)."""
    if not {"line", "line_in", "line_of", "line_of_last", "line_of_entry"} & set(where):
        return None
    lines = (root / where["file"]).read_text(encoding="utf-8", errors="replace").split("\n")
    if "line" in where:
        return {where["line"]}
    if "line_in" in where:
        return set(range(where["line_in"][0], where["line_in"][1] + 1))
    for key in ("line_of", "line_of_last", "line_of_entry"):
        if key in where:
            hits = [n for n, line in enumerate(lines, 1) if where[key] in line]
            assert hits, f"{where[key]!r} not in {where['file']}"
            n = hits[-1] if key == "line_of_last" else hits[0]
            if key == "line_of_entry":  # the line of the YAML list item that holds it
                n = next(m for m in range(n, 0, -1) if lines[m - 1].lstrip().startswith("- "))
            return {n}
    return None


def check(case: dict[str, Any], root: Path, code: int, stderr: str) -> None:
    assert code == 1, stderr
    assert "Traceback" not in stderr and "E-INTERNAL" not in stderr, stderr
    assert stderr.rstrip().endswith("nothing was published"), stderr
    found = [m for line in stderr.splitlines() if (m := DIAGNOSTIC.match(line))]
    ours = [m for m in found if m["code"] == case["code"]]
    assert ours, f"expected {case['code']}, got:\n{stderr}"
    if case.get("single"):
        assert len(found) == 1, f"one diagnostic expected for the whole file, got:\n{stderr}"
    where = case["where"]
    location = ours[0]["where"].replace(str(root) + "/", "")
    file, _, rest = location.partition(":")
    assert file == where["file"], location
    lines = expected_lines(where, root)
    if lines is not None:
        line = int(rest.split(":")[0]) if rest else 0
        assert line in lines, f"{location} is not at line {sorted(lines)}"
    if "col" in where:
        assert rest.split(":")[1:] == [str(where["col"])], f"{location} is not at column {where['col']}"
    if "message" in case:
        assert any(case["message"] in m["message"] for m in ours), stderr


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_bad_input_stops_with_a_coded_located_error_and_publishes_nothing(
    pristine: Path, tmp_path: Path, case: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "project"
    shutil.copytree(pristine, root)
    apply(case["change"], root)
    before = {name: tree_hash(root / name) for name in ("docs", "site")}
    code = main(["--project", str(root), "--no-pdf", "--no-offline"])
    check(case, root, code, capsys.readouterr().err)
    assert {name: tree_hash(root / name) for name in ("docs", "site")} == before
    work = Staging.beside(root / "site")
    kept = {work.site} if "mkfile" in case["change"] else set()  # the case's own file at .site-new stays
    assert not [p for p in work.all() if p not in kept and p.exists()]


def test_the_command_line_reports_a_running_build_without_a_traceback(pristine: Path, tmp_path: Path) -> None:
    """A real ``python -m build_scripts`` while another build holds the lock: E-BUILD-LOCKED at once."""
    root = tmp_path / "project"
    shutil.copytree(pristine, root)
    before = {name: tree_hash(root / name) for name in ("docs", "site")}
    with open(root / ".build.lock", "a+", encoding="utf-8") as lock:
        fcntl.lockf(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        done = subprocess.run(
            [sys.executable, "-m", "build_scripts", "--project", str(root), "--no-pdf", "--no-offline"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            env=_env(),
        )
    case = {"code": "E-BUILD-LOCKED", "where": {"file": ".build.lock"}, "single": True}
    check(case, root, done.returncode, done.stderr)
    assert {name: tree_hash(root / name) for name in ("docs", "site")} == before


def test_every_catalogue_code_is_in_the_diagnostics_catalogue() -> None:
    from build_scripts.diagnostics import CATALOGUE

    assert {c["code"] for c in CASES} <= set(CATALOGUE)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "tests/fixtures/bad-inputs.yaml" in readme
