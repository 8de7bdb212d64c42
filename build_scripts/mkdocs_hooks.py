"""MkDocs hooks of the edition (registered in mkdocs.yml under ``hooks``).

``on_config`` reads the validated :class:`~build_scripts.config.Config` (the one reading of
``editorial/chapters.yaml`` and ``editorial/metadata.yaml``): it sets the navigation from the
page list, so no title or slug is typed twice, and puts the article and edition metadata into
``config.extra``, where the templates read them for the ``citation_*`` tags, the JSON-LD and the
"Cite this" controls.

Versions (issue 15): a released version is served at ``<site_url><version>/<page path>``.
``config.extra.edition.versioned_url`` is ``<site_url><version>/`` and ``on_page_context`` gives
each page its address in this version as ``versioned_url``; ``overrides/main.html`` prints them as
``<meta name="edition:version">`` and ``<meta name="edition:versioned-url">``, which edition.js
reads to build links to a paragraph or a quotation.

Which record a page's citation metadata describes is decided here, once: the front page and the
chapters carry the article (``article``), the edition's own pages (references, glossary, about,
apparatus, downloads) carry the edition (``edition``); a page the hook does not know, such as
404.html, gets none. ``on_page_context`` puts that kind, and a chapter's ¶ range from its front
matter, into the template context as ``cite``. The article's abstract is the edition model's
abstract block, read from the generated ``downloads/edition.json``.

Editorial data is input, not markup: values that Material prints without escaping (navigation
titles, the page's ``<title>`` and ``meta description`` from front matter) are HTML-escaped here;
the edition's own templates escape what they print (``| e``, ``tojson``).

The PDF and the offline zip are made after MkDocs has built the pages, but the pages link to
them and strict link validation must know they exist. ``on_files`` declares both as generated
files with placeholder content; the pipeline overwrites them in the staging tree before the
swap, so a published site never carries a placeholder.
"""

from __future__ import annotations

import html
import json
import logging
import sys
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # MkDocs loads a hook by file path, not as part of the package
    sys.path.insert(0, str(ROOT))

from build_scripts.config import OFFLINE_NAME, PDF_NAME, load_config  # noqa: E402

LATE_DOWNLOADS = (f"downloads/{PDF_NAME}", f"downloads/{OFFLINE_NAME}")
# npm's iframe-worker 1.0.4 with its MIT licence: lets search run from file:// URLs, so only the
# offline copy loads it (Material's offline plugin would otherwise fetch it from unpkg.com).
IFRAME_WORKER_SHIM = "assets/vendor/iframe-worker/shim.js"


def on_config(config: Any) -> Any:
    logging.getLogger("jieba").setLevel(logging.WARNING)
    project = load_config(Path(config.config_file_path).resolve().parent)
    config.nav = [{html.escape(title): path} for entry in project.nav() for title, path in entry.items()]
    config.site_author = html.escape(project.metadata.edition.editors)  # Material prints it raw in <meta name="author">
    extra = project.metadata.as_extra()
    config.extra["article"] = extra["article"]
    config.extra["abstract"] = _abstract(Path(config.docs_dir))
    config.extra["proper_nouns"] = extra["proper_nouns"]
    config.extra["cite_kinds"] = {
        **{f"{page.slug}.md": "article" for page in project.pages if page not in project.back},
        **{f"{page.slug}.md": "edition" for page in project.back},
    }
    config.extra["edition"] = {
        **extra["edition"],
        "pdf": LATE_DOWNLOADS[0],
        "offline": LATE_DOWNLOADS[1],
    }
    offline = config.plugins.get("material/offline")
    config.extra["offline"] = bool(offline and offline.config.enabled)
    config.extra["polyfills"] = [IFRAME_WORKER_SHIM] if config.extra["offline"] else []
    return config


def _abstract(docs_dir: Path) -> str:
    """The abstract's text as the edition model gives it (``""`` before the first emit)."""
    path = docs_dir / "downloads" / "edition.json"
    if not path.is_file():
        return ""
    blocks = json.loads(path.read_text(encoding="utf-8"))["blocks"]
    return next((str(b["text"]) for b in blocks if b["kind"] == "abstract"), "")


def on_files(files: Files, config: Any) -> Files:
    for uri in LATE_DOWNLOADS:
        if files.get_file_from_path(uri) is None:
            files.append(File.generated(config, uri, content=b""))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    """Escape the front-matter values Material prints raw into ``<title>`` and ``<meta>``."""
    for key in ("title", "description"):
        value = page.meta.get(key)
        if isinstance(value, str):
            page.meta[key] = html.escape(value)
    return markdown


def on_page_context(context: dict[str, Any], page: Any, config: Any, nav: Any) -> dict[str, Any]:
    """The canonical link names the stable directory URL, also in the offline copy (file names there)."""
    path = page.url or ""
    if path.endswith("index.html"):
        path = path[: -len("index.html")]
    elif path.endswith(".html"):
        path = path[: -len(".html")] + "/"
    page.canonical_url = config.site_url + path
    # What "Cite" gives: this page in this version, at its permanent (versioned) address.
    context["versioned_url"] = config.extra["edition"]["versioned_url"] + path
    paragraphs = page.meta.get("paragraphs")
    context["cite"] = {
        "kind": config.extra["cite_kinds"].get(page.file.src_uri),
        "paragraphs": paragraphs if isinstance(paragraphs, str) else "",
    }
    return context
