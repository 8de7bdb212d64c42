"""Cite selection (issue 15): words selected in a real paragraph of the built site, in Chromium.

A reader selects a sentence; "Cite selection" gives a link under the versioned path with a text
directive (``#pN:~:text=…``), a citation line, BibTeX and CSL-JSON carrying a W3C Web Annotation
TextQuoteSelector. The link is then opened in Chromium, which must scroll to the sentence and mark
it with the site's ``::target-text`` colour; the same page with a directive that does not match,
or with none, must show no such colour. The link is opened at its versioned path in the served
site (which unpacks the releases as ``make build`` does) when this version is released; a version
still being prepared has no frozen copy yet, and its link is opened at the unversioned page.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import yaml
from pybtex.database import parse_string

from build_scripts.config import Config
from build_scripts.edition import Edition

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CASES = yaml.safe_load((Path(__file__).parent / "fixtures" / "cite-selection.yaml").read_text(encoding="utf-8"))
TARGET_TEXT = (0xFF, 0xB7, 0x4D)  # docs/assets/edition.css, ::target-text
PARAGRAPH = "p3"
SLUG = "introduction"

# Selects `text` inside the element `id` with a DOM Range over its text nodes (across inline
# elements); returns what the browser's selection then holds.
SELECT = """([id, text]) => {
  const nodes = [], root = document.getElementById(id);
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) nodes.push(n);
  const whole = nodes.map(n => n.data).join('');
  const at = whole.indexOf(text);
  if (at < 0) return null;
  const point = (i) => {
    for (const n of nodes) { if (i <= n.data.length) return [n, i]; i -= n.data.length; }
  };
  const range = document.createRange();
  range.setStart(...point(at));
  range.setEnd(...point(at + text.length));
  getSelection().removeAllRanges();
  getSelection().addRange(range);
  return getSelection().toString();
}"""

# The viewport rectangle of `text` inside element `id` (its first line), or null.
RECT = """([id, text]) => {
  const nodes = [], walker = document.createTreeWalker(document.getElementById(id), NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) nodes.push(n);
  const whole = nodes.map(n => n.data).join(''), at = whole.indexOf(text);
  if (at < 0) return null;
  let i = at;
  for (const n of nodes) {
    if (i < n.data.length) {
      const r = document.createRange(); r.setStart(n, i); r.setEnd(n, Math.min(n.data.length, i + 12));
      const box = r.getBoundingClientRect();
      return {x: box.x, y: box.y, width: box.width, height: box.height, scrollY: window.scrollY};
    }
    i -= n.data.length;
  }
  return null;
}"""


def sentence(edition: Edition) -> str:
    """The paragraph's second sentence, from the edition model (not from the page under test)."""
    block = next(b for b in edition.document.blocks if b.id == PARAGRAPH)
    return block.text.split(". ")[1] + "."


def versioned_base(config: Config) -> str:
    return config.metadata.edition.versioned_url


@pytest.fixture
def tab(page: Any) -> Iterator[Any]:
    """The shared desktop tab (clipboard allowed); the test fails on any console error or uncaught exception."""
    errors: list[str] = []

    def console(message: Any) -> None:
        if message.type == "error":
            errors.append(message.text)

    def uncaught(error: Any) -> None:
        errors.append(str(error))

    page.on("console", console)
    page.on("pageerror", uncaught)
    yield page
    page.remove_listener("console", console)
    page.remove_listener("pageerror", uncaught)
    assert not errors, errors


def copied(tab: Any, name: str) -> str:
    """Click one of the selection's forms and return what it put on the clipboard."""
    tab.evaluate("navigator.clipboard.writeText('')")
    tab.get_by_role("button", name=name, exact=True).click()
    tab.wait_for_function("async () => (await navigator.clipboard.readText()) !== ''")
    return str(tab.evaluate("navigator.clipboard.readText()"))


def cite(tab: Any, text: str) -> dict[str, str]:
    """Select `text` in the paragraph, open Cite selection with the mouse, copy each form."""
    selected = tab.evaluate(SELECT, [PARAGRAPH, text])
    assert selected is not None, text
    tab.get_by_role("button", name="Cite selection (Alt+Shift+C)").click()
    forms = ("Link to the selection", "Cite the selection", "BibTeX for the selection", "CSL-JSON for the selection")
    link, line, bib, csl = (copied(tab, name) for name in forms)
    return {"selected": selected, "link": link, "cite": line, "bibtex": bib, "csl": csl}


