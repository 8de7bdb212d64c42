"""Read the source manuscript strictly: bytes → text, or a coded error with its location."""

from __future__ import annotations

from pathlib import Path

from .datafiles import read_text
from .diagnostics import BuildError, Diagnostic, Location


def read_source(path: Path) -> str:
    """Return the source as text; stop on a missing, empty or non-UTF-8 file, a BOM or CRLF line ends.

    A decoding error is reported at the line and column of the first bad byte, so a Latin-1
    file is named precisely rather than silently read with replacement characters; a BOM or
    Windows line endings are named as such, not reported as hundreds of unmapped characters.
    """
    if path.is_file() and not path.read_bytes().strip():
        raise BuildError([Diagnostic("E-SOURCE-EMPTY", Location(str(path)), "the file holds no text")])
    return read_text(path, code="E-SOURCE-ENCODING", missing="E-SOURCE-MISSING")
