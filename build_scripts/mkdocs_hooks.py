"""MkDocs hooks of the edition (registered in mkdocs.yml under ``hooks``).

``on_config`` puts the article and edition metadata from ``editorial/metadata.yaml`` (the one
source of truth) into ``config.extra``, where the templates read it for the ``citation_*`` tags,
the JSON-LD and the "Cite this" controls. It also quietens jieba's start-up chatter.

The PDF and the offline zip are made after MkDocs has built the pages, but the pages link to
them and strict link validation must know they exist. ``on_files`` declares both as generated
files with placeholder content; the pipeline overwrites them in the staging tree before the
swap, so a published site never carries a placeholder.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import yaml
from mkdocs.structure.files import File, Files

LATE_DOWNLOADS = ("downloads/edney-2015-edition.pdf", "downloads/edney-2015-edition-offline.zip")
METADATA = Path("editorial") / "metadata.yaml"


def on_config(config: Any) -> Any:
    logging.getLogger("jieba").setLevel(logging.WARNING)
    root = Path(config.config_file_path).resolve().parent
    data = yaml.safe_load((root / METADATA).read_text(encoding="utf-8"))
    article = {k: v for k, v in data["article"].items() if k != "confirmed_by"}
    edition = {**data["edition"], "pdf": LATE_DOWNLOADS[0], "offline": LATE_DOWNLOADS[1]}
    config.extra["article"] = article
    config.extra["edition"] = edition
    return config


def on_files(files: Files, config: Any) -> Files:
    for uri in LATE_DOWNLOADS:
        if files.get_file_from_path(uri) is None:
            files.append(File.generated(config, uri, content=b""))
    return files