def directive_parts(link: str) -> dict[str, str]:
    """The text directive's parts, percent-decoded, after checking the raw form is well formed."""
    raw = link.split(":~:text=", 1)[1]
    part = r"(?:[A-Za-z0-9._~!*'()]|%[0-9A-F]{2})+"  # no raw "-", ",", "&", space or "#"
    form = rf"(?:(?P<prefix>{part})-,)?(?P<start>{part})(?:,(?P<end>{part}))?(?:,-(?P<suffix>{part}))?"
    match = re.fullmatch(form, raw)
    assert match, raw
    return {k: unquote(v) for k, v in match.groupdict().items() if v is not None}


def target_text_pixels(tab: Any, text: str) -> int:
    """Pixels of the ::target-text colour in the first line of `text` as it is on screen."""
    from io import BytesIO

    from PIL import Image

    rect = tab.evaluate(RECT, [PARAGRAPH, text])
    clip = {"x": rect["x"], "y": rect["y"], "width": max(rect["width"], 1), "height": max(rect["height"], 1)}
    data = Image.open(BytesIO(tab.screenshot(clip=clip))).convert("RGB").tobytes()
    pixels = (data[i : i + 3] for i in range(0, len(data), 3))
    return sum(1 for px in pixels if all(abs(a - b) <= 4 for a, b in zip(px, TARGET_TEXT, strict=True)))


# --- the forms -------------------------------------------------------------------------------


def test_page_names_its_version_and_its_versioned_address(tab: Any, site_server: str, config: Config) -> None:
    tab.goto(f"{site_server}{SLUG}/")
    meta = "name => document.querySelector(`meta[name='${name}']`).content"
    assert tab.evaluate(meta, "edition:version") == config.metadata.edition.version
    assert tab.evaluate(meta, "edition:versioned-url") == f"{versioned_base(config)}{SLUG}/"
    tab.goto(site_server)
    assert tab.evaluate(meta, "edition:versioned-url") == versioned_base(config)


def test_cite_selection_gives_a_versioned_text_fragment_and_a_quote_selector(
    tab: Any, site_server: str, edition: Edition, config: Config
) -> None:
    words = sentence(edition)
    tab.goto(f"{site_server}{SLUG}/")
    forms = cite(tab, words)
    assert " ".join(forms["selected"].split()) == words

    link = forms["link"]
    assert link.startswith(f"{versioned_base(config)}{SLUG}/#{PARAGRAPH}:~:text="), link
    parts = directive_parts(link)
    assert parts["start"] == words and "end" not in parts  # one sentence: the exact form
    block = next(b for b in edition.document.blocks if b.id == PARAGRAPH).text
    context = parts.get("prefix", "") + " " + words + " " + parts.get("suffix", "")
    assert " ".join(context.split()) in block

    item = json.loads(forms["csl"])[0]
    selector = item["custom"]["selector"]
    assert selector["type"] == "TextQuoteSelector" and selector["exact"] == words
    assert selector["prefix"] + selector["exact"] + selector["suffix"] in block
    assert selector["prefix"] and selector["suffix"]
    assert item["URL"] == link and item["note"].startswith("¶3 [ms. 3]")

    entry = parse_string(forms["bibtex"], "bibtex").entries["edney2015"]
    assert entry.fields["url"] == link
    assert json.loads(entry.fields["annotation"]) == selector
    assert entry.fields["note"].startswith("¶3 [ms. 3]")

    version = config.metadata.edition.version
    assert f"version {version}" in forms["cite"] and forms["cite"].endswith(f", {link}.")


@pytest.mark.parametrize("case", CASES, ids=[c["reason"][:40] for c in CASES])
def test_any_text_survives_every_form(tab: Any, site_server: str, case: dict[str, str]) -> None:
    text = case["text"]
    tab.goto(f"{site_server}{SLUG}/")
    tab.evaluate(
        """([id, text]) => {
             const walker = document.createTreeWalker(document.getElementById(id), NodeFilter.SHOW_TEXT);
             for (let n = walker.nextNode(); n; n = walker.nextNode())
               if (n.data.includes('Amid this')) {
                 n.data = n.data.replace('Amid this', 'Amid ' + text + ' this');
                 return;
               }
           }""",
        [PARAGRAPH, text],
    )
    forms = cite(tab, text)
    assert directive_parts(forms["link"])["start"] == text
    selector = json.loads(forms["csl"])[0]["custom"]["selector"]
    assert selector["exact"] == text and selector["prefix"].endswith("Amid ")
    entry = parse_string(forms["bibtex"], "bibtex").entries["edney2015"]
    assert json.loads(entry.fields["annotation"]) == selector


# --- the link in Chromium --------------------------------------------------------------------


