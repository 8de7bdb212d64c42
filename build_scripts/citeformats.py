"""Bibliography exports for reference managers: CSL-JSON (``references.json``) and RIS (``references.ris``).

``references.bib`` alone serves BibTeX users; Zotero, Mendeley, EndNote, pandoc and citeproc
processors read CSL-JSON or RIS more faithfully. Both exports are built from the same parsed
``bib/references.bib`` as the References page, in its order, and carry every field of every
entry, including the edition's identification status, which no standard field holds: CSL puts it
in ``note`` and RIS in ``N1`` ("Identification: candidate. …"), so an unidentified work never
reaches a user's library looking like an ordinary, confirmed reference.

LaTeX in the .bib is decoded (``\\&`` becomes ``&``); brace-protected words in titles become CSL's
``<span class="nocase">`` so CSL styles that change case keep "China" capitalised; RIS has no such
markup and gets plain text. A field this module does not know stops the build
(:class:`UnknownFieldError`) rather than being dropped silently.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pybtex.database import BibliographyData, Entry, Person, parse_string
from pybtex.richtext import BaseMultipartText, Protected, String, Text

from .bibliography import Bibliography
from .config import Metadata
from .latex import is_inert, plain

CSL_TYPES = {"article": "article-journal", "book": "book", "incollection": "chapter", "misc": "article"}
"""BibTeX entry type → CSL type (``misc`` → CSL's generic ``article``, which every CSL 1.0 processor knows)."""

RIS_TYPES = {"article": "JOUR", "book": "BOOK", "incollection": "CHAP", "misc": "GEN"}
"""BibTeX entry type → RIS ``TY``."""

SUBTYPES = {"newspaper": ("article-newspaper", "NEWS")}
"""``entrysubtype`` (biblatex) → (CSL type, RIS type): a news-agency report is not a journal article."""

CSL_TEXT_FIELDS = {
    "title": "title",
    "journal": "container-title",
    "booktitle": "container-title",
    "howpublished": "container-title",
    "publisher": "publisher",
    "address": "publisher-place",
    "volume": "volume",
    "number": "issue",
    "edition": "edition",
}
"""Fields copied as decoded text, BibTeX name → CSL variable."""

VERBATIM_FIELDS = frozenset({"doi", "url"})
"""Fields that hold identifiers, not LaTeX: copied as they are."""

HANDLED_ELSEWHERE = frozenset(
    {"pages", "year", "month", "day", "entrysubtype", "edition_status", "edition_note", "edition_search"}
)
"""Fields each export maps by hand (pages split, date parts, type, identification note)."""

MONTHS = {
    name: number
    for number, name in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ),
        start=1,
    )
}


class UnknownFieldError(ValueError):
    """An entry has a field neither export knows how to carry (add it to the mappings above)."""


# --- shared ----------------------------------------------------------------------------------------


def load_entries(bib: Bibliography) -> list[tuple[str, Entry]]:
    """The parsed entries of ``bib``'s file, in the References page's order.

    The formatted :class:`~build_scripts.bibliography.Reference` objects keep no raw fields, so
    the file the bibliography stage already validated is parsed again here.
    """
    data = parse_string(Path(bib.path).read_text(encoding="utf-8"), "bibtex")
    return entries_in_order(data, [ref.key for ref in bib.references])


def entries_in_order(data: BibliographyData, keys: Iterable[str]) -> list[tuple[str, Entry]]:
    """``(key, entry)`` for each key, in the given order."""
    return [(key, data.entries[key]) for key in keys]


def check_fields(key: str, entry: Entry) -> None:
    """Refuse an entry with a field that would otherwise be lost on export."""
    known = CSL_TEXT_FIELDS.keys() | VERBATIM_FIELDS | HANDLED_ELSEWHERE
    unknown = sorted(name for name in entry.fields if name.lower() not in known)
    if unknown:
        raise UnknownFieldError(f"entry {key}: no CSL/RIS mapping for field(s) {', '.join(unknown)}")


