"""Search quality in the browser: the first hit of each query in tests/fixtures/search-quality.yaml,
and every cited surname's first hit on its References letter, in the built site's Material search."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from browsing import type_query

from build_scripts.config import load_config
from build_scripts.pipeline import prepare

pytest_plugins = ["browsing"]

TABLE = yaml.safe_load((Path(__file__).parent / "fixtures" / "search-quality.yaml").read_text(encoding="utf-8"))
CASES = TABLE["queries"]
SURNAME_FAILURES = TABLE["surname_known_failures"]


def _surnames() -> list[Any]:
    """Each cited surname, with the References letter sections that hold a work of that author."""
    refs = prepare(load_config()).bibliography.references
    names = {w for r in refs for w in r.label.split() if w.isalpha() and w[:1].isupper() and len(w) > 3}
    names -= {"Central", "Committee", "State", "Council", "Xinhua"}
    return [
        pytest.param(
            n,
            tuple(sorted({f"references/#refs-{r.key[:1]}" for r in refs if n in r.label.split()})),
            marks=[pytest.mark.xfail(strict=True, reason=SURNAME_FAILURES[n])] if n in SURNAME_FAILURES else [],
        )
        for n in sorted(names)
    ]


@pytest.fixture(scope="module")
def search_page(browser: Any, site_server: str) -> Any:
    """One tab for every query: the page and Material's search index load once, not once per query."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
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


def _param(case: dict[str, str]) -> Any:
    known = case.get("known_failure")
    marks = [pytest.mark.xfail(strict=True, reason=known)] if known else []
    return pytest.param(case, id=case["query"], marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_first_hit(tab: Any, site_server: str, case: dict[str, str]) -> None:
    hit = first_hit(tab, case["query"], site_server)
    expected = case["first"]
    assert hit.startswith(expected), f"{case['query']!r}: first hit {hit!r}, expected {expected} ({case['why']})"


@pytest.mark.parametrize(("surname", "sections"), _surnames())
def test_cited_surname_first_hit_is_its_references_entry(
    tab: Any, site_server: str, surname: str, sections: tuple[str, ...]
) -> None:
    hit = first_hit(tab, surname, site_server)
    assert hit in sections, f"{surname!r}: first hit {hit!r}, expected one of {sections}"
