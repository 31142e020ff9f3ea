"""Documentation catalogue and index: which handbook pages answer a request.

A catalogue lists pages (id, title, url, topics, summary, keywords and the text that is searched);
`supportml docs index` writes one from a folder of Markdown/HTML pages, or a team writes it by hand
as YAML or CSV. ``DocIndex`` ranks pages for one request by TF-IDF cosine similarity, scaled by how
much the classifier believes in each page's topics, and returns nothing rather than a weak link: a
wrong link costs the requester a click and the channel its trust in the links.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

import numpy as np
import yaml
from scipy import sparse

from supportml.errors import UserError

CATALOGUE_FORMAT = 1
PAGE_SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html"}
#: Words in a title say more about a page than words in its body; headings, keywords and the
#: summary sit in between. A word's weight in a page is the sum over fields of weight x sublinear
#: count, so a title word stands out even on a long page that uses other words more often.
FIELD_WEIGHTS = {"title": 5.0, "headings": 2.0, "keywords": 2.0, "summary": 2.0, "body": 1.0}
#: Links below this score are not shown (see DocIndex). Chosen on the training rows of the
#: bundled sample, trading hit@3 against links shown for off-topic chatter; never on test rows.
DEFAULT_MIN_SCORE = 0.10
#: A page must share at least this many distinct words with the request: one shared word
#: ("office", "promotion") is how off-topic chatter reaches a page, and a short request that
#: quotes one word gives a high cosine on little evidence.
DEFAULT_MIN_TERMS = 2
#: How much the classifier's topic belief scales a page's score: a page none of whose topics the
#: classifier believes in keeps (1 - weight) of its lexical similarity.
DEFAULT_PRIOR_WEIGHT = 0.5
#: The prior of a page without topics: it may answer anything, so neither boosted nor buried.
NEUTRAL_PRIOR = 0.5
MAX_REASON_TERMS = 5

_LIST_FIELDS = {"topics", "keywords", "headings"}


class DocsError(UserError):
    """A catalogue or docs page that cannot be used; the message names the file and entry."""


# -- the catalogue ---------------------------------------------------------------------------
@dataclass(frozen=True)
class DocEntry:
    """One documentation page. ``headings`` and ``body`` are the searched text (plain, no markup);
    ``path`` and ``sha256`` are set by the indexer so a re-run can skip unchanged pages."""

    id: str
    title: str
    url: str
    topics: tuple[str, ...] = ()
    summary: str = ""
    keywords: tuple[str, ...] = ()
    headings: tuple[str, ...] = ()
    body: str = ""
    path: str = ""
    sha256: str = ""

    def to_record(self) -> dict[str, Any]:
        """Fields for the catalogue file, without the empty ones."""
        record = {}
        for name, value in asdict(self).items():
            if value:
                record[name] = list(value) if name in _LIST_FIELDS else value
        return record


_FIELDS = tuple(f.name for f in fields(DocEntry))


def _strings(value: Any, name: str, where: str) -> tuple[str, ...]:
    """A list of non-empty strings; a single string (CSV cell) is split on ';'."""
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        value = value.split(";")
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        raise DocsError(f"{where}: {name} must be a list of strings")
    return tuple(s for s in (str(v).strip() for v in value) if s)


def _entry(record: Mapping[str, Any], where: str) -> DocEntry:
    """Validate one raw record into a DocEntry; errors name ``where`` (file, entry and id)."""
    if not isinstance(record, Mapping):
        raise DocsError(f"{where}: expected a mapping of fields, got {type(record).__name__}")
    unknown = sorted(set(record) - set(_FIELDS))
    if unknown:
        raise DocsError(f"{where}: unknown field {unknown[0]!r} (known: {', '.join(_FIELDS)})")
    values: dict[str, Any] = {}
    for name in _FIELDS:
        raw = record.get(name)
        if name in _LIST_FIELDS:
            values[name] = _strings(raw, name, where)
        elif raw is None:
            values[name] = ""
        elif isinstance(raw, str | int | float) and not isinstance(raw, bool):
            values[name] = str(raw).strip()
        else:
            raise DocsError(f"{where}: {name} must be text")
    for name in ("id", "title", "url"):
        if not values[name]:
            raise DocsError(f"{where}: missing {name}")
    if not values["url"].startswith(("https://", "http://")):
        raise DocsError(f"{where}: url {values['url']!r} is not an http(s) URL")
    return DocEntry(**values)


def _label(source: str, unit: str, number: int, record: Any) -> str:
    """'catalogue.yaml: entry 12 (id 'deploy-rollback')', the prefix of every entry error."""
    doc_id = record.get("id") if isinstance(record, Mapping) else None
    return f"{source}: {unit} {number}" + (f" (id {str(doc_id)!r})" if doc_id else "")


def _first_problem(
    located: Sequence[tuple[str, DocEntry]], topics: Iterable[str] | None, source: str
) -> tuple[int, str] | None:
    """(position, message) of the first repeated id or url or unknown topic, if any."""
    known = sorted(set(topics)) if topics is not None else None
    first: dict[tuple[str, str], str] = {}
    for position, (where, entry) in enumerate(located):
        for name in ("id", "url"):
            key = (name, getattr(entry, name))
            if key in first:
                return position, f"{where}: duplicate {name} {key[1]!r}, also at {first[key]}"
            first[key] = where.removeprefix(f"{source}: ").split(" (id ")[0]
        for topic in entry.topics:
            if known is not None and topic not in known:
                close = difflib.get_close_matches(topic, known, n=1)
                hint = (
                    f"did you mean {close[0]!r}?"
                    if close
                    else f"known: {', '.join(known)}"
                    if len(known) <= 25
                    else f"not among the {len(known)} known topics"
                )
                return position, f"{where}: unknown topic {topic!r} ({hint})"
    return None


@dataclass(frozen=True)
class Catalogue:
    """Validated pages in a stable order; ``base_url`` is the indexer's, kept for re-runs."""

    entries: tuple[DocEntry, ...]
    source: str = "<catalogue>"
    base_url: str = ""

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def topics(self) -> list[str]:
        return sorted({topic for entry in self.entries for topic in entry.topics})

    @classmethod
    def from_records(
        cls,
        records: Iterable[tuple[str, Mapping[str, Any]]],
        source: str = "<catalogue>",
        topics: Iterable[str] | None = None,
        base_url: str = "",
    ) -> Catalogue:
        """Validate (location, record) pairs: fields, then unique ids and urls, then topics."""
        located = [(where, _entry(record, where)) for where, record in records]
        return cls._checked(located, source, topics, base_url)

    @classmethod
    def _checked(
        cls,
        located: list[tuple[str, DocEntry]],
        source: str,
        topics: Iterable[str] | None,
        base_url: str,
    ) -> Catalogue:
        problem = _first_problem(located, topics, source)
        if problem is not None:
            raise DocsError(problem[1])
        return cls(tuple(entry for _, entry in located), source, base_url)

    @classmethod
    def load(cls, path: str | Path, topics: Iterable[str] | None = None) -> Catalogue:
        """Read a .yaml/.yml or .csv catalogue; ``topics`` (e.g. the model's) rejects others."""
        path = Path(path)
        if not path.is_file():
            raise DocsError(f"{path}: no such catalogue file")
        suffix = path.suffix.lower()
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise DocsError(f"{path}: not valid utf-8 text") from None
        if suffix == ".csv":
            reader = csv.DictReader(io.StringIO(text, newline=""))
            if not reader.fieldnames:
                raise DocsError(f"{path}: empty file, expected a header row")
            records = [
                (_label(str(path), "line", reader.line_num, row), row)
                for row in ({k: v for k, v in r.items() if v not in (None, "")} for r in reader)
            ]
            return cls.from_records(records, str(path), topics)
        if suffix not in {".yaml", ".yml"}:
            raise DocsError(f"{path}: unsupported catalogue type {suffix!r}; use .yaml or .csv")
        try:
            raw = yaml.load(text, Loader=_Loader)
        except yaml.YAMLError as err:
            raise DocsError(f"{path}: not valid YAML ({_yaml_reason(err)})") from None
        base_url = ""
        if isinstance(raw, dict):
            if raw.get("format", CATALOGUE_FORMAT) != CATALOGUE_FORMAT:
                raise DocsError(
                    f"{path}: catalogue format {raw.get('format')!r}, this supportml reads "
                    f"{CATALOGUE_FORMAT}; re-run `supportml docs index`"
                )
            base_url = str(raw.get("base_url") or "")
            raw = raw.get("docs")
        if not isinstance(raw, list):
            raise DocsError(f"{path}: expected a list of docs (or a mapping with a 'docs' list)")
        records = [
            (_label(str(path), "entry", n, record), record) for n, record in enumerate(raw, 1)
        ]
        return cls.from_records(records, str(path), topics, base_url)

    def save(self, path: str | Path) -> None:
        """Write YAML in a stable order with text as literal blocks, so diffs stay readable."""
        path = Path(path)
        payload = {
            "format": CATALOGUE_FORMAT,
            "generated_by": "supportml docs index",
            "base_url": self.base_url,
            "docs": [entry.to_record() for entry in self.entries],
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("w", encoding="utf-8") as handle:
            yaml.dump(
                payload, handle, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100
            )
        tmp.replace(path)


# libyaml's safe loader and dumper when PyYAML has them: several times faster on big catalogues
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):
    """Multi-line strings as ``|`` blocks."""


