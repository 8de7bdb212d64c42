"""Editorial decisions: the reviewed judgements no rule can make, loaded as typed records."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .datafiles import LINE_KEY, check_id, load_yaml, mapping_entries, require
from .diagnostics import BuildError, Diagnostic, Location

KINDS = ("paragraph-break", "continue", "block-quote", "sic", "emend", "citation")


@dataclass(frozen=True, slots=True)
class Decision:
    """One reviewed decision from ``editorial/decisions.yaml``."""

    id: str
    kind: str
    line: int
    reason: str
    end_line: int = 0
    match: str = ""
    correction: str = ""
    key: str = ""
    locator: str = ""
    data_line: int = 0
    """Line of the entry in the YAML file, for diagnostics."""
    source: str = ""
    """The YAML file the decision comes from."""


def load_decisions(path: Path) -> tuple[Decision, ...]:
    """Load and schema-check every decision; stop listing every malformed entry."""
    entries = mapping_entries(load_yaml(path), "decisions", path, "E-DECISION-SCHEMA")
    problems: list[Diagnostic] = []
    decisions: list[Decision] = []
    seen: set[str] = set()
    for entry in entries:
        where = Location(str(path), entry.get(LINE_KEY, 0))
        problems += require(entry, ("id", "kind", "reason"), path, "E-DECISION-SCHEMA")
        if entry.get("id"):
            problems += check_id(entry["id"], "decision id", where)
        texts = [
            k
            for k in ("reason", "match", "correction", "key", "locator")
            if k in entry and not isinstance(entry[k], str)
        ]
        problems += [Diagnostic("E-DECISION-SCHEMA", where, f"'{k}' must be text") for k in texts]
        kind = entry.get("kind")
        if kind not in KINDS:
            problems.append(Diagnostic("E-DECISION-SCHEMA", where, f"unknown kind {kind!r}"))
            continue
        if entry.get("id") in seen:
            problems.append(Diagnostic("E-DECISION-SCHEMA", where, f"duplicate id {entry.get('id')!r}"))
        seen.add(str(entry.get("id")))
        lines = entry.get("lines") or [entry.get("line"), entry.get("line")]
        if not (isinstance(lines, list) and len(lines) == 2 and all(_is_line(n) for n in lines)):
            problems.append(Diagnostic("E-DECISION-SCHEMA", where, "needs an integer 'line' or 'lines: [a, b]'"))
            continue
        if kind in ("sic", "emend", "citation") and not entry.get("match"):
            problems.append(Diagnostic("E-DECISION-SCHEMA", where, f"a {kind} decision needs 'match'"))
        decisions.append(
            Decision(
                id=str(entry.get("id")),
                kind=kind,
                line=lines[0],
                end_line=lines[-1],
                reason=str(entry.get("reason", "")).strip(),
                match=str(entry.get("match", "")),
                correction=str(entry.get("correction", "")),
                key=str(entry.get("key", "")),
                locator=str(entry.get("locator", "")),
                data_line=entry.get(LINE_KEY, 0),
                source=str(path),
            )
        )
    if problems:
        raise BuildError(problems)
    return tuple(decisions)


def _is_line(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0