def nocase_markup(latex: str) -> str:
    """Decoded LaTeX with brace-protected parts as CSL ``<span class="nocase">`` (rich-text titles).

    CSL processors recognise only a few tags in these fields (this span among them) and take
    everything else, ``&`` included, as literal text, so nothing else is escaped.
    """
    return latex if is_inert(latex) else "".join(_nocase_parts(Text.from_latex(latex)))


def _nocase_parts(text: BaseMultipartText | String) -> Iterable[str]:
    if isinstance(text, Protected):
        yield '<span class="nocase">' + str(text) + "</span>"
    elif isinstance(text, BaseMultipartText):
        for part in text.parts:
            yield from _nocase_parts(part)
    else:
        yield str(text)


def is_corporate(person: Person) -> bool:
    """A name written ``{CCP Central Committee}``: one braced last name, no first or middle names."""
    return (
        not person.first_names
        and not person.middle_names
        and not person.prelast_names
        and len(person.last_names) == 1
        and person.last_names[0].startswith("{")
        and person.last_names[0].endswith("}")
    )


def family_given(person: Person) -> tuple[str, str]:
    """(family, given) as plain text; ``given`` is empty when the .bib gives only a surname."""
    family = plain(" ".join(person.prelast_names + person.last_names))
    given = plain(" ".join(person.first_names + person.middle_names))
    return family, given


def page_range(pages: str) -> tuple[str, str]:
    """``81--94`` → (``81``, ``94``); a single page → (page, ``""``)."""
    first, _, last = pages.replace("\u2013", "--").partition("--")
    return first.strip(), last.strip()


def date_parts(entry: Entry) -> list[int]:
    """``[year]``, ``[year, month]`` or ``[year, month, day]`` from ``year``/``month``/``day``."""
    parts = [int(entry.fields["year"])]
    month = entry.fields.get("month", "").strip().lower()
    if month:
        number = MONTHS.get(month) or (int(month) if month.isdigit() else 0)
        if not number:
            raise UnknownFieldError(f"month {entry.fields['month']!r} is not a month name or number")
        parts.append(number)
        day = entry.fields.get("day", "").strip()
        if day:
            parts.append(int(day))
    return parts


def identification(entry: Entry) -> str:
    """``Identification: <status>. <edition_note>``: the status travels with the record."""
    note = plain(entry.fields.get("edition_note", "")).strip()
    text = f"Identification: {entry.fields['edition_status']}."
    return f"{text} {note}" if note else text


def search_record(entry: Entry) -> str:
    """``Search record: <edition_search>``, or ``""`` when the entry has no search record."""
    search = plain(entry.fields.get("edition_search", "")).strip()
    return f"Search record: {search}" if search else ""


def _types(entry: Entry) -> tuple[str, str]:
    subtype = entry.fields.get("entrysubtype", "").lower()
    if subtype in SUBTYPES:
        return SUBTYPES[subtype]
    if entry.type not in CSL_TYPES:
        raise UnknownFieldError(f"entry type @{entry.type} has no CSL/RIS type")
    return CSL_TYPES[entry.type], RIS_TYPES[entry.type]


# --- CSL-JSON --------------------------------------------------------------------------------------


def csl_names(persons: list[Person]) -> list[dict[str, str]]:
    """CSL name objects: ``{"family", "given"}``, or ``{"literal"}`` for a corporate author."""
    names: list[dict[str, str]] = []
    for person in persons:
        if is_corporate(person):
            names.append({"literal": plain(person.last_names[0])})
            continue
        family, given = family_given(person)
        names.append({"family": family, "given": given} if given else {"family": family})
    return names


