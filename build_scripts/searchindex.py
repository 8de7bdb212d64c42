"""Search index stage: one search document per unit a reader cites, so that a hit lands on it.

Material's search plugin makes one document per heading section. A chapter is one section, so a
phrase in its ¶14 could only lead to the chapter's top; the References are grouped under letters,
so a surname could only lead to its letter. The pages mark each unit a reader cites with
``data-search-unit="<title>"`` on the element whose ``id`` is its anchor: every paragraph
(``¶14``, ``build_scripts/pages.py``) and every References entry (``Beetham (1991)``,
``editorial/pages/references.md``). Python-Markdown's note items (``li#fn:N``) are units too,
titled by ``editorial/search.yaml``; their document points at the note's call (``#fnref:N``),
which every screen shows (wide screens hide the list of notes and set each note beside its call).

A unit's text leaves its heading's section and becomes a document of its own (``page/#id``);
what lies outside units stays in the heading's section, so no text is lost or indexed twice. The
parser is Material's own, extended only where a unit begins and ends, so a document's text is
extracted exactly as Material extracts it (kept tags, escaping, ``data-search-exclude``), and
Material's plugin writes the index as before: ``search/search_index.json``, which the offline
copy inlines into ``search_index.js``. Material strips ``data-search-*`` attributes from the
published pages. The ranking weights are judgements, read from ``editorial/search.yaml``.
"""

from __future__ import annotations

import math
import string
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from material.plugins.search.plugin import Element, Parser, SearchIndex, Section

from .datafiles import LINE_KEY, load_yaml, mapping_entries
from .diagnostics import BuildError, Diagnostic, Location

UNIT_ATTRIBUTE = "data-search-unit"
NOTE_PREFIX = "fn:"
NOTE_CALL_PREFIX = "fnref:"
FIELDS = ("title", "text", "tags")
"""The fields of Material's index documents."""
#: Material's section for the text before the first heading is a pseudo-element; a unit's section
#: needs one of a kind that never occurs in a page, or the unit's text would be read as its title.
_UNIT_TAG = "search-unit"


@dataclass(frozen=True, slots=True)
class Weight:
    """One ranking weight of ``editorial/search.yaml``: what it weighs, how much, and why."""

    target: str
    """A field name (``title``) or a page id (``references``)."""
    boost: float
    reason: str


@dataclass(frozen=True, slots=True)
class SearchSettings:
    """``editorial/search.yaml``, checked."""

    fields: tuple[Weight, ...]
    """Boosts of Material's index fields (its defaults stand for a field not listed)."""
    pages: tuple[Weight, ...]
    """Boosts of every document of a page, by page id."""
    note_title: str
    """The title of a note's document, with ``{number}`` for the note's number."""

    def page_boost(self, page_id: str) -> float | None:
        return next((w.boost for w in self.pages if w.target == page_id), None)


def load_settings(path: Path, page_ids: tuple[str, ...]) -> SearchSettings:
    """Read ``editorial/search.yaml``; every problem is an ``E-SEARCH-SCHEMA`` at its line."""
    data = load_yaml(path)
    problems: list[Diagnostic] = []
    fields = _weights(mapping_entries(data, "fields", path, "E-SEARCH-SCHEMA"), "field", FIELDS, path, problems)
    pages = _weights(mapping_entries(data, "pages", path, "E-SEARCH-SCHEMA"), "page", page_ids, path, problems)
    note_title = data.get("note_title")
    if not isinstance(note_title, str) or _placeholders(note_title) != {"number"}:
        problems.append(
            Diagnostic(
                "E-SEARCH-SCHEMA",
                Location(str(path), data.get(LINE_KEY, 1)),
                f"note_title must be text with one {{number}} placeholder, found {note_title!r}",
            )
        )
    if problems:
        raise BuildError(problems)
    return SearchSettings(fields, pages, str(note_title))


