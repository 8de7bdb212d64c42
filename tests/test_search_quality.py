"""Search quality in the browser: the first hit of each query in tests/fixtures/search-quality.yaml,
and every cited surname's first hit on a References entry of that author, in the built site's
Material search (Chromium; the ranking weights are editorial/search.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from browsing import DESKTOP, type_query
from htmltext import shown_by_id

from build_scripts.config import load_config
from build_scripts.edition import Edition
from build_scripts.pipeline import prepare

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TABLE = yaml.safe_load((Path(__file__).parent / "fixtures" / "search-quality.yaml").read_text(encoding="utf-8"))
CASES = TABLE["queries"]
SURNAME_FAILURES = TABLE["surname_known_failures"] or {}


def _surnames() -> list[Any]:
    """Each cited surname, with the References entries of that author (their ids are the .bib keys)."""
    refs = prepare(load_config()).bibliography.references
    names = {w for r in refs for w in r.label.split() if w.isalpha() and w[:1].isupper() and len(w) > 3}
    names -= {"Central", "Committee", "State", "Council", "Xinhua"}
    return [
        pytest.param(
            n,
            tuple(sorted(r.key for r in refs if n in r.label.split())),
            marks=[pytest.mark.xfail(strict=True, reason=SURNAME_FAILURES[n])] if n in SURNAME_FAILURES else [],
        )
        for n in sorted(names)
    ]


@pytest.fixture(scope="module")
def search_page(browser: Any, site_server: str) -> Any:
    """One tab for every query: the page and Material's search index load once, not once per query."""
    context = browser.new_context(**DESKTOP)
    page = context.new_page()
    page.goto(site_server)
    yield page
    context.close()


@pytest.fixture
def tab(search_page: Any) -> Any:
    """The shared tab with an empty search box, the previous query's results gone before the next is typed."""
    search_page.locator("input.md-search__input").fill("")
    search_page.wait_for_function(
        "() => !/matching/.test(document.querySelector('.md-search-result__meta').textContent)"
    )
    return search_page


def first_hit(tab: Any, query: str, base: str) -> str:
    type_query(tab, query)
    # The first result is the best page; within it, its best section (the page's own entry comes
    # first in Material's list, and sections missing a term are marked).
    return str(
        tab.evaluate(
            """() => {
              const item = document.querySelector('.md-search-result__item');
              if (!item) return '';
              const links = [...item.querySelectorAll('a')].map(a => [a.href.replace(/\\?h=[^#]*/, ''),
                !!a.querySelector('.md-search-result__terms')]);
              const best = links.find(([href, missing]) => href.includes('#') && !missing) || links[0];
              return best[0];
            }"""
        )
    ).removeprefix(base)


def paragraphs_with(site: Path, edition: Edition, phrase: str) -> set[str]:
    """``page/#pN`` of every paragraph whose shown text holds ``phrase``, read from the built chapters."""
    found = set()
    for chapter in edition.document.chapters:
        html_text = (site / chapter.slug / "index.html").read_text(encoding="utf-8")
        for block_id, text in shown_by_id(html_text, {"para"}).items():
            if phrase in text:
                found.add(f"{chapter.slug}/#{block_id}")
    return found


def _param(case: dict[str, str]) -> Any:
    known = case.get("known_failure")
    marks = [pytest.mark.xfail(strict=True, reason=known)] if known else []
    return pytest.param(case, id=case["query"], marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_first_hit(tab: Any, site_server: str, built_site: Path, edition: Edition, case: dict[str, str]) -> None:
    hit = first_hit(tab, case["query"], site_server)
    if "first_paragraph_with" in case:
        expected = paragraphs_with(built_site, edition, case["first_paragraph_with"])
        assert expected, f"no paragraph holds {case['first_paragraph_with']!r}: update the table"
        assert hit in expected, f"{case['query']!r}: first hit {hit!r}, expected one of {sorted(expected)}"
    else:
        assert hit.startswith(case["first"]), (
            f"{case['query']!r}: first hit {hit!r}, expected {case['first']} ({case['why']})"
        )


@pytest.mark.parametrize(("surname", "keys"), _surnames())
def test_cited_surname_first_hit_is_its_references_entry(
    tab: Any, site_server: str, built_site: Path, surname: str, keys: tuple[str, ...]
) -> None:
    references = (built_site / "references" / "index.html").read_text(encoding="utf-8")
    assert all(f'id="{key}"' in references for key in keys), keys  # the entries' anchors on the page
    hit = first_hit(tab, surname, site_server)
    assert hit in {f"references/#{key}" for key in keys}, f"{surname!r}: first hit {hit!r}, expected an entry of {keys}"