def csl_item(key: str, entry: Entry) -> dict[str, Any]:
    """One CSL-JSON item carrying every field of ``entry``."""
    check_fields(key, entry)
    item: dict[str, Any] = {"id": key, "type": _types(entry)[0]}
    for role in ("author", "editor"):
        if role in entry.persons:
            item[role] = csl_names(list(entry.persons[role]))
    item["issued"] = {"date-parts": [date_parts(entry)]}
    for name, variable in CSL_TEXT_FIELDS.items():
        if name in entry.fields:
            value = entry.fields[name]
            item[variable] = nocase_markup(value) if name in ("title", "booktitle") else plain(value)
    if "pages" in entry.fields:
        first, last = page_range(entry.fields["pages"])
        item["page"] = f"{first}-{last}" if last else first
    if "doi" in entry.fields:
        item["DOI"] = entry.fields["doi"]
    if "url" in entry.fields:
        item["URL"] = entry.fields["url"]
    item["note"] = "\n".join(filter(None, (identification(entry), search_record(entry))))
    return item


def csl_items(entries: list[tuple[str, Entry]]) -> list[dict[str, Any]]:
    """CSL-JSON items for ``entries``, in order."""
    return [csl_item(key, entry) for key, entry in entries]


def csl_json_text(bib: Bibliography) -> str:
    """``downloads/references.json``: CSL-JSON (UTF-8, one array), the form citeproc and Zotero import."""
    return json.dumps(csl_items(load_entries(bib)), ensure_ascii=False, indent=1) + "\n"


# --- RIS -------------------------------------------------------------------------------------------


def ris_name(person: Person) -> str:
    """``Family, Given`` (RIS convention), or the corporate name as written."""
    if is_corporate(person):
        return plain(person.last_names[0])
    family, given = family_given(person)
    return f"{family}, {given}" if given else family


def ris_record(key: str, entry: Entry) -> list[str]:
    """The tagged lines of one RIS record, ``TY`` first and ``ER`` last."""
    check_fields(key, entry)
    ris_type = _types(entry)[1]
    lines = [f"TY  - {ris_type}", f"ID  - {key}"]
    lines += [f"AU  - {ris_name(p)}" for p in entry.persons.get("author", [])]
    lines += [f"ED  - {ris_name(p)}" for p in entry.persons.get("editor", [])]
    parts = date_parts(entry)
    lines.append(f"PY  - {parts[0]}")
    if len(parts) > 1:
        month = f"{parts[1]:02d}"
        day = f"{parts[2]:02d}" if len(parts) > 2 else ""
        lines.append(f"DA  - {parts[0]}/{month}/{day}/")
    fields = entry.fields
    if "title" in fields:
        lines.append(f"TI  - {plain(fields['title'])}")
    container = fields.get("journal") or fields.get("booktitle") or fields.get("howpublished")
    if container:
        lines.append(f"T2  - {plain(container)}")
    for name, tag in (("volume", "VL"), ("number", "IS"), ("edition", "ET")):
        if name in fields:
            lines.append(f"{tag}  - {plain(fields[name])}")
    if "pages" in fields:
        first, last = page_range(fields["pages"])
        lines.append(f"SP  - {first}")
        if last:
            lines.append(f"EP  - {last}")
    for name, tag in (("publisher", "PB"), ("address", "CY")):
        if name in fields:
            lines.append(f"{tag}  - {plain(fields[name])}")
    for name, tag in (("doi", "DO"), ("url", "UR")):
        if name in fields:
            lines.append(f"{tag}  - {fields[name]}")
    lines.append(f"N1  - {identification(entry)}")
    if search_record(entry):
        lines.append(f"N1  - {search_record(entry)}")
    lines.append("ER  - ")
    return lines


def ris_text(bib: Bibliography) -> str:
    """``downloads/references.ris``: RIS records (UTF-8), the form EndNote, Mendeley and Zotero import."""
    records = ["\n".join(ris_record(key, entry)) for key, entry in load_entries(bib)]
    return "\n\n".join(records) + "\n"


# --- the edition itself ----------------------------------------------------------------------------
#
# ``downloads/edition-citation.{bib,json,ris}``: the edition as its own work, in the form
# CITATION.cff prefers and the edition's pages give Zotero: an edited book whose author is the
# article's author and whose editor is the corporate editor, with the version, the date and the
# URL. The article's DOI is not the edition's: it is named in the note (CSL ``note``, RIS ``N1``,
# BibTeX ``note``) as the work the edition edits.

