"""Self-check of the repair: how many reading-text words a real English word list knows.

A decoding error produces non-words ("tbe", "Cbina"), so coverage against ``wordfreq``'s English
list plus a small reviewed list of names and romanised terms (``editorial/wordlist.txt``, one
word per line with a reason) measures the repair independently of the decoder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from wordfreq import zipf_frequency

from .model import Document

WORD = re.compile(r"[A-Za-z]+(?:[’'][A-Za-z]+)*")


@dataclass(frozen=True, slots=True)
class Coverage:
    """Word-list coverage of the reading text."""

    words: int
    known: int
    unknown: tuple[str, ...]
    known_without_list: int
    """Words wordfreq alone knows (without the reviewed list)."""

    @property
    def ratio(self) -> float:
        return self.known / self.words if self.words else 1.0

    def as_dict(self) -> dict[str, object]:
        return {
            "words": self.words,
            "known": self.known,
            "coverage_pct": f"{100 * self.ratio:.2f}",
            "wordfreq_only_pct": f"{100 * self.known_without_list / max(self.words, 1):.2f}",
            "unknown": list(self.unknown),
        }


def load_wordlist(path: Path) -> frozenset[str]:
    """Reviewed extra words: ``word  # reason`` per line."""
    words = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        word = line.split("#", 1)[0].strip()
        if word:
            words.add(word.lower())
    return frozenset(words)


def is_known(word: str, extra: frozenset[str]) -> bool:
    base = re.sub(r"[’']s$", "", word)
    return any(w.lower() in extra or zipf_frequency(w, "en") > 0 for w in {word, base})


def measure(document: Document, extra: frozenset[str]) -> Coverage:
    """Coverage over every block of the reading text."""
    words = [w for b in document.blocks for w in WORD.findall(b.text)]
    unknown = [w for w in words if not is_known(w, extra)]
    bare = sum(1 for w in words if is_known(w, frozenset()))
    return Coverage(len(words), len(words) - len(unknown), tuple(sorted(set(unknown))), bare)
