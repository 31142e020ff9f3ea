"""Indexing a docs tree into a catalogue: every page read once, unchanged pages reused by hash."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from supportml.docs.catalogue import Catalogue, DocEntry, DocsError, _first_problem, _strings
from supportml.docs.pages import PAGE_SUFFIXES, parse_html, parse_markdown


@dataclass(frozen=True)
class IndexResult:
    """A freshly indexed catalogue and what changed since the previous one."""

    catalogue: Catalogue
    added: int
    changed: int
    unchanged: int
    removed: int
    skipped: tuple[str, ...] = ()  # one-line reasons: pages outside the tree, bad pages

    def counts(self) -> dict[str, int]:
        return {
            "pages": len(self.catalogue),
            "added": self.added,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "skipped": len(self.skipped),
        }


def page_files(root: str | Path) -> list[Path]:
    """Markdown and HTML pages under ``root``, sorted; hidden and ``_``-prefixed paths skipped."""
    root = Path(root)
    if not root.is_dir():
        raise DocsError(f"{root}: no such folder")
    return sorted(
        path
        for path in root.rglob("*")
        if path.suffix.lower() in PAGE_SUFFIXES
        and path.is_file()
        and not any(part.startswith((".", "_")) for part in path.relative_to(root).parts)
    )


def page_url(base_url: str, relative: str) -> str:
    """base-url + relative path, Markdown pages published as .html (as Jekyll, Sphinx and
    MkDocs without directory URLs do); HTML pages keep their name."""
    posix = PurePosixPath(relative)
    if PAGE_SUFFIXES.get(posix.suffix.lower()) == "markdown":
        posix = posix.with_suffix(".html")
    return base_url.rstrip("/") + "/" + quote(str(posix))


def _meta_text(meta: Mapping[str, Any], names: Sequence[str], where: str) -> str:
    for name in names:
        value = meta.get(name)
        if value is not None:
            if not isinstance(value, str | int | float) or isinstance(value, bool):
                raise DocsError(f"{where}: front matter field {name!r} must be text")
            return " ".join(str(value).split())
    return ""


def _meta_list(meta: Mapping[str, Any], names: Sequence[str], where: str) -> tuple[str, ...]:
    for name in names:
        if meta.get(name) is not None:
            value = meta[name]
            if isinstance(value, str):
                value = [value]
            return _strings(value, f"front matter field {name!r}", where)
    return ()


def read_page(path: Path, relative: str, base_url: str, data: bytes) -> DocEntry:
    """One page as a DocEntry. Front matter may set id, title, summary (or description),
    topics, keywords (or tags) and url; the id defaults to the path without its suffix."""
    where = str(path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise DocsError(f"{where}: not valid utf-8 text (byte {err.start})") from None
    kind = PAGE_SUFFIXES[path.suffix.lower()]
    page = parse_markdown(text, where) if kind == "markdown" else parse_html(text, where)
    meta = page.meta
    title = _meta_text(meta, ("title",), where) or page.title
    if not title:
        raise DocsError(f"{where}: no title; add 'title:' to the front matter or a '# heading'")
    summary = _meta_text(meta, ("summary", "description"), where)
    if not summary:
        first = page.body.split("\n\n", 1)[0].replace("\n", " ")
        summary = first if len(first) <= 200 else first[:200].rsplit(" ", 1)[0] + " …"
    url = _meta_text(meta, ("url",), where)
    if url and not url.startswith(("http://", "https://")):
        url = base_url.rstrip("/") + "/" + url.lstrip("/")
    return DocEntry(
        id=_meta_text(meta, ("id",), where) or str(PurePosixPath(relative).with_suffix("")),
        title=title,
        url=url or page_url(base_url, relative),
        topics=_meta_list(meta, ("topics",), where),
        summary=summary,
        keywords=_meta_list(meta, ("keywords", "tags"), where),
        headings=page.headings,
        body=page.body,
        path=relative,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def index_tree(
    root: str | Path,
    base_url: str,
    previous: Catalogue | None = None,
    *,
    topics: Iterable[str] | None = None,
    skip_invalid: bool = False,
    advance: Callable[[int], None] | None = None,
) -> IndexResult:
    """Index every page under ``root``; pages whose content hash matches ``previous`` are reused
    as they are, so a re-run only parses what changed. ``advance(n)`` reports pages done.

    A bad page (front matter, encoding, no title, duplicate id or url, unknown topic) stops the
    run with one line naming the file, unless ``skip_invalid``, which drops it and says why.
    A file that resolves outside ``root`` (a symlink to ``/proc/self/environ``) is never read:
    it is always skipped and named, since whoever wrote the tree chose the link, not the reader.
    """
    if not base_url.startswith(("http://", "https://")):
        raise DocsError(f"base url {base_url!r}: expected an http(s) URL")
    root = Path(root)
    files = page_files(root)
    inside = root.resolve()
    if not files:
        raise DocsError(f"{root}: no Markdown (.md) or HTML (.html) pages in this folder")
    old: dict[str, DocEntry] = {}
    if previous is not None and previous.base_url == base_url:
        old = {entry.path: entry for entry in previous.entries if entry.path}
    seen_before = {entry.path for entry in previous.entries} if previous else set()
    advance = advance or (lambda _: None)
    located: list[tuple[str, DocEntry]] = []
    skipped: list[str] = []
    counts = Counter[str]()
    for path in files:
        relative = path.relative_to(root).as_posix()
        real = path.resolve()
        if not real.is_relative_to(inside):
            skipped.append(f"{path}: links outside {root}; not indexed")
            advance(1)
            continue
        data = real.read_bytes()
        reused = old.get(relative)
        if reused is not None and reused.sha256 == hashlib.sha256(data).hexdigest():
            located.append((str(path), reused))
            counts["unchanged"] += 1
        else:
            try:
                located.append((str(path), read_page(path, relative, base_url, data)))
            except DocsError as err:
                if not skip_invalid:
                    raise
                skipped.append(str(err))
            else:
                counts["changed" if relative in seen_before else "added"] += 1
        advance(1)
    if skip_invalid:
        located = _drop_conflicts(located, topics, skipped)
    catalogue = Catalogue._checked(located, str(root), topics, base_url)
    present = {entry.path for entry in catalogue.entries}
    return IndexResult(
        catalogue,
        added=counts["added"],
        changed=counts["changed"],
        unchanged=counts["unchanged"],
        removed=len(seen_before - present - {""}),
        skipped=tuple(skipped),
    )


def _drop_conflicts(
    located: list[tuple[str, DocEntry]], topics: Iterable[str] | None, skipped: list[str]
) -> list[tuple[str, DocEntry]]:
    """Pages that would fail the catalogue checks, dropped one at a time with their reason."""
    topics = None if topics is None else list(topics)
    while (problem := _first_problem(located, topics, "")) is not None:
        skipped.append(problem[1])
        del located[problem[0]]
    return located
