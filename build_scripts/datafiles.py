"""Load reviewed YAML data files, keeping each mapping's source line for diagnostics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .diagnostics import BuildError, Diagnostic, Location

LINE_KEY = "__line__"


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that records the 1-based line of every mapping under ``__line__``."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping[LINE_KEY] = node.start_mark.line + 1
    return mapping  # type: ignore[return-value]


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(path: Path, code: str = "E-DECISION-SCHEMA") -> Any:
    """Parse ``path``; a syntax error stops the build naming the file, line and column."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        loc = Location(str(path), mark.line + 1, mark.column + 1) if mark else Location(str(path))
        raise BuildError([Diagnostic(code, loc, str(exc.problem))]) from None


def require(entry: dict[str, Any], keys: tuple[str, ...], path: Path, code: str) -> list[Diagnostic]:
    """Diagnostics for every required key missing from ``entry``."""
    return [
        Diagnostic(code, Location(str(path), entry.get(LINE_KEY, 0)), f"entry lacks '{k}'")
        for k in keys
        if k not in entry or entry[k] in (None, "")
    ]
