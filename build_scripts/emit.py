"""Emit stage: the pages' Markdown and the open-format downloads become the files of ``docs/``.

The pages were made by :mod:`build_scripts.pages`; this stage adds the data downloads (plain
text, the JSON document model, BibTeX) and returns every file as a mapping from path (relative
to ``docs/``) to text; :func:`write_files` writes the ones that changed.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from .bibliography import bibtex_text
from .citeformats import csl_json_text, edition_bibtex_text, edition_csl_json_text, edition_ris_text, ris_text
from .edition import Edition
from .model import Block

if TYPE_CHECKING:
    from .pages import Page


def edition_text(edition: Edition) -> str:
    """Plain UTF-8 reading text: blocks separated by blank lines; text the edition supplies is in [brackets]."""
    return "\n\n".join(plain_block(b) for b in edition.document.blocks) + "\n"


def plain_block(block: Block) -> str:
    """A block as plain text; an editorial heading is bracketed, as editions mark supplied text."""
    return f"[{block.text}]" if block.editorial else block.text


def edition_json(edition: Edition) -> str:
    """The document model as JSON (schema documented in the README)."""
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
    data = {
        "metadata": metadata,
        "blocks": blocks,
        "interventions": [asdict(i) for i in doc.interventions],
        "citations": citations,
    }
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def emit(edition: Edition, pages: tuple[Page, ...]) -> dict[str, str]:
    """Every generated file under docs/, by relative path: the pages and the data downloads."""
    return {
        **{page.path: page.markdown for page in pages},
        "downloads/edition.txt": edition_text(edition),
        "downloads/edition.json": edition_json(edition),
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
