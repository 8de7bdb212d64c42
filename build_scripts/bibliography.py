"""Bibliography stage: load ``bib/references.bib`` and format every entry author-date.

The manuscript has no reference list, so the edition reconstructs one; each entry carries an
``edition_status`` (verified | candidate | unidentified) and an ``edition_note`` saying how far it
is confirmed. Entries are formatted by a real pybtex style (:class:`HarvardStyle`, written in
pybtex's template language) into clean Markdown through :class:`MarkdownBackend`, which escapes
with the project's one escaper (:func:`build_scripts.mdtext.escape`), so titles render literally
and ordinary punctuation stays unescaped. The citation stage resolves the text's author-date
citations against :meth:`Bibliography.lookup`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import quote

import pybtex.errors
from markdown_it import MarkdownIt
from pybtex.backends import markdown as pybtex_markdown
from pybtex.database import BibliographyData, Entry, Person, parse_string
from pybtex.richtext import BaseMultipartText, HRef, Protected, Text
from pybtex.scanner import PybtexSyntaxError
from pybtex.style.formatting import BaseStyle, toplevel
from pybtex.style.template import (
    FieldIsMissing,
    field,
    first_of,
    join,
    names,
    node,
    optional,
    optional_field,
    sentence,
    tag,
    words,
)

from .datafiles import check_id, read_text
from .diagnostics import BuildError, Diagnostic, Location
from .latex import plain
from .mdtext import escape
from .typography import smarten

STATUSES = ("verified", "candidate", "unidentified")
ENTRY_START = re.compile(r"^[ \t]*@[ \t]*(\w+)[ \t]*[{(][ \t]*([^,\s]+)[ \t]*,", re.MULTILINE)
NOT_ENTRIES = frozenset({"comment", "string", "preamble"})
_MD = MarkdownIt("commonmark")


@dataclass(frozen=True, slots=True)
class Reference:
    """One formatted bibliography entry."""

    key: str
    cite_name: str
    """The name as the text cites it: ``Nye``, ``Nye and Wang``, ``CCP Central Committee``; 3+ persons ``X et al.``."""
    year: str
    """``2011``; ``2012a``/``2012b`` when two entries share cite name and year (lettered by title)."""
    label: str
    """``Nye 2011``."""
    status: str
    """``verified`` | ``candidate`` | ``unidentified`` (the entry's ``edition_status``)."""
    note: str
    """The entry's ``edition_note``: how far the identification is confirmed."""
    doi: str
    markdown: str
    """The full reference as clean Markdown (author-date, Harvard-like)."""
    html: str
    """The same reference as inline HTML, for the print renderer."""
    sort_key: tuple[str, ...]
    """(each author's surname then forenames, lowercased…, year, title): the reference list's order,
    so Wang, H. files before Wang, Y."""
    surnames: tuple[str, ...] = ()
    """Surnames (or corporate names) of the authors, or of the editors when there are no authors."""
    line: int = 0
    """Line of the ``@type{key,`` opening in the .bib file, for diagnostics."""


@dataclass(frozen=True, slots=True)
class Bibliography:
    """All references, sorted by author then year."""

    path: str
    references: tuple[Reference, ...]

    def get(self, key: str) -> Reference:
        for ref in self.references:
            if ref.key == key:
                return ref
        raise KeyError(key)

    def lookup(self, cite_name: str, year: str) -> list[Reference]:
        """Entries cited as ``cite_name`` + ``year``.

        An exact year (``2012a``) matches one entry; a bare year matches every lettered entry of
        that year, so a citation that the letters should tell apart comes back ambiguous.
        """
        name = _apostrophes(cite_name)
        same_name = [r for r in self.references if _apostrophes(r.cite_name) == name]
        exact = [r for r in same_name if r.year == year]
        if exact or not year.isdigit():
            return exact
        return [r for r in same_name if _base_year(r.year) == year]

    def of_year(self, year: str) -> list[Reference]:
        """Entries of ``year``: exactly that lettered year, or every letter of a bare year."""
        if not year.isdigit():
            return [r for r in self.references if r.year == year]
        return [r for r in self.references if _base_year(r.year) == year]

    def first_authors(self, year: str) -> set[str]:
        """First authors' surnames (or corporate names) of the entries of ``year``, for implied authors."""
        return {r.surnames[0] for r in self.of_year(year) if r.surnames}


def _apostrophes(text: str) -> str:
    return text.replace("\u2019", "'")


def _base_year(year: str) -> str:
    return year.rstrip("abcdefghijklmnopqrstuvwxyz")


# --- formatting --------------------------------------------------------------------------------


class MarkdownBackend(pybtex_markdown.Backend):  # type: ignore[misc]
    """pybtex's Markdown backend without its over-escaping.

    pybtex escapes every ``-``, ``.`` and ``(`` and writes ``&ndash;``; the edition wants plain
    readable Markdown, so text goes through :func:`~build_scripts.mdtext.escape` (which escapes
    only what could open markup) and the symbols are the characters themselves.
    """

    symbols = MappingProxyType({"ndash": "\u2013", "newblock": " ", "nbsp": " "})

    def format_str(self, text: str) -> str:
        body = text.lstrip()
        return text[: len(text) - len(body)] + escape(body) if body else text

    def format_tag(self, tag_name: str, text: str) -> str:
        """Emphasis around the words only: ``*x*`` renders, ``* x *`` or ``* *`` would show asterisks."""
        body = text.strip()
        if not body:
            return text
        start = text.index(body[0])
        return text[:start] + str(super().format_tag(tag_name, body)) + text[start + len(body) :]


def _unprotect(text: Any) -> Any:
    """``text`` without pybtex's ``Protected`` wrappers (from ``{China}`` braces in the .bib).

    pybtex already decodes the LaTeX (``\\&`` becomes ``&``, braces mark protected parts). Brace
    protection only guards capitals against a BibTeX style's case change, which this style never
    makes; left in, a protected part keeps its neighbours from merging into one string, and the
    Markdown escaper then treats a fragment such as ``: Woodrow…`` as the start of a line.
    """
    if isinstance(text, Protected):
        return Text(*(_unprotect(part) for part in text.parts))
    if isinstance(text, BaseMultipartText):
        return text._create_similar([_unprotect(part) for part in text.parts])
    return text


def _smart_field(name: str, nested: bool = False) -> Any:
    return field(name, apply_func=lambda text: Text(smarten(str(text), nested)))


def _year_label(children: list[Any], context: dict[str, Any]) -> Any:
    """The (possibly lettered) year the bibliography assigned, passed in the format context."""
    return Text(context.get("year") or context["entry"].fields["year"])


def _doi_link(children: list[Any], context: dict[str, Any]) -> Any:
    """``doi:10.x/y`` linked to its resolver."""
    entry = context["entry"]
    if "doi" not in entry.fields:
        raise FieldIsMissing("doi", entry)
    doi = entry.fields["doi"]
    return Text(HRef("https://doi.org/" + quote(doi, safe="/"), "doi:" + doi))


year_label = node(_year_label)
doi_link = node(_doi_link)


pages = field("pages")
quoted_title = join["\u2018", _smart_field("title", nested=True), "\u2019"]
publisher_place = first_of[
    optional[join(sep=": ")[field("address"), field("publisher")]],
    optional_field("publisher"),
]
edition = optional[sentence[words[field("edition"), "edn"]]]


class HarvardStyle(BaseStyle):  # type: ignore[misc]
    """Author-date references in the Harvard / PSA manner.

    ``Nye, J. S. (2011) *The Future of Power*. New York: PublicAffairs.``
    """

    default_name_style = "lastfirst"

    def format_entry(self, label: str, entry: Entry, bib_data: Any = None) -> Any:
        """Format ``entry``; ``label`` is the lettered year the author-date system assigned."""
        context = {"entry": entry, "style": self, "bib_data": bib_data, "year": label}
        text = getattr(self, f"get_{entry.type}_template")(entry).format_data(context)
        return _unprotect(text)

    def format_names(self, role: str) -> Any:
        return names(role, sep=", ", sep2=" and ", last_sep=" and ")

    def format_head(self, e: Entry) -> Any:
        """``Author (year)``, or ``Editor (ed.) (year)`` for an edited volume."""
        if "author" in e.persons:
            who = self.format_names("author")
        else:
            word = "(eds.)" if len(e.persons.get("editor", ())) > 1 else "(ed.)"
            who = words[self.format_names("editor"), word]
        return words[who, join["(", year_label, ")"]]

    def get_book_template(self, e: Entry) -> Any:
        return toplevel[
            self.format_head(e),
            sentence[tag("em")[_smart_field("title")]],
            edition,
            optional[sentence[publisher_place]],
            optional[doi_link],
        ]

    def get_article_template(self, e: Entry) -> Any:
        volume = optional[join[field("volume"), optional["(", field("number"), ")"]]]
        return toplevel[
            self.format_head(e),
            sentence[
                quoted_title,
                tag("em")[field("journal")],
                volume,
                optional_field("month"),
                optional[join["pp. ", pages]],
            ],
            optional[doi_link],
        ]

    def get_incollection_template(self, e: Entry) -> Any:
        editors = "(eds.)" if len(e.persons.get("editor", ())) > 1 else "(ed.)"
        return toplevel[
            self.format_head(e),
            sentence[
                words[
                    join[quoted_title, ", in"],
                    optional[words[self.format_names("editor"), editors]],
                    tag("em")[_smart_field("booktitle")],
                ]
            ],
            edition,
            sentence[publisher_place, optional[join["pp. ", pages]]],
            optional[doi_link],
        ]

    def get_misc_template(self, e: Entry) -> Any:
        if "title" not in e.fields:
            return toplevel[self.format_head(e), "[work not identified]."]
        return toplevel[
            self.format_head(e),
            sentence[tag("em")[_smart_field("title")]],
            optional[sentence[_smart_field("howpublished")]],
            optional[doi_link],
        ]


# --- loading -----------------------------------------------------------------------------------


def load_bibliography(path: Path) -> Bibliography:
    """Parse, check and format the .bib file; stop listing every problem found."""
    where = str(path)
    text = read_text(path, missing="E-BIB-SYNTAX")
    lines = _entry_lines(text)
    problems = _duplicates(where, text)
    data, syntax = _parse(where, text)
    problems += syntax
    if problems:
        raise BuildError(problems)
    entries = list(data.entries.items())
    for key, entry in entries:
        at = Location(where, lines.get(key.lower(), 0))
        problems += check_id(key, "BibTeX key", at)
        if not hasattr(HarvardStyle, f"get_{entry.type}_template"):
            types = ", ".join(
                sorted(n[4:-9] for n in dir(HarvardStyle) if n.startswith("get_") and n.endswith("_template"))
            )
            problems.append(
                Diagnostic(
                    "E-BIB-TYPE", at, f"entry {key}: type @{entry.type} is not one of @{', @'.join(types.split(', '))}"
                )
            )
            continue
        status = entry.fields.get("edition_status", "")
        if status not in STATUSES:
            problems.append(
                Diagnostic(
                    "E-BIB-STATUS",
                    Location(where, lines.get(key.lower(), 0)),
                    f"entry {key}: edition_status {status!r} is not one of {', '.join(STATUSES)}",
                )
            )
        blank = [
            f
            for f in ("title", "booktitle", "journal", "publisher")
            if f in entry.fields and _is_blank(entry.fields[f])
        ]
        problems += [Diagnostic("E-BIB-SYNTAX", at, f"entry {key}: {f} is empty once LaTeX is read") for f in blank]
        if not _persons(entry) or "year" not in entry.fields:
            problems.append(
                Diagnostic(
                    "E-BIB-SYNTAX",
                    Location(where, lines.get(key.lower(), 0)),
                    f"entry {key} needs an author or editor and a year to be cited author-date",
                )
            )
    if problems:
        raise BuildError(problems)
    references = _format(where, entries, lines)
    return Bibliography(path=where, references=references)


def bibtex_text(bib: Bibliography) -> str:
    """The .bib published as ``downloads/references.bib``: the reviewed file itself (UTF-8).

    Zotero and BibTeX ignore the ``%`` comments outside entries and keep the non-standard
    ``edition_status`` / ``edition_note`` fields as extra data.
    """
    text = Path(bib.path).read_text(encoding="utf-8")
    return text if text.endswith("\n") else text + "\n"


def _entry_lines(text: str) -> dict[str, int]:
    """Line of each entry's ``@type{key,`` (first occurrence), keyed by lowercased key."""
    found: dict[str, int] = {}
    for kind, key, line in _openings(text):
        if kind.lower() not in NOT_ENTRIES:
            found.setdefault(key.lower(), line)
    return found


def _openings(text: str) -> list[tuple[str, str, int]]:
    return [(m.group(1), m.group(2), text.count("\n", 0, m.start()) + 1) for m in ENTRY_START.finditer(text)]


def _duplicates(where: str, text: str) -> list[Diagnostic]:
    seen: dict[str, int] = {}
    problems = []
    for kind, key, line in _openings(text):
        if kind.lower() in NOT_ENTRIES:
            continue
        if key.lower() in seen:
            problems.append(
                Diagnostic(
                    "E-BIB-DUPLICATE",
                    Location(where, line),
                    f"key {key!r} is used at lines {seen[key.lower()]} and {line}",
                )
            )
        else:
            seen[key.lower()] = line
    return problems


def _parse(where: str, text: str) -> tuple[BibliographyData, list[Diagnostic]]:
    """Parse with pybtex, capturing (not raising) its errors so all are reported together."""
    problems: list[Diagnostic] = []
    with pybtex.errors.capture() as captured:
        try:
            data = parse_string(text, "bibtex")
        except PybtexSyntaxError as raised:  # pragma: no cover - capture() normally collects these
            captured.append(raised)
            data = BibliographyData()
    for exc in captured:
        if isinstance(exc, PybtexSyntaxError):
            info = getattr(exc, "error_context_info", None)
            opened = ""
            if isinstance(info, tuple) and len(info) == 3 and isinstance(info[0], int):
                opened = f" (in the entry opened at line {text.count(chr(10), 0, info[0]) + 1})"
            problems.append(Diagnostic("E-BIB-SYNTAX", Location(where, exc.lineno or 0), str(exc) + opened))
        elif "repeated bibliography entry" not in str(exc):
            problems.append(Diagnostic("E-BIB-SYNTAX", Location(where), str(exc)))
    return data, problems


def _is_blank(value: str) -> bool:
    """True if a field holds no visible text (``{}``, ``~``, spaces) once its LaTeX is decoded."""
    return not plain(value).strip()


def _persons(entry: Entry) -> list[Person]:
    return list(entry.persons.get("author") or entry.persons.get("editor") or [])


def _surname(person: Person) -> str:
    return " ".join(person.prelast_names + person.last_names).replace("{", "").replace("}", "")


def _cite_name(surnames: list[str]) -> str:
    if len(surnames) >= 3:
        return f"{surnames[0]} et al."
    return " and ".join(surnames)


def _format(where: str, entries: list[tuple[str, Entry]], lines: dict[str, int]) -> tuple[Reference, ...]:
    style = HarvardStyle()
    backend = MarkdownBackend()
    rows = []
    for key, entry in entries:
        surnames = [_surname(p) for p in _persons(entry)]
        year = entry.fields["year"]
        title = entry.fields.get("title", "")
        names = [(_surname(p).lower(), " ".join(p.first_names + p.middle_names).lower()) for p in _persons(entry)]
        sort_key = (*(part for name in names for part in name), year, title.lower())
        rows.append((sort_key, key, entry, surnames))
    rows.sort(key=lambda row: row[0])
    years = _lettered_years([(_cite_name(s), e.fields["year"], k) for _, k, e, s in rows])
    problems: list[Diagnostic] = []
    references = []
    for sort_key, key, entry, surnames in rows:
        try:
            markdown = style.format_entry(years[key], entry).render(backend)
        except FieldIsMissing as exc:
            problems.append(
                Diagnostic(
                    "E-BIB-SYNTAX",
                    Location(where, lines.get(key.lower(), 0)),
                    f"entry {key} ({entry.type}) lacks a field its type needs: {exc}",
                )
            )
            continue
        cite_name = _cite_name(surnames)
        references.append(
            Reference(
                key=key,
                cite_name=cite_name,
                year=years[key],
                label=f"{cite_name} {years[key]}",
                status=entry.fields["edition_status"],
                note=entry.fields.get("edition_note", ""),
                doi=entry.fields.get("doi", ""),
                markdown=markdown,
                html=_MD.renderInline(markdown),
                sort_key=sort_key,
                surnames=tuple(surnames),
                line=lines.get(key.lower(), 0),
            )
        )
    if problems:
        raise BuildError(problems)
    return tuple(references)


INITIAL_SPACE = re.compile(
    r"(?<=\b[A-Z]\.) (?=[A-Z][.-])"  # between initials
    r"|(?<=,) (?=[A-Z]\.[ ,\u00a0-])"  # surname, initial
    r"|(?<=\bp\.) (?=\d)|(?<=\bpp\.) (?=\d)"  # p. 82
)


def no_break(text: str) -> str:
    """No-break spaces between initials, after a surname's comma before them, and in ``p. 82``
    (applied where a reference is set on a page, not to the data downloads)."""
    return INITIAL_SPACE.sub("\u00a0", text)


def _lettered_years(rows: list[tuple[str, str, str]]) -> dict[str, str]:
    """Author-date disambiguation: entries sharing cite name and year get a, b, … in sort order."""
    groups: dict[tuple[str, str], list[str]] = {}
    for name, year, key in rows:
        groups.setdefault((name, year), []).append(key)
    years = {}
    for (_, year), keys in groups.items():
        for n, key in enumerate(keys):
            years[key] = year + "abcdefghijklmnopqrstuvwxyz"[n] if len(keys) > 1 else year
    return years
