"""Temporary project copies, and the bare MkDocs configuration the benchmarks compare against.

The bare configuration is the edition's ``mkdocs.yml`` minus everything the edition adds to a plain
Material site: no ``hooks``, no ``custom_dir`` overrides, no ``extra_css``/``extra_javascript``/
``extra``, no ``validation`` or ``strict``, and only MkDocs' default plugin (``search``, with its
default settings) instead of the edition's search settings, ``offline`` and ``redirects``. The
theme (name, language, palette, features, ``font: false``) and the Markdown extensions stay the
same, and it reads the same generated ``docs/``, so the difference is the edition's own cost.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from build_scripts.config import ROOT

IGNORE = shutil.ignore_patterns(
    ".venv",
    ".git",
    "site",
    ".site-*",
    "test-artifacts",
    ".hypothesis",
    "*_cache",
    "__pycache__",
    "tests",
    "node_modules",
)


def copy_project(dst: Path) -> Path:
    """The project's inputs, code and configuration (no venv, outputs or caches) under ``dst``."""
    shutil.copytree(ROOT, dst, ignore=IGNORE)
    return dst


class _Loader(yaml.SafeLoader):
    """Reads mkdocs.yml, taking ``!ENV [NAME, default]`` as its default."""


def _env_tag(loader: _Loader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)[-1]
    return None


_Loader.add_constructor("!ENV", _env_tag)


def read_mkdocs(path: Path) -> dict[str, Any]:
    return dict(yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader))


def bare_config(edition_yml: Path, docs_dir: Path, nav: list[Any] | None = None) -> dict[str, Any]:
    """The bare Material configuration for the same docs (see the module docstring)."""
    cfg = read_mkdocs(edition_yml)
    theme = {k: v for k, v in cfg["theme"].items() if k != "custom_dir"}
    bare: dict[str, Any] = {
        "site_name": cfg["site_name"],
        "site_url": cfg.get("site_url"),
        "docs_dir": str(docs_dir),
        "use_directory_urls": cfg.get("use_directory_urls", True),
        "theme": theme,
        "markdown_extensions": cfg.get("markdown_extensions", []),
        "plugins": ["search"],
        "nav": nav if nav is not None else cfg.get("nav"),
    }
    if "exclude_docs" in cfg:
        bare["exclude_docs"] = cfg["exclude_docs"]
    return bare


def write_bare_config(edition_yml: Path, docs_dir: Path, target: Path, nav: list[Any] | None = None) -> Path:
    target.write_text(yaml.safe_dump(bare_config(edition_yml, docs_dir, nav), allow_unicode=True), encoding="utf-8")
    return target


def with_nav(edition_yml: Path, nav: list[Any]) -> str:
    """The edition's mkdocs.yml text with its ``nav`` replaced (everything else byte for byte)."""
    lines = edition_yml.read_text(encoding="utf-8").split("\n")
    start = next(n for n, line in enumerate(lines) if line.startswith("nav:"))
    end = next(
        (n for n in range(start + 1, len(lines)) if lines[n] and not lines[n].startswith((" ", "#", "-"))),
        len(lines),
    )
    block = yaml.safe_dump({"nav": nav}, allow_unicode=True, width=1000).rstrip("\n").split("\n")
    return "\n".join(lines[:start] + block + lines[end:]) + "\n"
