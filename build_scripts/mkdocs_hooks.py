"""MkDocs hooks of the edition (registered in mkdocs.yml under ``hooks``).

The PDF and the offline zip are made after MkDocs has built the pages, but the pages link to
them and strict link validation must know they exist. ``on_files`` declares both as generated
files with placeholder content; the pipeline overwrites them in the staging tree before the
swap, so a published site never carries a placeholder.
"""

from __future__ import annotations

from typing import Any

from mkdocs.structure.files import File, Files

LATE_DOWNLOADS = ("downloads/edney-2015-edition.pdf", "downloads/edney-2015-edition-offline.zip")


def on_files(files: Files, config: Any) -> Files:
    for uri in LATE_DOWNLOADS:
        if files.get_file_from_path(uri) is None:
            files.append(File.generated(config, uri, content=b""))
    return files
