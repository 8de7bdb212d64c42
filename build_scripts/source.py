"""Read the source manuscript strictly: bytes → text, or a coded error with its location."""

from __future__ import annotations

from pathlib import Path

from .diagnostics import BuildError, Diagnostic, Location


def read_source(path: Path) -> str:
    """Return the source as text; stop on a missing, empty or non-UTF-8 file.

    A decoding error is reported at the line and column of the first bad byte, so a Latin-1
    file is named precisely rather than silently read with replacement characters.
    """
    name = str(path)
    if not path.is_file():
        raise BuildError([Diagnostic("E-SOURCE-MISSING", Location(name), "no such file")])
    data = path.read_bytes()
    if not data.strip():
        raise BuildError([Diagnostic("E-SOURCE-EMPTY", Location(name), "the file holds no text")])
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = len(before.rsplit(b"\n", 1)[-1].decode("utf-8", "replace")) + 1
        bad = data[exc.start : exc.end].hex(" ")
        raise BuildError(
            [Diagnostic("E-SOURCE-ENCODING", Location(name, line, col), f"byte(s) {bad} are not UTF-8")]
        ) from None
