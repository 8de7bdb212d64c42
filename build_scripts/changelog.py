"""Changelog stage: what changed in the text, notes, references, glossary and apparatus between versions.

A version is known only by the files it published: its ``downloads/edition.json`` (blocks,
interventions and, from schema 2, notes and glossary) and its ``downloads/references.bib``.
:func:`load_snapshot` reads them into a :class:`Snapshot` of comparable :class:`Record`\\ s;
:func:`compare_versions` compares each pair of consecutive versions record by record and gives a
word-level diff of every record whose text differs (:func:`word_diff`). Nothing is written by hand,
and nothing is normalised silently:

- records are matched by id within their section (block id, note number, BibTeX key, glossary
  entry id, intervention id) and compared as exact strings; identical text is no change;
- references are compared for every version from its ``references.bib``, the one source all
  versions publish, field by field (``title: …``), each field read as the text it prints (LaTeX
  decoded: case-protecting braces and ``\\&`` are markup, not text; ``doi`` and ``url`` verbatim);
- a section one version of a pair does not record (1.0.0 published no notes and no glossary) is
  listed as not recorded for that pair, never as everything added or removed;
- in an apparatus record a line break inside a reading is written ``↵`` (each field is one line).

Standard library and pybtex only: this module knows nothing of pages or templates, so the pages
stage (the "Changes between versions" page, the ¶ tools' links) and the emit stage
(``downloads/changelog.json``, :func:`changes_json`) read the same :class:`Changelog`.
"""

from __future__ import annotations

import difflib
import itertools
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pybtex.database import BibliographyData, Entry, parse_string
from pybtex.scanner import PybtexError

from .datafiles import SAFE_ID
from .diagnostics import BuildError, Diagnostic, Location
from .latex import plain
from .model import Version

EDITION_JSON = "downloads/edition.json"
REFERENCES_BIB = "downloads/references.bib"

Reader = Callable[[str], "str | None"]
"""A version's published file by its path in the site (``downloads/edition.json``), or None if it has none."""


@dataclass(frozen=True, slots=True)
class Section:
    """A kind of record the changelog compares, and where the reader finds one."""

    name: str
    """``text`` | ``notes`` | ``references`` | ``glossary`` | ``apparatus``."""
    title: str
    """The reader's name for the section (headings, "not recorded" sentences)."""
    prefix: str
    """Put before a record's id in its change anchor (``v1.1.0-ref-nye2014``); blocks have none."""


SECTIONS = (
    Section("text", "Text", ""),
    Section("notes", "Notes", "note-"),
    Section("references", "References", "ref-"),
    Section("glossary", "Glossary", "gloss-"),
    Section("apparatus", "Apparatus", "app-"),
)
SECTION_OF = {
    "abstract": "text",
    "heading": "text",
    "paragraph": "text",
    "quote": "text",
    "note": "notes",
    "reference": "references",
    "glossary": "glossary",
    "apparatus": "apparatus",
}
"""Record kind → its section."""

STATUSES = ("added", "removed", "changed")


@dataclass(frozen=True, slots=True)
class DiffOp:
    """One run of a word-level diff: the words kept, taken out or put in, with their spaces."""

    op: str
    """``equal`` | ``delete`` | ``insert``."""
    text: str


@dataclass(frozen=True, slots=True)
class Record:
    """One comparable thing of one version: a block, note, reference, glossary entry or apparatus record."""

    kind: str
    """A block's kind (``abstract``, ``heading``, ``paragraph``, ``quote``) or ``note``, ``reference``,
    ``glossary``, ``apparatus``."""
    id: str
    """Its id within its section: block id, ``n12`` for note 12, BibTeX key, entry id, intervention id."""
    label: str
    """How the changes page names it: ``¶ 20``, ``Heading``, ``Note 12``, ``nye2014``, a term, ``d0001 (decode)``."""
    text: str
    """What is compared: the plain text as the version published it (records of fields: one per line)."""
    page: str
    """Id of the page that shows it (a chapter id, ``front``, ``references``, ``glossary``, ``apparatus``)."""
    anchor: str
    """Its anchor on that page."""

    @property
    def section(self) -> str:
        return SECTION_OF[self.kind]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One version as its published files record it."""

    version: str
    records: tuple[Record, ...]
    """In the version's reading order within each section."""
    recorded: frozenset[str]
    """The sections this version records at all (1.0.0: text, references, apparatus)."""

    def section(self, name: str) -> dict[str, Record]:
        """The records of one section by id, in order."""
        return {r.id: r for r in self.records if r.section == name}


