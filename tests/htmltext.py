"""What a browser shows of an HTML fragment: its text content and the elements it would build."""

from __future__ import annotations

import html.parser


class TextOnly(html.parser.HTMLParser):
    """Collects text (character references decoded) and start tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)


def text_of(html_text: str) -> tuple[str, list[str]]:
    """(text content, start tags) of ``html_text``."""
    parser = TextOnly()
    parser.feed(html_text)
    parser.close()
    return "".join(parser.text), parser.tags


class ShownById(html.parser.HTMLParser):
    """The shown text of each element with an id and one of the wanted classes, without the parts
    left out of the search index (``data-search-exclude``: sidenote copies, paragraph tools)."""

    def __init__(self, classes: set[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.classes = classes
        self.text: dict[str, list[str]] = {}
        self.open: list[tuple[str, str | None, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        wanted = a.get("id") if set((a.get("class") or "").split()) & self.classes else None
        if wanted:
            self.text[wanted] = []
        if tag not in VOID:
            self.open.append((tag, wanted, "data-search-exclude" in a))

    def handle_endtag(self, tag: str) -> None:
        while self.open and self.open.pop()[0] != tag:
            pass

    def handle_data(self, data: str) -> None:
        if not any(excluded for _, _, excluded in self.open):
            for _, wanted, _ in self.open:
                if wanted:
                    self.text[wanted].append(data)


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def shown_by_id(html_text: str, classes: set[str]) -> dict[str, str]:
    """id → shown text (whitespace collapsed) of each element of ``classes`` in ``html_text``."""
    parser = ShownById(classes)
    parser.feed(html_text)
    parser.close()
    return {key: " ".join("".join(parts).split()) for key, parts in parser.text.items()}
