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