@dataclass(frozen=True, slots=True)
class Change:
    """One record that differs between two consecutive versions."""

    version: str
    """The version the change arrived in (the newer of the pair)."""
    kind: str
    id: str
    label: str
    status: str
    """``added`` | ``removed`` | ``changed``."""
    diff: tuple[DiffOp, ...]
    """Word-level, complete: the equal and deleted runs give the old text, the equal and inserted the new."""
    page: str
    """Page id where the record is in the latest edition; empty if it is no longer there."""
    anchor: str

    @property
    def key(self) -> str:
        """The change's own anchor on the changes page: ``v1.1.0-p20``, ``v1.1.0-ref-nye2014``."""
        prefix = next(s.prefix for s in SECTIONS if s.name == SECTION_OF[self.kind])
        return f"v{self.version}-{prefix}{self.id}"


@dataclass(frozen=True, slots=True)
class NotRecorded:
    """A section that cannot be compared for a pair, and the versions that do not record it."""

    section: Section
    versions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class VersionPair:
    """Two consecutive versions and every change between them."""

    old: str
    new: str
    changes: tuple[Change, ...]
    """In section order (text, notes, references, glossary, apparatus), then reading order; records
    removed come after the others of their section, in the older version's order."""
    not_recorded: tuple[NotRecorded, ...]

    @property
    def key(self) -> str:
        return f"v{self.new}"

    def by_section(self) -> list[tuple[Section, tuple[Change, ...]]]:
        """The sections that have changes, each with its changes."""
        out = [(s, tuple(c for c in self.changes if SECTION_OF[c.kind] == s.name)) for s in SECTIONS]
        return [(s, changes) for s, changes in out if changes]


@dataclass(frozen=True, slots=True)
class ChangeLink:
    """A pointer from a block of the latest edition to one change of it on the changes page."""

    version: str
    key: str


@dataclass(frozen=True, slots=True)
class Changelog:
    """Every pair of consecutive versions, oldest first, up to the latest edition."""

    latest: str
    pairs: tuple[VersionPair, ...]
    paths: Mapping[str, str]
    """Page id → its path under the site's root (``introduction/``; ``""`` for the front page), for URLs."""

    def url(self, change: Change) -> str:
        """Where the changed record is in the latest edition, relative to the site's root; empty if gone."""
        if not change.page or change.page not in self.paths:
            return ""
        return f"{self.paths[change.page]}#{change.anchor}"

    def block_changes(self) -> dict[str, tuple[ChangeLink, ...]]:
        """Block id of the latest edition → the changes (added or changed) that made it what it is, oldest first."""
        links: dict[str, list[ChangeLink]] = {}
        for pair in self.pairs:
            for c in pair.changes:
                if SECTION_OF[c.kind] == "text" and c.status != "removed" and c.page:
                    links.setdefault(c.id, []).append(ChangeLink(c.version, c.key))
        return {k: tuple(v) for k, v in links.items()}


# --- reading a version's files ---------------------------------------------------------------------


