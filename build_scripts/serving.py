"""A built site folder served over HTTP on 127.0.0.1 the way a static host serves it.

One server for everything that opens the site in a browser or a client: the browser tests, the
atomicity tests, ``make review`` and the Lighthouse benchmark. With ``gzip=True`` text types are
gzip-encoded when the client accepts it (as GitHub Pages does), so that transfer sizes are what a
reader gets; Lighthouse's throttling simulation works from them.
"""

from __future__ import annotations

import functools
import gzip as gzip_module
import http.server
import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

GZIP_TYPES = (".html", ".css", ".js", ".json", ".svg", ".xml", ".txt")


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Static files, without a log line per request."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


class GzipHandler(QuietHandler):
    """Static files, gzip-encoded for text types when the client accepts it."""

    def send_head(self) -> Any:
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        accepts = "gzip" in self.headers.get("Accept-Encoding", "")
        if not accepts or path.suffix not in GZIP_TYPES or not path.is_file():
            return super().send_head()
        body = gzip_module.compress(path.read_bytes(), 6)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


@contextmanager
def serve(site: Path, *, gzip: bool = False) -> Iterator[str]:
    """Serve ``site`` from a thread on a free port; yields the base URL (ending in ``/``)."""
    handler = functools.partial(GzipHandler if gzip else QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
