"""The real MkDocs site: strict build, anchors, manuscript pages, no third-party requests in the HTML."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

from build_scripts.edition import Edition

OWN_HOSTS = {"", "edney-soft-power.github.io"}


def page(site: Path, slug: str) -> str:
    return (site / ("index.html" if slug == "index" else f"{slug}/index.html")).read_text(encoding="utf-8")


def test_every_paragraph_and_page_anchor_is_in_its_chapter(built_site: Path, edition: Edition) -> None:
    for chapter in edition.document.chapters:
        html_text = page(built_site, chapter.slug)
        assert f'id="{chapter.id}"' in html_text
        for block in chapter.blocks:
            if block.number:
                assert f'id="{block.id}"' in html_text
                assert f'href="#{block.id}"' in html_text
            for mark in block.pages:
                assert f'id="ms-{mark.page}"' in html_text


def test_nav_is_in_reading_order(built_site: Path, edition: Edition) -> None:
    html_text = page(built_site, "index")
    positions = [html_text.find(f'href="{c.slug}/"') for c in edition.document.chapters]
    assert all(p > 0 for p in positions) and positions == sorted(positions)


def test_no_third_party_resources(built_site: Path) -> None:
    pattern = re.compile(r'<(?:script|link|img|iframe|source)\b[^>]*(?:src|href)="([^"]+)"')
    for html_file in built_site.rglob("*.html"):
        for url in pattern.findall(html_file.read_text(encoding="utf-8")):
            host = urlparse(url).hostname or ""
            assert host in OWN_HOSTS, f"{html_file.relative_to(built_site)} loads {url}"
    css = "".join(p.read_text(encoding="utf-8") for p in built_site.rglob("*.css"))
    assert "fonts.googleapis" not in css and "fonts.gstatic" not in css


def test_downloads_are_published(built_site: Path) -> None:
    for name in ("edition.txt", "edition.json", "references.bib", "references.json", "references.ris"):
        assert (built_site / "downloads" / name).stat().st_size > 1000


def test_search_index_covers_the_text_but_not_the_apparatus(built_site: Path, edition: Edition) -> None:
    import json

    docs = json.loads((built_site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    pages = {d["location"].split("#")[0] for d in docs}
    assert not any(p.startswith("apparatus/") for p in pages)
    assert {"references/", "glossary/"} | {f"{c.slug}/" for c in edition.document.chapters} <= pages


def test_note_calls_the_note_list_and_the_sidenotes_show_the_same_article_number(
    built_site: Path, edition: Edition
) -> None:
    """A call, its list item and its sidenote all show the note's number in the article (as in print),
    not Python-Markdown's count that restarts on each page; over the article the numbers run 1…N."""
    shown: list[int] = []
    for slug in ["index", *(c.slug for c in edition.document.chapters)]:
        html_text = page(built_site, slug)
        calls = re.findall(r'<a class="footnote-ref" href="#fn:(\d+)">(\d+)</a>', html_text)
        assert all(label == text for label, text in calls), f"{slug}: a call shows another number than its note"
        items = re.findall(r'<li id="fn:(\d+)" value="(\d+)"', html_text)
        assert bool(items) == bool(calls), f"{slug}: calls without a note list, or a list without calls"
        assert all(label == value for label, value in items), f"{slug}: the note list is not numbered by the article"
        sidenotes = re.findall(r'<b class="sidenote-number">(\d+)</b>', html_text)
        labels = sorted({int(label) for label, _ in calls})
        assert labels == sorted(int(label) for label, _ in items) == sorted({int(n) for n in sidenotes}), slug
        shown += labels
    assert sorted(shown) == sorted(set(edition.index.numbers.values())) == list(range(1, len(shown) + 1))
