"""Read input files strictly: text with a located error for bad bytes, YAML with every mapping's line.

Every input of the build (the source, the glyph table, the decisions, chapters, metadata and
glossary files, the .bib) is read through :func:`read_text`, so a file that is not UTF-8, or that
carries a byte-order mark or Windows line endings, stops the build with one diagnostic that names
the file, the place and the cause instead of a traceback or hundreds of follow-on errors.
YAML files go through :func:`load_yaml`, which also refuses duplicate keys (YAML's "last wins"
would silently drop a reviewed entry).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from .diagnostics import BuildError, Diagnostic, Location

LINE_KEY = "__line__"
#: Ids and slugs become file names, URL paths and HTML ids: lowercase ASCII words joined by hyphens.
SAFE_ID = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")


def read_text(path: Path, *, code: str = "E-DATA-ENCODING", missing: str = "E-DATA-MISSING") -> str:
    """The file's text; stops on a missing file, bad UTF-8 (at its line:col), a BOM or CRLF line ends."""
    name = str(path)
    if not path.is_file():
        raise BuildError([Diagnostic(missing, Location(name), "no such file")])
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = len(before.rsplit(b"\n", 1)[-1].decode("utf-8", "replace")) + 1
        bad = data[exc.start : exc.end].hex(" ")
        raise BuildError([Diagnostic(code, Location(name, line, col), f"byte(s) {bad} are not UTF-8")]) from None
    problems = []
    if text.startswith("\ufeff"):
        problems.append(
            Diagnostic(
                "E-INPUT-BOM",
                Location(name, 1, 1),
                "the file starts with a byte-order mark (U+FEFF): save it as UTF-8 without BOM",
            )
        )
    if "\r" in text:
        first = text.index("\r")
        line = text.count("\n", 0, first) + 1
        col = first - (text.rfind("\n", 0, first) + 1) + 1
        crlf = text.count("\r\n")
        problems.append(
            Diagnostic(
                "E-INPUT-CRLF",
                Location(name, line, col),
                f"the file has Windows (CRLF) or old Mac (CR) line endings ({crlf} CRLF, "
                f"{text.count(chr(13)) - crlf} lone CR): convert it to LF line endings",
            )
        )
    if problems:
        raise BuildError(problems)
    return text


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that records the 1-based line of every mapping under ``__line__`` and refuses duplicate keys."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    seen: dict[Any, int] = {}
    for key_node, _value in node.value:
        key = loader.construct_object(key_node, deep=True)  # type: ignore[no-untyped-call]
        mark = key_node.start_mark
        if key in seen:
            raise BuildError(
                [
                    Diagnostic(
                        "E-DATA-DUPKEY",
                        Location(str(loader.name), mark.line + 1, mark.column + 1),
                        f"key {key!r} repeats the one at line {seen[key]} (YAML would keep only the last)",
                    )
                ]
            )
        seen[key] = mark.line + 1
    mapping = loader.construct_mapping(node, deep=True)
    mapping[LINE_KEY] = node.start_mark.line + 1
    return mapping  # type: ignore[return-value]


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def mark_location(file: str, mark: yaml.Mark | None) -> Location:
    """The 1-based place in ``file`` of a YAML parser's 0-based ``mark`` (the whole file if none)."""
    return Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)


def load_yaml(path: Path, code: str = "E-DATA-SYNTAX") -> Any:
    """Parse ``path``; bad bytes, a syntax error or a duplicate key stop the build at file:line:col."""
    text = read_text(path)
    loader = _LineLoader(text)
    loader.name = str(path)
    try:
        return loader.get_single_data()  # type: ignore[no-untyped-call]
    except yaml.MarkedYAMLError as exc:
        raise BuildError([Diagnostic(code, mark_location(str(path), exc.problem_mark), str(exc.problem))]) from None
    except yaml.YAMLError as exc:
        raise BuildError([Diagnostic(code, Location(str(path)), str(exc))]) from None
    finally:
        loader.dispose()  # type: ignore[no-untyped-call]


def require(entry: dict[str, Any], keys: tuple[str, ...], path: Path, code: str) -> list[Diagnostic]:
    """Diagnostics for every required key missing from ``entry`` (blank text counts as missing)."""
    return [
        Diagnostic(code, Location(str(path), entry.get(LINE_KEY, 0)), f"entry lacks '{k}'")
        for k in keys
        if k not in entry or entry[k] is None or (isinstance(entry[k], str) and not entry[k].strip())
    ]


def mapping_entries(data: Any, key: str, path: Path, code: str) -> list[dict[str, Any]]:
    """``data[key]`` as a list of mappings; anything else is one diagnostic naming what was found."""
    if not isinstance(data, dict):
        raise BuildError(
            [Diagnostic(code, Location(str(path), 1), f"expected a mapping with a '{key}' list, found {_kind(data)}")]
        )
    entries = data.get(key)
    if not isinstance(entries, list):
        line = data.get(LINE_KEY, 1)
        raise BuildError(
            [Diagnostic(code, Location(str(path), line), f"'{key}' must be a list, found {_kind(entries)}")]
        )
    problems = [
        Diagnostic(code, Location(str(path), data.get(LINE_KEY, 1)), f"'{key}' item {n} is {_kind(e)}, not a mapping")
        for n, e in enumerate(entries, 1)
        if not isinstance(e, dict)
    ]
    if problems:
        raise BuildError(problems)
    return entries


def check_id(value: object, what: str, where: Location, code: str = "E-ID-UNSAFE") -> list[Diagnostic]:
    """A diagnostic unless ``value`` is a safe id (lowercase ASCII words and hyphens: no path, no markup)."""
    if isinstance(value, str) and SAFE_ID.fullmatch(value):
        return []
    return [Diagnostic(code, where, f"{what} {value!r} is not a safe id (lowercase a-z, 0-9, single hyphens)")]


def _kind(value: object) -> str:
    return "nothing" if value is None else f"a {type(value).__name__}"