def load_snapshot(version: str, read: Reader) -> Snapshot:
    """Read one version from its published files.

    ``read(path)`` returns the text of the file the version published at ``path`` under its site
    (``downloads/edition.json``, ``downloads/references.bib``) or None if it published none; the
    storage of releases is the caller's. A version without ``edition.json``, or one that cannot be
    read, stops the build with ``E-CHANGES-RELEASE`` at ``<version>:<path>``.
    """
    if Version.parse(version) is None:
        raise BuildError([_problem(version, EDITION_JSON, f"version {version!r} is not MAJOR.MINOR.PATCH (1.1.0)")])
    data = _edition_data(version, read(EDITION_JSON))
    problems: list[Diagnostic] = []
    records: list[Record] = []
    recorded = {"text"}
    blocks = _entries(data, "blocks", version, problems) or []
    records += _block_records(blocks, version, problems)
    sections = {b.get("id"): b.get("section") for b in blocks if isinstance(b, dict)}
    if "notes" in data:
        recorded.add("notes")
        records += _note_records(_entries(data, "notes", version, problems) or [], sections, version, problems)
    if "glossary" in data:
        recorded.add("glossary")
        records += _glossary_records(_entries(data, "glossary", version, problems) or [], version, problems)
    if "interventions" in data:
        recorded.add("apparatus")
        records += _apparatus_records(_entries(data, "interventions", version, problems) or [], version, problems)
    bib = read(REFERENCES_BIB)
    if bib is not None:
        recorded.add("references")
        records += _reference_records(bib, version, problems)
    seen: set[tuple[str, str]] = set()
    for r in records:
        if (r.section, r.id) in seen:
            problems.append(_problem(version, EDITION_JSON, f"{r.section}: id {r.id!r} occurs twice"))
        seen.add((r.section, r.id))
    if problems:
        raise BuildError(problems)
    return Snapshot(version, tuple(records), frozenset(recorded))


def _problem(version: str, path: str, message: str) -> Diagnostic:
    return Diagnostic("E-CHANGES-RELEASE", Location(f"{version}:{path}"), message)


def _edition_data(version: str, text: str | None) -> dict[str, Any]:
    if text is None:
        raise BuildError([_problem(version, EDITION_JSON, "the version published no edition.json")])
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BuildError([_problem(version, EDITION_JSON, f"not JSON: {exc}")]) from None
    if not isinstance(data, dict):
        raise BuildError([_problem(version, EDITION_JSON, "not a JSON object")])
    schema = data.get("schema", 1)
    if schema not in (1, 2):
        raise BuildError([_problem(version, EDITION_JSON, f"schema {schema!r} is not one this build can read (1, 2)")])
    return data


def _entries(data: dict[str, Any], name: str, version: str, problems: list[Diagnostic]) -> list[dict[str, Any]] | None:
    value = data.get(name)
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        problems.append(_problem(version, EDITION_JSON, f"'{name}' must be a list of objects"))
        return None
    return value


def _fields(
    entry: dict[str, Any],
    types: Mapping[str, type | tuple[type, ...]],
    what: str,
    version: str,
    problems: list[Diagnostic],
) -> bool:
    """True if ``entry`` has every field of ``types`` with its type and a safe ``id``."""
    bad = [k for k, t in types.items() if not isinstance(entry.get(k), t) or isinstance(entry.get(k), bool)]
    if bad:
        problems.append(
            _problem(version, EDITION_JSON, f"{what} {entry.get('id', '?')!r}: bad or missing {', '.join(bad)}")
        )
        return False
    if "id" in types and not SAFE_ID.fullmatch(entry["id"]):
        problems.append(_problem(version, EDITION_JSON, f"{what} id {entry['id']!r} is not a safe id"))
        return False
    return True


BLOCK_LABELS = {"abstract": "Abstract", "heading": "Heading"}


def _block_records(blocks: list[dict[str, Any]], version: str, problems: list[Diagnostic]) -> list[Record]:
    types = {"id": str, "kind": str, "text": str, "section": str}
    out = []
    for b in blocks:
        if not _fields(b, types, "block", version, problems):
            continue
        kind, number = b["kind"], b.get("number")
        if kind not in ("abstract", "heading", "paragraph", "quote"):
            problems.append(_problem(version, EDITION_JSON, f"block {b['id']!r}: unknown kind {kind!r}"))
            continue
        if kind in BLOCK_LABELS:
            label = BLOCK_LABELS[kind]
        elif isinstance(number, int):
            label = f"¶ {number}" + (" (block quotation)" if kind == "quote" else "")
        else:
            problems.append(_problem(version, EDITION_JSON, f"block {b['id']!r}: a {kind} needs its number"))
            continue
        out.append(Record(kind, b["id"], label, b["text"], b["section"], b["id"]))
    return out