_Dumper.add_representer(
    str,
    lambda dumper, value: dumper.represent_scalar(
        "tag:yaml.org,2002:str", value, style="|" if "\n" in value else None
    ),
)


def _yaml_reason(err: yaml.YAMLError, first_line: int = 1) -> str:
    """'line 3: mapping values are not allowed here', counting lines from ``first_line``."""
    mark = getattr(err, "problem_mark", None)
    problem = getattr(err, "problem", None) or str(err)
    return f"line {mark.line + first_line}: {problem}" if mark else " ".join(problem.split())


# -- reading pages ---------------------------------------------------------------------------
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


# -- indexing a docs tree --------------------------------------------------------------------
@dataclass(frozen=True)
class IndexResult:
    """A freshly indexed catalogue and what changed since the previous one."""

    catalogue: Catalogue
    added: int
    changed: int
    unchanged: int
    removed: int
    skipped: tuple[str, ...] = ()  # one-line reasons, only with skip_invalid

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
    """
    if not base_url.startswith(("http://", "https://")):
        raise DocsError(f"base url {base_url!r}: expected an http(s) URL")
    root = Path(root)
    files = page_files(root)
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
        data = path.read_bytes()
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


# -- ranking ---------------------------------------------------------------------------------
# fmt: off
_STOP_LIST = """
a about above after again against all also am an and any anyone anything are aren as at be
because been before being below between both but by can could did didn do does doesn doing don
down during each else etc ever every few for from further get gets getting got had has have
having he her here hers him his how i if in into is isn it its itself just know let like me
might more most my myself need needs no nor not now of off on once only or other our ours out
over own please pls plz same she should so some someone something still such than thank thanks
that the their them then there these they this those through thx to too ty under until up us
very want wanted was wasn way we were what when where whether which while who whom why will
with won would yet you your yours hi hey hello folks team everyone guys yall lol ok okay
question quick sure maybe really https http www com gov example
"""
# fmt: on
STOP_WORDS = frozenset(_STOP_LIST.split())
_WORD = re.compile(r"[a-z0-9]+")
_STEMS: dict[str, str] = {}


def stem(word: str) -> str:
    """A light suffix stripper (plurals, -ing, -ed, -ment, final -e), so that "deploys",
    "deployed", "deploying" and "deployment" meet; no dependency for a Porter stemmer."""
    cached = _STEMS.get(word)
    if cached is not None:
        return cached
    out = word
    if len(out) > 3 and not out.isdigit():
        if out.endswith("ies") and len(out) > 4:
            out = out[:-3] + "y"
        elif out.endswith("s") and not out.endswith(("ss", "us", "is")):
            out = out[:-1]
        for suffix in ("ment", "ing", "ed"):
            if out.endswith(suffix) and len(out) - len(suffix) >= 3:
                out = out[: -len(suffix)]
                if len(out) > 3 and out[-1] == out[-2] and out[-1] not in "lsz":
                    out = out[:-1]
                break
        if out.endswith("e") and len(out) > 4:
            out = out[:-1]
    if len(_STEMS) < 200_000:
        _STEMS[word] = out
    return out


def terms(text: str) -> list[tuple[str, str]]:
    """(stem, word) pairs of the searchable words: lowercase, no stop words, no one-letter words
    and no long numbers (ids, PR numbers), which match pages only by accident."""
    pairs = []
    for word in _WORD.findall(text.lower()):
        if len(word) < 2 or word in STOP_WORDS or (word.isdigit() and len(word) > 4):
            continue
        pairs.append((stem(word), word))
    return pairs


@dataclass(frozen=True)
class DocLink:
    """A page suggested for a request: its score and the request's words that matched it."""

    doc_id: str
    title: str
    url: str
    score: float
    reason: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "url": self.url,
            "score": round(self.score, 4),
            "reason": list(self.reason),
        }