EDITION_KEY = "edney2015edition"
"""Citation key of the edition (BibTeX key, CSL ``id``, RIS ``ID``), the same in every form."""

LATEX_SPECIALS = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_"}
LATEX_SPECIALS |= {"{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def latex_escape(text: str) -> str:
    """Text as a BibTeX field value: LaTeX's special characters escaped (UTF-8 kept as it is)."""
    return "".join(LATEX_SPECIALS.get(ch, ch) for ch in text)


def _nouns_pattern(nouns: Iterable[str]) -> re.Pattern[str] | None:
    words = sorted(nouns, key=len, reverse=True)
    return re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")\b") if words else None


def bibtex_title(title: str, nouns: Iterable[str]) -> str:
    """A title for BibTeX: escaped, each proper noun brace-protected (``{China}``)."""
    pattern = _nouns_pattern(nouns)
    escaped = latex_escape(title)
    return pattern.sub(r"{\1}", escaped) if pattern else escaped


def csl_title(title: str, nouns: Iterable[str]) -> str:
    """A title for CSL-JSON: each proper noun in ``<span class="nocase">``."""
    pattern = _nouns_pattern(nouns)
    return pattern.sub(r'<span class="nocase">\1</span>', title) if pattern else title


def edition_csl(meta: Metadata) -> dict[str, Any]:
    """The edition as one CSL-JSON item (type ``book``: author, corporate editor, version, date, URL).

    The version goes in ``edition`` ("Version 1.0.0"), as Zotero's import of the edition's pages has
    it; CSL's ``version`` too would print twice in APA, and not at all in Harvard.
    """
    a, e = meta.article, meta.edition
    year, month, day = (int(part) for part in e.date.split("-"))
    return {
        "id": EDITION_KEY,
        "type": "book",
        "title": csl_title(e.title, meta.proper_nouns),
        "author": [{"family": a.author_family, "given": a.author_given}],
        "editor": [{"literal": e.editors}],
        "edition": f"Version {e.version}",
        "issued": {"date-parts": [[year, month, day]]},
        "URL": e.versioned_url,
        "language": "en",
        "note": meta.edition_description(),
    }


def edition_csl_json_text(meta: Metadata) -> str:
    """``downloads/edition-citation.json``: the edition as CSL-JSON (one array of one item)."""
    return json.dumps([edition_csl(meta)], ensure_ascii=False, indent=1) + "\n"


def edition_bibtex_text(meta: Metadata) -> str:
    """``downloads/edition-citation.bib``: the edition as a BibTeX ``@book`` (biblatex reads ``version``, ``date``)."""
    a, e = meta.article, meta.edition
    year = e.date[:4]
    fields = [
        ("author", f"{latex_escape(a.author_family)}, {latex_escape(a.author_given)}"),
        ("editor", "{" + latex_escape(e.editors) + "}"),
        ("title", bibtex_title(e.title, meta.proper_nouns)),
        ("version", latex_escape(e.version)),
        ("year", year),
        ("date", e.date),
        ("url", e.versioned_url),
        ("language", "english"),
        ("note", latex_escape(meta.edition_description())),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@book{{{EDITION_KEY},\n{body}\n}}\n"


def edition_ris_text(meta: Metadata) -> str:
    """``downloads/edition-citation.ris``: the edition as a RIS ``BOOK`` record (``ED`` editor, ``ET`` version)."""
    a, e = meta.article, meta.edition
    lines = [
        "TY  - BOOK",
        f"ID  - {EDITION_KEY}",
        f"AU  - {a.author_family}, {a.author_given}",
        f"ED  - {e.editors}",
        f"TI  - {e.title}",
        f"ET  - Version {e.version}",
        f"PY  - {e.date[:4]}",
        f"DA  - {e.date.replace('-', '/')}/",
        f"UR  - {e.versioned_url}",
        "LA  - en",
        f"AB  - {meta.edition_description()}",
        f"N1  - {meta.edition_description()}",
        "ER  - ",
    ]
    return "\n".join(lines) + "\n"