def _note_records(
    notes: list[dict[str, Any]], sections: Mapping[Any, Any], version: str, problems: list[Diagnostic]
) -> list[Record]:
    out = []
    for n in notes:
        if not _fields(n, {"number": int, "text": str, "blocks": list}, "note", version, problems):
            continue
        block = n["blocks"][0] if n["blocks"] else None
        if not isinstance(block, str) or block not in sections:
            problems.append(_problem(version, EDITION_JSON, f"note {n['number']}: called from no known block"))
            continue
        out.append(Record("note", f"n{n['number']}", f"Note {n['number']}", n["text"], str(sections[block]), block))
    return out


def _glossary_records(entries: list[dict[str, Any]], version: str, problems: list[Diagnostic]) -> list[Record]:
    return [
        Record("glossary", e["id"], e["term"], e["text"], "glossary", e["id"])
        for e in entries
        if _fields(e, {"id": str, "term": str, "text": str}, "glossary entry", version, problems)
    ]


INTERVENTION_FIELDS = ("kind", "line", "col", "end_line", "original", "replacement", "rule", "reason")
"""The order of an apparatus record's lines (schema 1's fields; any others follow, by name)."""


def _apparatus_records(entries: list[dict[str, Any]], version: str, problems: list[Diagnostic]) -> list[Record]:
    out = []
    for i in entries:
        if not _fields(i, {"id": str, "kind": str}, "intervention", version, problems):
            continue
        names = [k for k in INTERVENTION_FIELDS if k in i] + sorted(set(i) - {*INTERVENTION_FIELDS, "id"})
        text = "\n".join(f"{k}: {_one_line(i[k])}" for k in names)
        out.append(Record("apparatus", i["id"], f"{i['id']} ({i['kind']})", text, "apparatus", i["id"]))
    return out


def _one_line(value: Any) -> str:
    return str(value).replace("\n", "↵")


# --- references: every version from its references.bib ------------------------------------------

REFERENCE_FIELDS = (
    "title",
    "booktitle",
    "journal",
    "entrysubtype",
    "howpublished",
    "edition",
    "volume",
    "number",
    "pages",
    "publisher",
    "address",
    "month",
    "day",
    "year",
    "doi",
    "url",
    "edition_status",
    "edition_note",
    "edition_search",
)
"""The order of a reference's lines after its type and names; a field not listed follows, by name."""

VERBATIM = frozenset({"doi", "url"})


def _reference_records(text: str, version: str, problems: list[Diagnostic]) -> list[Record]:
    try:
        data: BibliographyData = parse_string(text, "bibtex")
    except PybtexError as exc:
        problems.append(_problem(version, REFERENCES_BIB, f"cannot be parsed: {exc}"))
        return []
    out = []
    for key, entry in data.entries.items():
        if not SAFE_ID.fullmatch(key):
            problems.append(_problem(version, REFERENCES_BIB, f"key {key!r} is not a safe id"))
            continue
        out.append(Record("reference", key, key, reference_text(entry), "references", key))
    return out


def reference_text(entry: Entry) -> str:
    """A BibTeX entry as lines ``field: text``: type, names, then fields in :data:`REFERENCE_FIELDS` order."""
    lines = [f"type: {entry.type}"]
    lines += [f"{role}: {' and '.join(plain(str(p)) for p in people)}" for role, people in entry.persons.items()]
    fields = {name.lower(): value for name, value in entry.fields.items()}
    names = [f for f in REFERENCE_FIELDS if f in fields] + sorted(set(fields) - set(REFERENCE_FIELDS))
    lines += [f"{name}: {fields[name] if name in VERBATIM else plain(fields[name])}" for name in names]
    return "\n".join(lines)


# --- comparing -------------------------------------------------------------------------------------


