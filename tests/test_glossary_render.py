"""Issue 4, proved in the browser: the glossary's hanzi are drawn with the bundled subset font.

Chromium reports, per DOM node, which platform fonts actually drew its glyphs
(CDP ``CSS.getPlatformFontsForNode``); a web font is reported with ``isCustomFont``. Every
``.hanzi`` element must be drawn by the edition's web font alone, every character of it, so the
test cannot pass through a system CJK font (CI machines may have none; this one may have one).
A control run with the font file blocked shows the check does see a fallback.
"""

from __future__ import annotations

from typing import Any

import pytest
from fontTools.ttLib import TTFont

from build_scripts.config import ROOT
from build_scripts.edition import Edition

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FONT = ROOT / "docs" / "assets" / "fonts" / "NotoSansSC-edition.woff2"
FAMILY = "Noto Sans SC Edition"  # the @font-face name in docs/assets/edition.css


def platform_fonts(context: Any, tab: Any, selector: str) -> list[tuple[str, list[dict[str, Any]]]]:
    """(text, fonts that drew it) for each element matching ``selector``, from Chromium's CDP."""
    cdp = context.new_cdp_session(tab)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    out = []
    for node in cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": selector})["nodeIds"]:
        html = cdp.send("DOM.getOuterHTML", {"nodeId": node})["outerHTML"]
        text = html[html.index(">") + 1 : html.rindex("<")]
        out.append((text, cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]))
    cdp.detach()
    return out


def open_glossary(tab: Any, site_server: str) -> None:
    tab.goto(site_server + "glossary/")
    tab.wait_for_load_state("networkidle")
    tab.evaluate("document.fonts.ready")


def test_the_font_covers_every_glossary_character(edition: Edition) -> None:
    cmap = TTFont(FONT).getBestCmap()
    chars = {c for e in edition.glossary if e.kind == "chinese" for c in e.hanzi if not c.isspace()}
    assert chars and not {c for c in chars if ord(c) not in cmap}


def test_hanzi_are_drawn_by_the_bundled_font_alone(page: Any, site_server: str, edition: Edition) -> None:
    context, tab = page.context, page
    open_glossary(tab, site_server)
    loaded = tab.evaluate(
        f"Array.from(document.fonts).filter(f => f.family.replace(/\"/g, '') === '{FAMILY}').map(f => f.status)"
    )
    assert loaded == ["loaded"]
    assert tab.evaluate(f"document.fonts.check('16px \"{FAMILY}\"', '文化安全')")

    nodes = platform_fonts(context, tab, ".hanzi")
    expected = {e.hanzi for e in edition.glossary if e.kind == "chinese"}
    assert {text for text, _ in nodes} == expected
    for text, fonts in nodes:
        assert len(fonts) == 1 and fonts[0]["isCustomFont"], (text, fonts)
        assert fonts[0]["glyphCount"] == len(text.replace(" ", "")), (text, fonts)


def test_control_without_the_font_file_the_check_sees_a_fallback(own_page: Any, site_server: str) -> None:
    """On a tab of its own: the route that blocks the font file would stay on the shared tab."""
    context, tab = own_page.context, own_page
    tab.route("**/NotoSansSC-edition.woff2", lambda route: route.abort())
    open_glossary(tab, site_server)
    nodes = platform_fonts(context, tab, ".hanzi")
    assert nodes and not all(f["isCustomFont"] for _, fonts in nodes for f in fonts)
