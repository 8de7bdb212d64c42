"""Emit stage: the pages' Markdown and the open-format downloads become the files of ``docs/``.

The pages were made by :mod:`build_scripts.pages`; this stage adds the data downloads (plain
text, the JSON document model, BibTeX, the changelog) and returns every file as a mapping from
path (relative to ``docs/``) to text; :func:`write_files` writes the ones that changed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from markdown_it import MarkdownIt

from .bibliography import bibtex_text
from .changelog import EDITION_JSON, REFERENCES_BIB, Changelog, changes_json, compare_versions, load_snapshot
from .citeformats import csl_json_text, edition_bibtex_text, edition_csl_json_text, edition_ris_text, ris_text
from .edition import Edition
from .glossary import GlossaryEntry
from .model import Block
from .typography import smarten

if TYPE_CHECKING:
    from .pages import NoteText, Page

#: The version of ``edition.json``'s layout: 2 added ``schema``, ``notes``, ``references`` and ``glossary``.
EDITION_SCHEMA = 2
_INLINE = MarkdownIt("commonmark")


def edition_text(edition: Edition) -> str:
    """Plain UTF-8 reading text: blocks separated by blank lines; text the edition supplies is in [brackets]."""
    return "\n\n".join(plain_block(b) for b in edition.document.blocks) + "\n"


def plain_block(block: Block) -> str:
    """A block as plain text; an editorial heading is bracketed, as editions mark supplied text."""
    return f"[{block.text}]" if block.editorial else block.text


def plain_text(markdown: str) -> str:
    """Inline Markdown the build made (a reference, a note) as the plain text a reader sees.

    The text of every text and code run, escapes and character references decoded; markup,
    link targets and raw HTML tags are left out (a tag's contents are text and stay).
    """
    out = []
    for token in _INLINE.parseInline(markdown):
        for child in token.children or ():
            if child.type in ("text", "code_inline"):
                out.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                out.append(" ")
    return "".join(out)


def edition_json(edition: Edition, notes: Sequence[NoteText]) -> str:
    """The document model as JSON (schema documented in the README).

    ``notes`` are the notes as the pages stage rendered them (:func:`build_scripts.pages.note_texts`).
    Schema 1's sections (metadata, blocks, interventions, citations) are kept as they were; schema 2
    adds what the changelog compares: the notes, the references as printed, and the glossary.
    """
    doc = edition.document
    blocks = [
        {
            "id": b.id,
            "kind": b.kind,
            "section": b.section,
            "number": b.number or None,
            "text": b.text,
            "source_lines": [b.first_line, b.last_line],
            "pages": [{"page": p.page, "offset": p.offset} for p in b.pages],
            "editorial": b.editorial,
        }
        for b in doc.blocks
    ]
    citations = [
        {
            "block": c.block,
            "start": c.start,
            "end": c.end,
            "cited": c.cited,
            "key": c.key,
            "locator": c.locator,
            "form": c.form,
            "line": c.line,
        }
        for c in edition.citations
    ]
    metadata = asdict(edition.meta) | {
        "edition": asdict(edition.config.metadata.edition),
        "source": edition.config.source_name,
        "page_count": doc.page_count,
    }
    references = {
        r.key: {"text": plain_text(r.markdown), "status": r.status, "note": smarten(r.note)}
        for r in edition.bibliography.references
    }
    glossary = {e.id: {"kind": e.kind, "term": e.term, "text": glossary_text(e)} for e in edition.glossary}
    data = {
        "schema": EDITION_SCHEMA,
        "metadata": metadata,
        "blocks": blocks,
        "interventions": [asdict(i) for i in doc.interventions],
        "citations": citations,
        "notes": [{"number": n.number, "blocks": list(n.blocks), "text": n.text} for n in notes],
        "references": [{"key": key, **ref} for key, ref in references.items()],
        "glossary": [{"id": key, **entry} for key, entry in glossary.items()],
    }
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def glossary_text(entry: GlossaryEntry) -> str:
    """A glossary entry as the Glossary page prints it: its heading line, then its definition."""
    if entry.kind == "chinese":
        head = f"{entry.term} {entry.hanzi} {entry.pinyin} ‘{entry.gloss}’"
    else:
        head = entry.term + (f" ({entry.attribution})" if entry.attribution else "")
    return f"{head}\n{entry.definition}"


#: The last changelog made, with the edition and notes it was made from: a build makes it for the pages
#: (the Changes page, each changed ¶'s link) and again for ``downloads/changelog.json``.
_LAST_HISTORY: list[tuple[Edition, tuple[NoteText, ...], Changelog]] = []


def edition_history(edition: Edition, notes: Sequence[NoteText]) -> Changelog:
    """The changelog from the earlier releases (``edition.earlier``) to this edition.

    This edition is read exactly as an earlier release is: from the ``edition.json`` and
    ``references.bib`` it publishes, so every version is compared through the same reader. The
    result for the same edition (the same object: records are immutable) and notes is reused.
    """
    notes = tuple(notes)
    if _LAST_HISTORY and _LAST_HISTORY[0][0] is edition and _LAST_HISTORY[0][1] == notes:
        return _LAST_HISTORY[0][2]
    files = {EDITION_JSON: edition_json(edition, notes), REFERENCES_BIB: bibtex_text(edition.bibliography)}
    latest = load_snapshot(edition.config.metadata.edition.version, files.get)
    paths = {p.id: "" if p.slug == "index" else f"{p.slug}/" for p in edition.config.pages}
    history = compare_versions((*edition.earlier, latest), paths)
    _LAST_HISTORY[:] = [(edition, notes, history)]
    return history


def forget_history() -> None:
    """Drop the reused changelog (:func:`edition_history`)."""
    _LAST_HISTORY.clear()


def emit(edition: Edition, pages: tuple[Page, ...]) -> dict[str, str]:
    """Every generated file under docs/, by relative path: the pages and the data downloads."""
    notes = sorted((n for page in pages for n in page.notes), key=lambda n: n.number)
    return {
        **{page.path: page.markdown for page in pages},
        "downloads/edition.txt": edition_text(edition),
        EDITION_JSON: edition_json(edition, notes),
        "downloads/changelog.json": changes_json(edition_history(edition, notes)),
        "downloads/references.bib": bibtex_text(edition.bibliography),
        "downloads/references.json": csl_json_text(edition.bibliography),
        "downloads/references.ris": ris_text(edition.bibliography),
        "downloads/edition-citation.bib": edition_bibtex_text(edition.config.metadata),
        "downloads/edition-citation.json": edition_csl_json_text(edition.config.metadata),
        "downloads/edition-citation.ris": edition_ris_text(edition.config.metadata),
    }


def write_files(files: dict[str, str], docs_dir: Path) -> list[str]:
    """Write files that changed (keeps mtimes stable for mkdocs serve); return what was written."""
    written = []
    for rel, text in sorted(files.items()):
        path = docs_dir / rel
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        written.append(rel)
    return written