class DocIndex:
    """Rank catalogue pages for a request.

    Pages are tf-idf vectors of their weighted fields (FIELD_WEIGHTS, sublinear tf per field, idf
    ln((n+1)/df)) and a request is scored by cosine similarity, computed from the posting lists
    of its own words only, so a search costs microseconds per matching page, not a pass over the
    whole matrix. The score is ``similarity * (1 - prior_weight + prior_weight * prior)``, where
    the prior is the probability the classifier gives to the page's topics (summed; pages without
    topics get NEUTRAL_PRIOR): a page whose topics the classifier believes in keeps its
    similarity, others lose up to ``prior_weight`` of it. Scores below ``min_score``, and pages
    sharing fewer than ``min_terms`` distinct words with the request, are dropped.
    """

    def __init__(
        self,
        catalogue: Catalogue,
        min_score: float = DEFAULT_MIN_SCORE,
        prior_weight: float = DEFAULT_PRIOR_WEIGHT,
        min_terms: int = DEFAULT_MIN_TERMS,
    ):
        if not 0 <= min_score <= 1:
            raise DocsError(f"min_score {min_score!r}: expected a number in [0, 1]")
        if not 0 <= prior_weight <= 1:
            raise DocsError(f"prior_weight {prior_weight!r}: expected a number in [0, 1]")
        self.catalogue = catalogue
        self.min_score = float(min_score)
        self.prior_weight = float(prior_weight)
        self.min_terms = max(1, int(min_terms))
        self.entries = catalogue.entries
        self.topics = catalogue.topics
        column = {topic: i for i, topic in enumerate(self.topics)}
        self._doc_topics = np.zeros((len(self.entries), len(self.topics)))
        for row, entry in enumerate(self.entries):
            self._doc_topics[row, [column[t] for t in entry.topics]] = 1.0
        self._topicless = ~self._doc_topics.any(axis=1)
        self._build()

    def __len__(self) -> int:
        return len(self.entries)

    @staticmethod
    def _term_weights(entry: DocEntry) -> dict[str, float]:
        """Sum over fields of FIELD_WEIGHTS[field] * (1 + ln count in that field)."""
        fields = {
            "title": entry.title,
            "headings": "\n".join(entry.headings),
            "keywords": "\n".join(entry.keywords),
            "summary": entry.summary,
            "body": entry.body,
        }
        weights: dict[str, float] = {}
        for name, text in fields.items():
            for term, count in Counter(term for term, _ in terms(text)).items():
                weight = FIELD_WEIGHTS[name] * (1.0 + math.log(count))
                weights[term] = weights.get(term, 0.0) + weight
        return weights

    def _build(self) -> None:
        vocabulary: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        values: list[float] = []
        for row, entry in enumerate(self.entries):
            for term, weight in self._term_weights(entry).items():
                rows.append(row)
                cols.append(vocabulary.setdefault(term, len(vocabulary)))
                values.append(weight)
        n_docs = len(self.entries)
        matrix = sparse.csc_matrix(
            (values, (rows, cols)), shape=(n_docs, len(vocabulary)), dtype=np.float64
        )
        df = np.diff(matrix.indptr)
        self._idf = np.log((n_docs + 1) / np.maximum(df, 1))
        matrix = matrix @ sparse.diags(self._idf)
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
        matrix = sparse.csc_matrix(sparse.diags(1 / np.maximum(norms, 1e-12)) @ matrix)
        matrix.sort_indices()
        self._vocabulary = vocabulary
        # posting lists: for term t, pages _docs[_start[t]:_start[t+1]] with weights _weights[…]
        self._start = matrix.indptr.astype(np.int64)
        self._docs = matrix.indices.astype(np.int64)
        self._weights = matrix.data

    def _prior(self, rows: np.ndarray, probabilities: Mapping[str, float] | None) -> np.ndarray:
        if probabilities is None:
            return np.ones(len(rows))
        p = np.array([float(probabilities.get(topic, 0.0)) for topic in self.topics])
        prior = np.minimum(self._doc_topics[rows] @ p, 1.0) if len(p) else np.zeros(len(rows))
        prior[self._topicless[rows]] = NEUTRAL_PRIOR
        return prior

    def search(
        self, text: str, topic_probabilities: Mapping[str, float] | None = None, k: int = 3
    ) -> list[DocLink]:
        """At most ``k`` links, best first, each scoring at least ``min_score``.

        ``topic_probabilities`` maps the classifier's topics to probabilities; without them the
        score is the lexical similarity alone.
        """
        query: dict[int, list] = {}  # term id -> [count, first word seen]
        for term, word in terms(text):
            index = self._vocabulary.get(term)
            if index is not None:
                query.setdefault(index, [0, word])[0] += 1
        if k <= 0 or not query:
            return []
        ids = np.fromiter(query, dtype=np.int64, count=len(query))
        counts = np.fromiter((v[0] for v in query.values()), dtype=np.float64, count=len(query))
        q = (1.0 + np.log(counts)) * self._idf[ids]
        q /= np.sqrt(q @ q)
        starts = self._start[ids]
        lengths = self._start[ids + 1] - starts
        # every (page, weight) of the query's posting lists, gathered without a Python loop
        ends = np.cumsum(lengths)
        positions = np.arange(ends[-1]) + np.repeat(starts - (ends - lengths), lengths)
        docs = self._docs[positions]
        contribution = self._weights[positions] * np.repeat(q, lengths)
        similarity = np.bincount(docs, contribution, minlength=len(self.entries))
        shared = np.bincount(docs, minlength=len(self.entries))  # distinct words in common
        rows = np.flatnonzero(
            (similarity >= self.min_score) & (similarity > 0) & (shared >= self.min_terms)
        )
        if not len(rows):
            return []
        w = self.prior_weight
        scores = similarity[rows] * (1 - w + w * self._prior(rows, topic_probabilities))
        keep = scores >= self.min_score
        rows, scores = rows[keep], scores[keep]
        order = np.lexsort((rows, -scores))[:k]
        term_of = np.repeat(ids, lengths)
        words = [v[1] for v in query.values()]
        position_of = {int(t): i for i, t in enumerate(ids)}
        links = []
        for i in order:
            row = int(rows[i])
            mine = docs == row
            top = np.argsort(-contribution[mine], kind="stable")[:MAX_REASON_TERMS]
            entry = self.entries[row]
            links.append(
                DocLink(
                    doc_id=entry.id,
                    title=entry.title,
                    url=entry.url,
                    score=float(scores[i]),
                    reason=tuple(words[position_of[int(t)]] for t in term_of[mine][top]),
                )
            )
        return links


def link_hits(
    links: Sequence[Sequence[DocLink]], expected: Sequence[str], ks: Sequence[int] = (1, 3)
) -> dict[str, float]:
    """hit@k: the share of requests whose resolving page is among the first k links shown
    (no link shown counts as a miss), and the share that got any link at all."""
    n = len(expected)
    result: dict[str, float] = {"rows": float(n)}
    for k in ks:
        hits = sum(
            doc in [link.doc_id for link in shown[:k]]
            for shown, doc in zip(links, expected, strict=True)
        )
        result[f"hit_at_{k}"] = hits / n if n else 0.0
    result["with_links"] = sum(bool(shown) for shown in links) / n if n else 0.0
    return result
