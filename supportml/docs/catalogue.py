"""The documentation catalogue: which pages exist, their topics and the text that is searched.

A catalogue lists pages (id, title, url, topics, summary, keywords and the text that is searched);
`supportml docs index` writes one from a folder of Markdown/HTML pages (`indexer`), or a team
writes it by hand as YAML or CSV. Every problem names the file and the entry.
"""

from __future__ import annotations

import csv
import difflib
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from supportml.errors import UserError

CATALOGUE_FORMAT = 1
_LIST_FIELDS = {"topics", "keywords", "headings"}


class DocsError(UserError):
    """A catalogue or docs page that cannot be used; the message names the file and entry."""


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
if TYPE_CHECKING:
    _DumperBase = yaml.SafeDumper
else:
    _DumperBase = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_DumperBase):
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
