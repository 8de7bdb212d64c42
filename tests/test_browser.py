"""The real site in a real browser: privacy, accessibility, search, tooltips, anchors, citing, offline.

The site is the run's one real build (``built_site``: mkdocs --strict on freshly emitted docs), served
on a loopback port, and driven in Debian's Chromium. Every check is an interaction a reader makes;
each fails if the feature it proves is missing.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from browsing import requests_made, type_query

from build_scripts.config import Config, load_config
from build_scripts.edition import Edition
from build_scripts.urls import page_path, page_slugs

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SLUGS = page_slugs(load_config())
TARGET_BACKGROUND = "rgb(255, 243, 176)"  # docs/assets/edition.css, p.para:target
CHANGE_TARGET_BACKGROUND = "rgba(82, 108, 254, 0.1)"  # p.change:target: Material's indigo accent, 10 %


def chapter_slug(edition: Edition, block_id: str) -> str:
    """The page slug of a block (the abstract is on the front page)."""
    block = next(b for b in edition.document.blocks if b.id == block_id)
    chapter = next((c for c in edition.document.chapters if c.id == block.section), None)
    return chapter.slug if chapter else "index"


def search(tab: Any, query: str, base: str) -> list[str]:
    """Type a query into Material's search box; return the result links relative to ``base``."""
    type_query(tab, query)
    links = [a.evaluate("a => a.href") for a in tab.locator(".md-search-result__item a").all()]
    return [link.removeprefix(base) for link in links]


def hover_tooltip(tab: Any, selector: str) -> str:
    """Hover an element and return the text of the Material tooltip that opens for it."""
    tab.mouse.move(0, 0)
    tab.wait_for_function("() => !document.querySelector('.md-tooltip2--active')")
    tab.locator(selector).first.scroll_into_view_if_needed()
    tab.locator(selector).first.hover()
    tooltip = tab.locator(".md-tooltip2--active .md-tooltip2__inner, .md-tooltip2--active").first
    tooltip.wait_for(state="visible", timeout=5000)
    return str(tooltip.inner_text())


# --- privacy and accessibility ---------------------------------------------------------------