def test_text_fragment_link_scrolls_to_and_marks_the_sentence(
    tab: Any, site_server: str, built_site: Path, edition: Edition, config: Config
) -> None:
    words = sentence(edition)
    tab.goto(f"{site_server}{SLUG}/")
    link = cite(tab, words)["link"]
    released = (built_site / config.metadata.edition.version / SLUG / "index.html").is_file()
    site_url = config.metadata.edition.site_url
    local = link.replace(site_url, site_server) if released else link.replace(versioned_base(config), site_server)
    assert not released or f"/{config.metadata.edition.version}/{SLUG}/#" in local

    # A browser-initiated navigation to another document: Chromium applies a text directive only
    # to these (not to a same-document fragment change, which this would be from the chapter).
    tab.goto("about:blank")
    tab.goto(local)
    tab.wait_for_load_state("networkidle")
    tab.wait_for_function("() => window.scrollY > 0")
    rect = tab.evaluate(RECT, [PARAGRAPH, words])
    assert rect["scrollY"] > 0 and 0 <= rect["y"] < 900 - rect["height"], rect
    assert target_text_pixels(tab, words) > 200

    # The same page, the paragraph anchor kept, the directive's words not on the page: scrolled to
    # ¶3 by the fallback, but nothing is marked.
    missing = local.split(":~:text=")[0] + ":~:text=" + "Soft%20power%20in%20this%20sentence%20is%20absent"
    for url in (missing, local.split(":~:text=")[0]):
        tab.goto("about:blank")
        tab.goto(url)
        tab.wait_for_load_state("networkidle")
        tab.wait_for_function("() => window.scrollY > 0")
        rect = tab.evaluate(RECT, [PARAGRAPH, words])
        if not 0 <= rect["y"] < 800:
            tab.evaluate("dy => window.scrollBy(0, dy)", rect["y"] - 300)
        assert target_text_pixels(tab, words) == 0, url


# --- keyboard, layout, fallback --------------------------------------------------------------


def test_keyboard_reaches_cite_selection_nothing_moves_and_escape_closes_it(
    tab: Any, site_server: str, edition: Edition, config: Config
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    words = sentence(edition)
    tab.goto(f"{site_server}{SLUG}/")
    tab.evaluate(
        """() => { window.__shift = 0; new PerformanceObserver(list => {
             for (const e of list.getEntries()) window.__shift += e.value;
           }).observe({type: 'layout-shift', buffered: true}); }"""
    )
    boxes = """() => Array.from(document.querySelectorAll('p.para')).map(p => {
                 const r = p.getBoundingClientRect();
                 return [r.left + scrollX, r.top + scrollY, r.width, r.height];
               })"""  # in the document: focusing the tools may scroll, but nothing may move
    before = tab.evaluate(boxes)
    tab.evaluate(SELECT, [PARAGRAPH, words])
    tab.keyboard.press("Alt+Shift+C")
    focused = tab.evaluate("document.activeElement.getAttribute('aria-label')")
    assert focused == "Link to the selection"
    tab.keyboard.press("Enter")
    tab.wait_for_function("() => document.querySelector('.cite-selection [data-copied]') !== null")
    assert tab.evaluate("navigator.clipboard.readText()").startswith(f"{versioned_base(config)}{SLUG}/#p3:~:text=")
    assert tab.evaluate(boxes) == before
    assert tab.evaluate("window.__shift") == 0
    violations = Axe().run(tab).response["violations"]
    bad = [
        (v["id"], [(n["target"], n["failureSummary"]) for n in v["nodes"]])
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, bad
    tab.keyboard.press("Escape")
    assert tab.locator(".cite-selection").is_hidden()
    assert tab.evaluate("document.activeElement.closest('p.para').id") == PARAGRAPH


def test_without_the_clipboard_api_the_link_is_shown_to_copy(
    own_page: Any, site_server: str, edition: Edition, config: Config
) -> None:
    page = own_page
    page.add_init_script("Object.defineProperty(navigator, 'clipboard', {value: undefined})")
    page.goto(f"{site_server}{SLUG}/")
    page.evaluate(SELECT, [PARAGRAPH, sentence(edition)])
    page.get_by_role("button", name="Cite selection (Alt+Shift+C)").click()
    page.get_by_role("button", name="Link to the selection", exact=True).click()
    field = page.get_by_role("textbox", name="Citation to copy")
    assert field.is_visible()
    assert field.input_value().startswith(f"{versioned_base(config)}{SLUG}/#p3:~:text=")
    assert page.evaluate("document.activeElement.selectionEnd") == len(field.input_value())
