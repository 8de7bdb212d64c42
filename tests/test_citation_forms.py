"""Every author-date form emended into the real text is either linked or stops the build at its line.

Cases are data (``tests/fixtures/citation-forms.yaml``): each replaces one real citation through an
``emend`` decision appended to a copy of ``editorial/decisions.yaml``, then runs the text stages
(:func:`~build_scripts.pipeline.prepare`). A case passes only if the citation at that line resolves to
the expected key and locator, or the build stops with the expected code at that source line: a form that
silently loses its footnote fails both ways.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml

from build_scripts.config import ROOT, Config
from build_scripts.diagnostics import BuildError
from build_scripts.pipeline import prepare

CASES: list[dict[str, Any]] = yaml.safe_load((ROOT / "tests/fixtures/citation-forms.yaml").read_text(encoding="utf-8"))
LINE = 220
ORIGINAL = "(see Buzan, 1983, p. 67)"


def emended(config: Config, tmp_path: Path, text: str) -> Config:
    decisions = tmp_path / "decisions.yaml"
    entry = {"id": "test-form", "kind": "emend", "line": LINE, "match": ORIGINAL, "correction": text, "reason": "test"}
    data = yaml.safe_load(config.decisions.read_text(encoding="utf-8"))
    data["decisions"].append(entry)
    decisions.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return dataclasses.replace(config, decisions=decisions)


@pytest.mark.parametrize("case", CASES, ids=[c["form"] for c in CASES])
def test_form_is_linked_or_stops_at_its_line(config: Config, tmp_path: Path, case: dict[str, Any]) -> None:
    changed = emended(config, tmp_path, case["text"])
    if "code" in case:
        with pytest.raises(BuildError) as raised:
            prepare(changed)
        ours = [d for d in raised.value.diagnostics if d.code == case["code"]]
        assert ours, [str(d) for d in raised.value.diagnostics]
        assert ours[0].location.line == LINE and ours[0].location.file.endswith(".txt"), str(ours[0])
        return
    edition = prepare(changed)
    here = [c for c in edition.citations if c.line == LINE]
    assert [(c.key, c.locator) for c in here] == [(case["key"], case["locator"])]
    assert len(edition.citations) == 109