@pytest.mark.parametrize("slug", SLUGS)
def test_page_requests_only_its_own_origin_and_passes_axe(
    page: Any, site_server: str, slug: str, artifacts: Path
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    with requests_made(page) as requests:
        page.goto(site_server + page_path(slug))
        page.wait_for_load_state("networkidle")
    assert requests, "no request recorded"
    foreign = [u for u in requests if not u.startswith(site_server) and not u.startswith(("data:", "blob:"))]
    assert not foreign, f"{slug}: third-party requests {foreign}"

    results = Axe().run(page).response
    impacts = Counter(v["impact"] for v in results["violations"] for _ in v["nodes"])
    report = artifacts / "axe-report.json"
    data = json.loads(report.read_text(encoding="utf-8")) if report.exists() else {}
    data[slug] = {"violations_by_impact": dict(impacts), "rules": sorted({v["id"] for v in results["violations"]})}
    report.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    bad = [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes'][:3]]}"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"{slug}: {bad}"
    assert footer_downloads(page) == {cls: f"{site_server}downloads/{target}" for cls, target in DOWNLOADS.items()}


#: The footer's download links on every page (class → file under downloads/, "" for the Downloads page).
DOWNLOADS = {
    "edition-pdf": "edney-2015-edition.pdf",
    "edition-offline": "edney-2015-edition-offline.zip",
    "edition-all-downloads": "",
}


def footer_downloads(page: Any) -> dict[str, str]:
    """Each footer download link's class → the absolute address the browser resolved it to."""
    footer = page.locator("footer .edition-downloads")
    return {cls: footer.locator(f"a.{cls}").evaluate("a => a.href") for cls in DOWNLOADS}


def test_the_footer_s_downloads_link_opens_the_downloads_page_and_the_files_are_served(
    page: Any, site_server: str
) -> None:
    """Every page's footer links resolve to the same three addresses (checked on each page above, where
    it is loaded anyway); here a reader follows the Downloads link and both files are served."""
    page.goto(site_server + page_path(SLUGS[-1]), wait_until="domcontentloaded")
    page.locator("footer .edition-downloads a.edition-all-downloads").click()
    page.wait_for_url(site_server + "downloads/", wait_until="domcontentloaded")
    for target in (t for t in DOWNLOADS.values() if t):  # each is served (HEAD: MBs not fetched)
        response = page.request.head(f"{site_server}downloads/{target}")
        assert response.ok and int(response.headers["content-length"]) > 100_000, target


# --- search ----------------------------------------------------------------------------------


def test_search_finds_a_phrase_in_its_page_and_paragraph(page: Any, site_server: str, edition: Edition) -> None:
    page.goto(site_server)
    links = search(page, "intimately related", site_server)
    [block] = [b for b in edition.document.blocks if "intimately related" in b.text]
    slug = chapter_slug(edition, block.id)
    assert any(link.startswith(f"{slug}/") and link.endswith(f"#{block.id}") for link in links), links


@pytest.mark.parametrize(
    ("query", "page_slug"),
    [
        ("Gerschewski", "references/"),  # a cited author: the references page
        ("Gerschewski", "national-security-regime-security-and-soft-power/"),  # … and where he is cited
        ("wenhua anquan", "glossary/"),  # glossary term by pinyin
        ("文化安全", "glossary/"),  # … and by characters (segmented by jieba at build time)
        ("China's", "cultural-security-in-china/"),  # straight apostrophe finds “China’s”
    ],
)
def test_search_finds(page: Any, site_server: str, query: str, page_slug: str) -> None:
    page.goto(site_server)
    links = search(page, query, site_server)
    assert any(link.startswith(page_slug) for link in links), f"{query!r} → {links}"


# --- tooltips, anchors -----------------------------------------------------------------------


def test_footnote_marker_shows_the_full_reference(page: Any, site_server: str, edition: Edition) -> None:
    slug = chapter_slug(edition, "p1")
    page.goto(site_server + f"{slug}/")
    note = " ".join(page.locator("[id='fn:1']").inner_text().replace("↩", "").split())
    text = hover_tooltip(page, "[id='fnref:1'] a")
    first = next(c for c in edition.citations if c.block == "p1")
    reference = edition.bibliography.get(first.key)
    plain = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", reference.markdown).replace("*", "").replace("\\", "")
    assert plain.rstrip(".") in text.replace("\u00a0", " ")  # the first note of a work gives it in full
    assert " ".join(text.replace("↩", "").split()) == note


def test_glossary_link_shows_its_definition(page: Any, site_server: str, edition: Edition) -> None:
    occurrence = next(o for o in edition.occurrences if o.linked)
    entry = next(e for e in edition.glossary if e.id == occurrence.entry)
    page.goto(site_server + page_path(chapter_slug(edition, occurrence.block)))
    link = f"#{occurrence.block} a.gloss[href$='glossary/#{entry.id}']"
    text = hover_tooltip(page, link)
    assert " ".join(text.split()) == " ".join(entry.tooltip.split())


def test_paragraph_anchor_scrolls_to_and_highlights_the_paragraph(
    page: Any, site_server: str, edition: Edition
) -> None:
    slug = chapter_slug(edition, "p17")
    page.goto(site_server + f"{slug}/#p17")
    page.wait_for_load_state("networkidle")
    box = page.locator("#p17").bounding_box()
    assert 0 <= box["y"] < 300, box  # scrolled to the top of the viewport, below the header
    style = page.evaluate("getComputedStyle(document.getElementById('p17')).backgroundColor")
    other = page.evaluate("getComputedStyle(document.getElementById('p18')).backgroundColor")
    assert style == TARGET_BACKGROUND
    assert other != TARGET_BACKGROUND


# --- the apparatus on a phone: cited record links land on the record ----------------------------


def shown_records(edition: Edition) -> list[str]:
    """Ids of the records the Apparatus shows as rows (joins with a space are listed, not tabled)."""
    return [
        i.id
        for i in edition.document.interventions
        if i.kind not in ("join-line", "join-page") or i.rule.startswith("decision:")
    ]


def apparatus_records(edition: Edition) -> dict[str, str]:
    """Records in every position that matters: the first section (laid out at load), the [sic] of a
    chapter's text, and records deep in the page, whose cards are skipped (content-visibility)
    until the reader reaches them."""
    ids = shown_records(edition)
    sic = next(i.id for i in edition.document.interventions if i.kind == "sic")
    return {"first": ids[0], "sic in a chapter": sic, "middle": ids[len(ids) // 2], "last": ids[-1]}


def assert_record_in_view(tab: Any, record: str) -> None:
    """The record's row is on screen below Material's sticky header, marked as the target, and stays put."""
    tab.wait_for_load_state("networkidle")
    row = tab.locator(f"tr#{record}")
    assert row.locator("td").first.inner_text() == record
    assert_target_in_view(tab, row, TARGET_BACKGROUND)


def assert_target_in_view(tab: Any, target: Any, background: str) -> None:
    """``target`` is on screen below Material's sticky header, in its :target background, and stays put."""
    header = tab.locator(".md-header").bounding_box()
    height = tab.viewport_size["height"]
    box = target.bounding_box()
    assert header["y"] + header["height"] <= box["y"] < height, (box, header)
    assert target.evaluate("e => getComputedStyle(e).backgroundColor") == background
    tab.wait_for_timeout(1000)  # entries above it that get drawn late must not push it away
    assert target.bounding_box()["y"] == box["y"]


@pytest.mark.parametrize("position", ["first", "sic in a chapter", "middle", "last"])
def test_apparatus_record_link_lands_on_the_record_on_a_phone(
    phone: Any, site_server: str, edition: Edition, position: str
) -> None:
    record = apparatus_records(edition)[position]
    phone.goto(f"{site_server}apparatus/#{record}")
    if position != "first":  # the case this guards: the card was skipped until the jump
        assert phone.locator(f"tr#{record}").evaluate("tr => getComputedStyle(tr).contentVisibility") == "auto"
    assert_record_in_view(phone, record)


def test_apparatus_link_from_another_page_lands_on_the_record_on_a_phone(
    phone: Any, site_server: str, edition: Edition
) -> None:
    """The Changes page links a changed record (apparatus/#<id>): following it on a phone lands on it."""
    phone.goto(site_server + "changes/")
    link = phone.locator("article a[href*='apparatus/#']").first
    record = str(link.get_attribute("href")).split("#", 1)[1]
    assert record in shown_records(edition)
    link.scroll_into_view_if_needed()
    link.click()
    phone.wait_for_url(f"**/apparatus/#{record}")
    assert_record_in_view(phone, record)


def test_a_link_to_an_older_change_lands_on_it_on_a_phone(phone: Any, site_server: str) -> None:
    """The Changes page lays out older versions' changes only near the screen (content-visibility);
    a link to the last of them (the farthest from the top) still lands on it and it stays put."""
    phone.goto(site_server + "changes/")
    last = phone.locator("article p.change").last
    change = str(last.get_attribute("id"))
    assert last.evaluate("p => getComputedStyle(p).contentVisibility") == "auto"
    phone.goto(f"{site_server}changes/#{change}")
    phone.wait_for_load_state("networkidle")
    assert_target_in_view(phone, phone.locator(f"p.change[id='{change}']"), CHANGE_TARGET_BACKGROUND)


def test_a_link_to_a_reference_laid_out_late_lands_on_it_on_a_phone(phone: Any, site_server: str) -> None:
    """References lays out most entries only near the screen (content-visibility); a link to the last
    of those (the farthest from the top) still lands on it, marked, and it stays put."""
    phone.goto(site_server + "references/")
    key = str(
        phone.evaluate(
            """() => [...document.querySelectorAll('article p.reference')]
                 .filter(p => getComputedStyle(p).contentVisibility === 'auto').pop().id"""
        )
    )
    phone.goto(f"{site_server}references/#{key}")
    phone.wait_for_load_state("networkidle")
    assert_target_in_view(phone, phone.locator(f"p.reference[id='{key}']"), TARGET_BACKGROUND)


# --- citing ----------------------------------------------------------------------------------


def expected_citation(config: Config, where: str, url: str) -> str:
    a, ed = asdict(config.metadata.article), asdict(config.metadata.edition)
    return (
        f"{a['author']}, “{a['title']}”, {a['journal']} {a['volume']}({a['issue']}), {a['year']}, "
        f"pp. {a['first_page']}–{a['last_page']}, doi:{a['doi']}, {where}; in {ed['title']}, ed. {ed['editors']}, "
        f"version {ed['version']} ({ed['date']}), {url}."
    )


def manuscript_pages(edition: Edition, block_id: str) -> str:
    """Independent of the page's JavaScript: the manuscript page(s) a paragraph spans, from the model."""
    page = 1
    for block in edition.document.blocks:
        starts = [p.page for p in block.pages if p.offset == 0]
        if starts:
            page = starts[0]
        if block.id == block_id:
            inside = [p.page for p in block.pages if p.offset > 0]
            return f"{page}–{inside[-1]}" if inside else str(page)
        if block.pages:
            page = block.pages[-1].page
    raise AssertionError(block_id)


@pytest.mark.parametrize("block_id", ["p17", "p20"])
def test_cite_paragraph_copies_the_citation(
    page: Any, site_server: str, edition: Edition, config: Config, block_id: str
) -> None:
    slug = chapter_slug(edition, block_id)
    page.goto(site_server + f"{slug}/")
    number = block_id[1:]
    page.locator(f"#{block_id} a.pnum").click()
    button = page.get_by_role("button", name=f"Cite paragraph {number}", exact=True)
    assert button.evaluate("b => b.closest('p.para').id") == block_id
    button.click()
    page.wait_for_function("() => document.querySelector('[data-copied]') !== null")
    copied = page.evaluate("navigator.clipboard.readText()")
    url = f"{config.metadata.edition.versioned_url}{slug}/#{block_id}"
    where = f"¶{number} [ms. {manuscript_pages(edition, block_id)}]"
    assert copied == expected_citation(config, where, url)


def test_cite_controls_work_from_the_keyboard_and_offer_bibtex(
    page: Any, site_server: str, edition: Edition, config: Config
) -> None:
    slug = chapter_slug(edition, "p17")
    page.goto(site_server + f"{slug}/")
    pnum = page.locator("#p17 a.pnum")
    pnum.focus()
    page.keyboard.press("Enter")
    assert pnum.get_attribute("aria-expanded") == "true"
    button = page.get_by_role("button", name="BibTeX for paragraph 17", exact=True)
    button.focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('.cite-bibtex[data-copied]') !== null")
    copied = page.evaluate("navigator.clipboard.readText()")
    a = asdict(config.metadata.article)
    assert copied.startswith("@article{")
    assert f"doi = {{{a['doi']}}}" in copied
    assert f"url = {{{config.metadata.edition.versioned_url}{slug}/#p17}}" in copied
    assert "¶17 [ms. 11]" in copied
    assert "{China}" in copied and "{{China}}" not in copied  # brace-protected once, as in references.bib
    assert f"Read in: {config.metadata.edition.title}, ed. {config.metadata.edition.editors}," in copied


def test_cite_chapter_copies_the_chapter_citation(
    page: Any, site_server: str, edition: Edition, config: Config
) -> None:
    chapter = edition.document.chapters[1]
    page.goto(site_server + f"{chapter.slug}/")
    page.get_by_role("button", name="Cite this page", exact=True).click()
    page.wait_for_function("() => document.querySelector('[data-copied]') !== null")
    copied = page.evaluate("navigator.clipboard.readText()")
    url = f"{config.metadata.edition.versioned_url}{chapter.slug}/"
    numbers = [b.number for b in chapter.blocks if b.number]
    where = f"“{chapter.title}”, ¶{numbers[0]}–{numbers[-1]}"
    assert copied == expected_citation(config, where, url)


@pytest.mark.parametrize("slug", ["references", "glossary", "about", "apparatus", "downloads"])
def test_cite_on_the_editions_own_pages_cites_the_edition(
    page: Any, site_server: str, config: Config, slug: str
) -> None:
    a, ed = config.metadata.article, config.metadata.edition
    spec = next(p for p in config.back if p.slug == slug)
    page.goto(site_server + f"{slug}/")
    page.get_by_role("button", name="Cite this page", exact=True).click()
    page.wait_for_function("() => document.querySelector('.cite-text[data-copied]') !== null")
    copied = page.evaluate("navigator.clipboard.readText()")
    url = f"{ed.versioned_url}{slug}/"
    assert copied == (
        f"{a.author}, {ed.title}, ed. {ed.editors}, version {ed.version} ({ed.date}), “{spec.title}”, {url}."
    )
    assert a.journal not in copied and a.doi not in copied
    page.get_by_role("button", name="BibTeX for this page", exact=True).click()
    page.wait_for_function("() => document.querySelector('.cite-bibtex[data-copied]') !== null")
    bib = page.evaluate("navigator.clipboard.readText()")
    assert bib.startswith("@book{edney2015edition,") and f"editor = {{{{{ed.editors}}}}}" in bib
    assert f"version = {{{ed.version}}}" in bib and f"url = {{{url}}}" in bib and "{China}" in bib


def test_every_cite_buttons_accessible_name_begins_with_its_visible_label(
    page: Any, site_server: str, edition: Edition
) -> None:
    """WCAG 2.5.3 (label in name): speech users say what they see, "Cite", "BibTeX"."""
    for slug in (chapter_slug(edition, "p17"), "glossary"):
        page.goto(site_server + f"{slug}/")
        pairs = page.evaluate(
            """() => Array.from(document.querySelectorAll('button.cite-button')).map(b => {
                 const visible = Array.from(b.childNodes).filter(n => n.nodeType === 3)
                   .map(n => n.textContent).join('').trim();
                 return [visible, b.getAttribute('aria-label') || b.textContent.trim()];
               })"""
        )
        assert pairs, slug
        for visible, name in pairs:
            assert visible in ("Cite", "BibTeX") and name.startswith(visible + " "), (slug, visible, name)


def test_cite_falls_back_without_the_clipboard_api(own_page: Any, site_server: str, edition: Edition) -> None:
    page = own_page
    page.add_init_script("Object.defineProperty(navigator, 'clipboard', {value: undefined})")
    page.add_init_script(
        "document.addEventListener('copy', () => { window.__copied = document.activeElement.value; }, true)"
    )
    slug = chapter_slug(edition, "p17")
    page.goto(site_server + f"{slug}/")
    page.locator("#p17 a.pnum").click()
    page.get_by_role("button", name="Cite paragraph 17", exact=True).click()
    copied = page.evaluate("window.__copied")
    assert copied and copied.endswith(f"{slug}/#p17.") and "¶17 [ms. 11]" in copied


# --- offline copy ----------------------------------------------------------------------------


def test_offline_copy_works_from_file_urls(page: Any, offline_copy: Path, edition: Edition) -> None:
    with requests_made(page) as requests:
        index = offline_copy / "index.html"
        page.goto(index.as_uri())
        page.wait_for_load_state("networkidle")
        assert page.locator("h1#title").is_visible()

        chapter = edition.document.chapters[0]
        page.locator(f".md-nav--primary a[href$='{chapter.slug}.html']").first.click()
        page.wait_for_url(re.compile(rf"/{chapter.slug}\.html$"))
        assert page.locator(f"h1#{chapter.id}").is_visible()
        assert page.locator("p.para .ptools .cite-button").count() > 0
        stable = f"{load_config().metadata.edition.site_url}{chapter.slug}/"
        assert page.locator("link[rel=canonical]").get_attribute("href") == stable
        versioned = f"{load_config().metadata.edition.versioned_url}{chapter.slug}/"
        assert page.evaluate("JSON.parse(document.getElementById('edition-cite').textContent).url") == versioned

        footnote = hover_tooltip(page, "[id='fnref:1'] a")
        first = edition.citations[0]
        assert edition.bibliography.get(first.key).year in footnote, footnote
        occurrence = next(o for o in edition.occurrences if o.linked and o.block == chapter.blocks[1].id)
        entry = next(e for e in edition.glossary if e.id == occurrence.entry)
        gloss = hover_tooltip(page, f"#{occurrence.block} a.gloss[href$='glossary.html#{entry.id}']")
        assert " ".join(gloss.split()) == " ".join(entry.tooltip.split())

        links = search(page, "Gerschewski", offline_copy.as_uri() + "/")
        assert any("references.html" in link for link in links), links
        page.locator(".md-search-result__item a[href*='references.html']").first.click()
        page.wait_for_url(re.compile(r"/references\.html"))

    foreign = [u for u in requests if not u.startswith(("file:", "data:", "blob:", "about:"))]
    assert not foreign, f"offline copy requests {foreign}"