def compare_versions(snapshots: Sequence[Snapshot], paths: Mapping[str, str]) -> Changelog:
    """The changelog of consecutive versions, the last of ``snapshots`` being the latest edition.

    ``snapshots`` are in release order (versions strictly increasing, else ``E-CHANGES-ORDER``);
    ``paths`` maps each page id of the latest edition to its path under the site's root.
    """
    if not snapshots:
        raise ValueError("compare_versions needs at least the latest edition")
    disorder = [
        Diagnostic("E-CHANGES-ORDER", Location(f"{b.version}:{EDITION_JSON}"), f"does not follow {a.version}")
        for a, b in itertools.pairwise(snapshots)
        if not Version.parse(a.version) < Version.parse(b.version)  # type: ignore[operator]  # load_snapshot parsed both
    ]
    if disorder:
        raise BuildError(disorder)
    latest = snapshots[-1]
    present = {(r.section, r.id): r for r in latest.records}
    pairs = tuple(compare_pair(a, b, present) for a, b in itertools.pairwise(snapshots))
    return Changelog(latest.version, pairs, dict(paths))


def compare_pair(old: Snapshot, new: Snapshot, latest: Mapping[tuple[str, str], Record] | None = None) -> VersionPair:
    """Every record of a section both versions record whose text differs, was added or was removed.

    ``latest`` (section, id → record of the latest edition) says where each record is now; a change
    to a record the latest edition no longer has gets no page. Without it, ``new`` is the latest.
    """
    now = latest if latest is not None else {(r.section, r.id): r for r in new.records}
    changes: list[Change] = []
    missing: list[NotRecorded] = []
    for section in SECTIONS:
        lacking = tuple(s.version for s in (old, new) if section.name not in s.recorded)
        if lacking:
            missing.append(NotRecorded(section, lacking))
            continue
        before, after = old.section(section.name), new.section(section.name)
        for rid, r in after.items():
            was = before.get(rid)
            if was is None:
                changes.append(_change(new.version, r, "added", (DiffOp("insert", r.text),), now))
            elif was.text != r.text:
                changes.append(_change(new.version, r, "changed", word_diff(was.text, r.text), now))
        for rid, r in before.items():
            if rid not in after:
                changes.append(_change(new.version, r, "removed", (DiffOp("delete", r.text),), now))
    return VersionPair(old.version, new.version, tuple(changes), tuple(missing))


def _change(
    version: str, r: Record, status: str, diff: tuple[DiffOp, ...], now: Mapping[tuple[str, str], Record]
) -> Change:
    there = now.get((r.section, r.id))
    page, anchor = (there.page, there.anchor) if there else ("", "")
    return Change(version, r.kind, r.id, r.label, status, diff, page, anchor)


TOKEN = re.compile(r"\n|[^\S\n]+|\w+(?:['’]\w+)*|[^\w\s]")
"""Words (with inner apostrophes), single punctuation marks, runs of spaces, line breaks: the whole text."""


def tokens(text: str) -> list[str]:
    """``text`` cut into diff tokens; joined, they give ``text`` back exactly."""
    return TOKEN.findall(text)


