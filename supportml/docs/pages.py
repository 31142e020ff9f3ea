"""Reading one docs page (Markdown or HTML): its front matter or meta tags, title, headings and
plain text, without markup, so the index searches what a reader sees.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import yaml

from supportml.docs.catalogue import DocsError, _Loader, _yaml_reason

PAGE_SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html"}


@dataclass(frozen=True)
class Page:
    """What a docs page says about itself: front matter (or meta tags) and its text."""

    title: str
    headings: tuple[str, ...]
    body: str
    meta: dict[str, Any] = field(default_factory=dict)


_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S | re.M)
_ATX = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_INLINE = [
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # images: alt text
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # links: label
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),  # reference links
    (re.compile(r"<(https?://[^>\s]+)>"), r"\1"),  # autolinks
    (re.compile(r"</?[A-Za-z][^>]*>"), " "),  # inline HTML
    (re.compile(r"(\*\*|__|\*|`|~~)"), ""),  # emphasis and code marks
    (re.compile(r"^\s*(?:>\s*)+"), ""),  # block quotes
    (re.compile(r"^\s*\|?(?:\s*:?-{3,}:?\s*\|)+\s*:?-*:?\s*$"), ""),  # table rules
    (re.compile(r"\s*\|\s*"), " "),  # table cells
]


def _inline(line: str) -> str:
    for pattern, replacement in _INLINE:
        line = pattern.sub(replacement, line)
    return line.strip()


def split_front_matter(text: str, where: str) -> tuple[dict[str, Any], str]:
    """(front matter fields, rest of the page); a page without front matter has no fields."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        meta = yaml.load(match.group(1), Loader=_Loader)
    except yaml.YAMLError as err:
        reason = _yaml_reason(err, first_line=2)  # line numbers of the page, after its '---'
        raise DocsError(f"{where}: front matter is not valid YAML ({reason})") from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise DocsError(f"{where}: front matter must be a mapping of fields, e.g. 'title: …'")
    return meta, text[match.end() :]


def parse_markdown(text: str, where: str = "<page>") -> Page:
    """Title (front matter, else the first ``#`` heading), other headings, and plain body text.

    Code blocks stay in the body: error messages in runbooks are what requests quote.
    """
    meta, text = split_front_matter(text, where)
    title = ""
    headings: list[str] = []
    lines: list[str] = []
    fence = ""
    for line in text.splitlines():
        opened = _FENCE.match(line)
        if fence or opened:
            if opened and (not fence or opened.group(1) == fence):
                fence = "" if fence else opened.group(1)
            elif line.strip():
                lines.append(line.strip())
            continue
        heading = _ATX.match(line)
        if heading:
            words = _inline(heading.group(2))
            if not title and heading.group(1) == "#":
                title = words
            elif words:
                headings.append(words)
            lines.append("")
            continue
        lines.append(_inline(line))
    if not title and headings:
        title = headings.pop(0)
    return Page(title, tuple(headings), _paragraphs(lines), meta)


def _paragraphs(lines: Iterable[str]) -> str:
    """Lines joined into paragraphs separated by one blank line, without trailing spaces."""
    text = "\n".join(line.rstrip() for line in lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


class _HTMLText(HTMLParser):
    """Collects <title>, headings, meta tags and visible text (no script/style/nav/footer)."""

    SKIP = {"script", "style", "nav", "footer", "template", "noscript"}
    BLOCK = {"p", "div", "li", "tr", "section", "article", "br", "pre", "table", "ul", "ol"}
    CELL = {"td", "th", "dt", "dd"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title = ""
        self.headings: list[tuple[int, str]] = []
        self.lines: list[str] = [""]
        self._skip = 0
        self._in_title = False
        self._heading: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self._skip += 1
        elif tag == "meta":
            values = dict(attrs)
            name = (values.get("name") or "").lower()
            if name and values.get("content"):
                self.meta[name] = values["content"] or ""
        elif tag == "title":
            self._in_title = True
        elif re.fullmatch(r"h[1-6]", tag):
            self._heading = []
        if tag in self.BLOCK:
            self.lines.append("")
        elif tag in self.CELL:
            self.lines[-1] += " "

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag == "title":
            self._in_title = False
        elif re.fullmatch(r"h[1-6]", tag) and self._heading is not None:
            text = " ".join("".join(self._heading).split())
            if text:
                self.headings.append((int(tag[1]), text))
            self._heading = None
            self.lines.append("")
        if tag in self.BLOCK:
            self.lines.append("")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif self._skip:
            return
        elif self._heading is not None:
            self._heading.append(data)
        else:
            self.lines[-1] += data


def parse_html(text: str, where: str = "<page>") -> Page:
    """Title (front matter, else the first <h1>, else <title>); topics, keywords and summary
    come from front matter or ``<meta name="topics|keywords|description">``."""
    meta, text = split_front_matter(text, where)
    parser = _HTMLText()
    parser.feed(text)
    parser.close()
    headings = [h for _, h in parser.headings]
    h1 = next((h for level, h in parser.headings if level == 1), "")
    title = h1 or " ".join(parser.title.split())
    if h1:
        headings.remove(h1)
    tags = parser.meta
    for name, key in (("topics", "topics"), ("keywords", "keywords"), ("summary", "description")):
        if name not in meta and key in tags:
            meta[name] = (
                [v.strip() for v in tags[key].split(",")] if name != "summary" else tags[key]
            )
    lines = (" ".join(line.split()) for line in parser.lines)
    return Page(title, tuple(headings), _paragraphs(lines), meta)