def _weights(
    entries: list[dict[str, Any]], key: str, known: tuple[str, ...], path: Path, problems: list[Diagnostic]
) -> tuple[Weight, ...]:
    weights: list[Weight] = []
    for entry in entries:
        where = Location(str(path), entry.get(LINE_KEY, 0))
        target, boost, reason = entry.get(key), entry.get("boost"), entry.get("reason")
        found = len(problems)
        if target not in known:
            problems.append(Diagnostic("E-SEARCH-SCHEMA", where, f"{key} {target!r} is not one of {', '.join(known)}"))
        elif any(w.target == target for w in weights):
            problems.append(Diagnostic("E-SEARCH-SCHEMA", where, f"{key} {target!r} is weighted twice"))
        if isinstance(boost, bool) or not isinstance(boost, int | float) or not math.isfinite(boost) or boost <= 0:
            problems.append(Diagnostic("E-SEARCH-SCHEMA", where, f"boost must be a positive number, found {boost!r}"))
        if not isinstance(reason, str) or not reason.strip():
            problems.append(Diagnostic("E-SEARCH-SCHEMA", where, "a weight needs its reason"))
        if len(problems) == found and isinstance(boost, int | float):
            weights.append(Weight(str(target), float(boost), " ".join(str(reason).split())))
    return tuple(weights)


def _placeholders(template: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError:
        return set()


class UnitParser(Parser):  # type: ignore[misc]
    """Material's section parser, with each unit (see the module docstring) as a section of its own."""

    section: Section | None
    """The section text goes to (Material's)."""

    def __init__(self, note_title: str) -> None:
        super().__init__()
        self.note_title = note_title
        self.unit: tuple[Element, Section, Section] | None = None
        """The open unit: its element, its section, and the section it interrupted."""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = None if self.unit or self.skip.intersection(self.context) else self._unit(tag, dict(attrs))
        if not found:
            super().handle_starttag(tag, attrs)
            return
        before: Section | None = self.section
        if before is None:  # Material's section before the first heading: the page's own document
            before = Section(Element("hx"))
            self.data.append(before)
        section = Section(Element(_UNIT_TAG))
        section.id, section.title = found[0], [escape(found[1], quote=False)]
        self.data.append(section)
        self.section = section
        super().handle_starttag(tag, attrs)
        self.unit = (self.context[-1], section, before)

    def handle_endtag(self, tag: str) -> None:
        super().handle_endtag(tag)
        if self.unit and not any(el is self.unit[0] for el in self.context):
            _, section, before = self.unit
            section.depth = math.inf  # closed: Material must never return to it
            self.section, self.unit = before, None

    def _unit(self, tag: str, attrs: dict[str, str | None]) -> tuple[str, str] | None:
        """(anchor, title) if the element opens a unit."""
        anchor, title = attrs.get("id") or "", attrs.get(UNIT_ATTRIBUTE)
        if "data-search-exclude" in attrs:
            return None
        if title and anchor:
            return anchor, title
        if tag == "li" and anchor.startswith(NOTE_PREFIX):
            number = anchor.removeprefix(NOTE_PREFIX)
            return NOTE_CALL_PREFIX + number, self.note_title.format(number=number)
        return None


class UnitSearchIndex(SearchIndex):  # type: ignore[misc]
    """Material's search index, reading each page with :class:`UnitParser` and weighting by :class:`SearchSettings`."""

    def __init__(self, settings: SearchSettings, page_ids: dict[str, str], **config: Any) -> None:
        super().__init__(**config)
        self.settings = settings
        self.page_ids = page_ids
        """Page id by the page's source file (``references.md`` → ``references``)."""

    def add_entry_from_context(self, page: Any) -> None:
        if (page.meta.get("search") or {}).get("exclude"):
            return
        parser = UnitParser(self.settings.note_title)
        parser.feed(page.content)
        parser.close()
        boost = self.settings.page_boost(self.page_ids.get(page.file.src_uri, ""))
        for section in parser.data:
            if not section.is_excluded():
                self.create_entry_for_section(section, page.toc, page.url, page)
                if boost is not None:
                    self.entries[-1]["boost"] = boost


def configure(search: Any, settings: SearchSettings, page_ids: dict[str, str]) -> None:
    """Give Material's search plugin (already configured) the edition's weights and unit index."""
    for weight in settings.fields:
        search.config["fields"][weight.target] = {"boost": weight.boost}
    search.search_index = UnitSearchIndex(settings, page_ids, **search.config)