def word_diff(old: str, new: str) -> tuple[DiffOp, ...]:
    """A word-level diff a reader can follow: runs kept, taken out and put in, spaces included.

    Tokens are words and punctuation (:func:`tokens`), aligned by :class:`difflib.SequenceMatcher`
    (no automatic junk, so frequent words and spaces still align). A single space (not a line
    break) left between two changes joins them, so "soft power" taken out reads as one run; a run
    taken out or put in carries the space before it rather than after.
    """
    a, b = tokens(old), tokens(new)
    ops: list[DiffOp] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            ops.append(DiffOp("equal", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            ops.append(DiffOp("delete", "".join(a[i1:i2])))
        if j2 > j1:
            ops.append(DiffOp("insert", "".join(b[j1:j2])))
    return _join_runs(ops)


def _join_runs(ops: list[DiffOp]) -> tuple[DiffOp, ...]:
    """Merge each run of changes, and the lone spaces inside it, into one deletion and one insertion."""
    out: list[DiffOp] = []
    run: list[DiffOp] = []

    def flush() -> None:
        if run:
            out.append(DiffOp("delete", "".join(op.text for op in run if op.op != "insert")))
            out.append(DiffOp("insert", "".join(op.text for op in run if op.op != "delete")))
            run.clear()

    for n, op in enumerate(ops):
        lone_space = 0 < n < len(ops) - 1 and op.text.strip(" ") == ""
        if op.op == "equal" and not lone_space:
            flush()
            out.append(op)
        else:
            run.append(op)
    flush()
    return _slide(tuple(op for op in out if op.text))


def _slide(ops: tuple[DiffOp, ...]) -> tuple[DiffOp, ...]:
    """A run only taken out or only put in, ending in a space the kept text before it also ends in,
    moves left by that space: "and" + " soft" + " power", each word with the space before it."""
    out = list(ops)
    for n in range(1, len(out) - 1):
        before, run, after = out[n - 1], out[n], out[n + 1]
        if before.op != "equal" or after.op != "equal" or run.op == "equal":
            continue
        while before.text.endswith(" ") and run.text.endswith(" "):
            before = DiffOp("equal", before.text[:-1])
            run = DiffOp(run.op, " " + run.text[:-1])
            after = DiffOp("equal", " " + after.text)
        out[n - 1], out[n], out[n + 1] = before, run, after
    return tuple(op for op in out if op.text)


def old_text(diff: Iterable[DiffOp]) -> str:
    """The older version's text, from a diff."""
    return "".join(op.text for op in diff if op.op != "insert")


def new_text(diff: Iterable[DiffOp]) -> str:
    """The newer version's text, from a diff."""
    return "".join(op.text for op in diff if op.op != "delete")


def elide(diff: Sequence[DiffOp], context: int = 8) -> list[DiffOp]:
    """The diff for reading on a page: each long unchanged run keeps only what stands next to a
    change and the rest becomes one ``gap`` op (its text: what was left out).

    In a record of lines (a reference, an apparatus record) the lines a change is on are kept
    whole and unchanged lines are left out; in running text, ``context`` words on each side of a
    change. A diff without a change to stand beside (a record added or removed whole) is kept whole.
    """
    out: list[DiffOp] = []
    for n, op in enumerate(diff):
        head_at, tail_at = (n > 0), (n < len(diff) - 1)
        if op.op != "equal":
            out.append(op)
            continue
        if "\n" in op.text:
            start = op.text.index("\n") + 1 if head_at else 0
            end = op.text.rindex("\n") + 1 if tail_at else len(op.text)
        else:
            parts = tokens(op.text)
            words = [k for k, t in enumerate(parts) if not t.isspace()]
            if len(words) <= 2 * context:
                out.append(op)
                continue
            start = len("".join(parts[: words[context]])) if head_at else 0
            end = len("".join(parts[: words[-context]])) if tail_at else len(op.text)
        if start >= end:
            out.append(op)
            continue
        head, gap, tail = op.text[:start], op.text[start:end], op.text[end:]
        out += [DiffOp(k, t) for k, t in (("equal", head), ("gap", gap), ("equal", tail)) if t]
    return out


# --- the JSON download -----------------------------------------------------------------------------


def changes_json(changelog: Changelog) -> str:
    """``downloads/changelog.json`` (schema in the README): deterministic, in the changes page's order."""
    data = {
        "schema": 1,
        "latest": changelog.latest,
        "pairs": [
            {
                "from": pair.old,
                "to": pair.new,
                "not_recorded": [{"section": m.section.name, "versions": list(m.versions)} for m in pair.not_recorded],
                "changes": [
                    {
                        "anchor": c.key,
                        "section": SECTION_OF[c.kind],
                        "kind": c.kind,
                        "id": c.id,
                        "label": c.label,
                        "status": c.status,
                        "url": changelog.url(c),
                        "diff": [[op.op, op.text] for op in c.diff],
                    }
                    for c in pair.changes
                ],
            }
            for pair in changelog.pairs
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
