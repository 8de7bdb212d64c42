"""Build the subset CJK font used by the web edition and the PDF.

The edition prints Chinese characters only in the glossary (the ``hanzi``
field of ``editorial/glossary.yaml``). Shipping a full CJK font for a few
dozen characters would add megabytes to the site and the PDF, so this module
cuts Noto Sans CJK SC Regular (Debian package ``fonts-noto-cjk``) down to
exactly the characters used there, plus any CJK punctuation (U+3000-U+303F)
that occurs in those values. U+0020 SPACE is always added: without it,
WeasyPrint draws the .notdef box for a space inside a run set in this font,
even when the CSS font stack has a fallback.

Two files are written to ``docs/assets/fonts/``:

* ``NotoSansSC-edition.woff2``: for the MkDocs Material web site;
* ``NotoSansSC-edition.otf``: CFF-flavoured OpenType, for WeasyPrint.

The output is deterministic: the ``head`` table keeps the source font's
created/modified timestamps instead of the current time, so the same glossary
and the same source font always give byte-identical files.

Run from the repository root::

    .venv/bin/python -m build_scripts.fonts
"""

from __future__ import annotations

import argparse
import sys
import unicodedata
from pathlib import Path

import yaml
from fontTools import subset  # type: ignore[import-untyped]
from fontTools.ttLib import TTCollection, TTFont  # type: ignore[import-untyped]

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
DEFAULT_FAMILY = "Noto Sans CJK SC"
DEFAULT_GLOSSARY = REPO_ROOT / "editorial" / "glossary.yaml"
DEFAULT_OUT_DIR = REPO_ROOT / "docs" / "assets" / "fonts"
OUTPUT_STEM = "NotoSansSC-edition"

# Name records kept in the subset: family/style/version names (0-6) and the
# trademark, manufacturer, designer, vendor URL and licence fields
# (7, 8, 9, 11, 13, 14), so that the copyright and licence stay in the file.
KEPT_NAME_IDS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 13, 14]

CJK_PUNCTUATION = range(0x3000, 0x3040)

# Characters added to every subset (see the module docstring).
ALWAYS_INCLUDE = " "


def _is_allowed_char(char: str) -> bool:
    """Return True for a CJK ideograph or a CJK symbol/punctuation mark."""
    if ord(char) in CJK_PUNCTUATION:
        return True
    return unicodedata.name(char, "").startswith("CJK UNIFIED IDEOGRAPH")


def find_face_index(collection: Path, family: str = DEFAULT_FAMILY) -> int:
    """Return the index of the face in a font collection whose family is *family*.

    The face is chosen by its ``name`` table (typographic family, name ID 16,
    or else family, name ID 1) with subfamily Regular, not by a fixed
    position in the collection.
    """
    ttc = TTCollection(str(collection), lazy=True)
    try:
        for index, font in enumerate(ttc.fonts):
            names = font["name"]
            name = names.getDebugName(16) or names.getDebugName(1)
            style = names.getDebugName(17) or names.getDebugName(2)
            if name == family and style == "Regular":
                return index
    finally:
        ttc.close()
    raise LookupError(f"no face named {family!r} (Regular) in {collection}")


def _open_source(source: Path, family: str) -> TTFont:
    """Open *source*, selecting *family* by name if it is a collection."""
    with source.open("rb") as handle:
        is_collection = handle.read(4) == b"ttcf"
    font_number = find_face_index(source, family) if is_collection else -1
    # recalcTimestamp=False keeps head.created/modified from the source font,
    # which makes the output reproducible.
    return TTFont(str(source), fontNumber=font_number, lazy=True, recalcTimestamp=False)


def subset_cjk_font(
    source: Path,
    text: str,
    out_dir: Path,
    *,
    family: str = DEFAULT_FAMILY,
    stem: str = OUTPUT_STEM,
    always_include: str = ALWAYS_INCLUDE,
) -> list[Path]:
    """Subset *source* to the characters in *text*; write WOFF2 and OTF files.

    The subset holds the distinct non-whitespace characters of *text* plus
    those of *always_include* (by default U+0020 SPACE). A ``ValueError`` is
    raised if the font lacks any of them. Returns the paths written:
    ``[<stem>.woff2, <stem>.otf]`` in *out_dir*.
    """
    wanted = {c for c in text if not c.isspace()}
    if not wanted:
        raise ValueError("no characters to subset")
    chars = sorted(wanted | set(always_include))

    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for flavor, suffix in (("woff2", ".woff2"), (None, ".otf")):
        font = _open_source(source, family)
        try:
            cmap = font.getBestCmap()
            missing = [c for c in chars if ord(c) not in cmap]
            if missing:
                raise ValueError(f"{source} ({family}) lacks: " + ", ".join(f"U+{ord(c):04X} {c}" for c in missing))
            options = subset.Options()
            options.name_IDs = list(KEPT_NAME_IDS)
            options.notdef_outline = True
            options.recalc_timestamp = False
            options.flavor = flavor
            subsetter = subset.Subsetter(options=options)
            subsetter.populate(unicodes=[ord(c) for c in chars])
            subsetter.subset(font)
            target = out_dir / f"{stem}{suffix}"
            tmp = target.with_name(target.name + ".tmp")
            subset.save_font(font, str(tmp), options)
            tmp.replace(target)
            written.append(target)
        finally:
            font.close()
    return written


def glossary_text(glossary: Path) -> str:
    """Return the characters of every ``hanzi`` value in *glossary*, in order.

    Raises ``ValueError`` for characters that are neither CJK ideographs nor
    CJK punctuation (U+3000-U+303F), which would point to a data error.
    """
    data = yaml.safe_load(glossary.read_text(encoding="utf-8"))
    pieces: list[str] = []
    for entry in data.get("entries", []):
        hanzi = entry.get("hanzi")
        if not hanzi:
            continue
        bad = [c for c in hanzi if not _is_allowed_char(c)]
        if bad:
            raise ValueError(
                f"entry {entry.get('id')!r}: unexpected characters in hanzi: "
                + ", ".join(f"U+{ord(c):04X}" for c in bad)
            )
        pieces.append(hanzi)
    return "".join(pieces)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: subset the font for the glossary's hanzi."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--glossary", type=Path, default=DEFAULT_GLOSSARY)
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT_DIR)
    args = parser.parse_args(argv)

    text = glossary_text(args.glossary)
    chars = sorted(set(text))
    paths = subset_cjk_font(args.source, text, args.out_dir)
    print(f"{len(chars)} characters (+ U+0020): {''.join(chars)}")
    for path in paths:
        print(f"{path} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
