"""Read the manual tracking sheet teams keep today (a CSV export of it) into request records.

The sheet has one row per request with columns like "Ticket ID, Submitted by, Date, Team,
Topic, Summary, Link, First reply time". Headers are matched to fields case- and
punctuation-insensitively (`DEFAULT_HEADERS`); ``--map COLUMN=FIELD`` overrides the match.

How a row becomes a request:

- A Slack permalink in the link column (``https://x.slack.com/archives/C0123/p1712345678123456``)
  gives the channel and ts, so the row and the same message imported from a Slack export are
  one request (pass the export's workspace id as ``workspace`` for that); the link's exact
  time is also the request's time. A link to a reply (``?thread_ts=…``) stands for its thread.
  Rows without a link get channel "sheet" (or the channel column) and ts
  ``sheet:<ticket id>``, or ``sheet:row-<hash of the row>`` when there is no ticket id; the
  import merges such a row into the stored message it duplicates (`supportml.ingest.duplicates`).
- Dates: ISO 8601 (``2026-11-27T14:03:00Z``, ``2026-11-27 14:03``), ``11/27/2026`` (or
  day first), ``Nov 27, 2026`` and ``November 27, 2026``, each with an optional time
  (``14:03``, ``2:03 PM``); times without a zone are in ``timezone`` (default UTC).
- First reply time: a date-time as above, or a duration after the request (``2h 15m``,
  ``45 min``, ``1d 3h``, ``1.5 hours``). A bare clock time or number is ambiguous and rejected.
- A row whose date or first reply time cannot be read, or whose summary is empty, is skipped
  with a reason (and counted); with ``strict`` it is an error naming the line and column.
  The file itself (encoding, delimiter, columns, quoting) must be right: one clear error.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from supportml.ingest.errors import IngestError
from supportml.ingest.records import ImportedRequest, Skipped
from supportml.vocabulary import LabelSource

# Field -> header names that fill it by default, most specific first.
DEFAULT_HEADERS: Mapping[str, tuple[str, ...]] = {
    "external_id": ("Ticket ID", "Ticket", "Ticket number", "ID"),
    "requester": ("Submitted by", "Requester", "Requested by", "Submitter", "User"),
    "created_at": ("Date", "Created at", "Submitted at", "Date submitted", "Time (UTC)", "Time"),
    "requester_team": ("Team", "Requester team", "Requesting team", "Product team"),
    "topic": ("Topic", "Request topic", "Category"),
    "text": ("Summary", "Summary of request", "Text", "Request", "Description"),
    "permalink": ("Link", "Message link", "Permalink", "Slack link", "URL"),
    "first_response_at": ("First reply time", "First reply", "First response", "Responded at"),
    "channel": ("Channel",),
}
FIELDS = tuple(DEFAULT_HEADERS)

_PERMALINK = re.compile(
    r"https?://[\w.-]+\.slack(?:-gov)?\.com/archives/([CGD][A-Z0-9]+)/p(\d{7,})(?:\?(\S*))?"
)
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_DURATION_PART = re.compile(
    r"(\d+(?:\.\d+)?)\s*(d|days?|h|hrs?|hours?|m|mins?|minutes?|s|secs?|seconds?)(?![a-z])", re.I
)
_DURATION = re.compile(rf"(?:{_DURATION_PART.pattern}[\s,]*(?:and\s+)?)+", re.I)
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_DATES = ("%m/%d/%Y", "%m/%d/%y", "%b %d %Y", "%B %d %Y", "%d %b %Y", "%d %B %Y", "%Y/%m/%d")
_TIMES = ("", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p", " %I:%M%p", " %I%p")


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def parse_map(pairs: Sequence[str]) -> dict[str, str]:
    """``["Opened=created_at", …]`` (the CLI's repeated ``--map``) as ``{column: field}``."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        column, sep, name = pair.rpartition("=")
        if not sep or not column.strip() or not name.strip():
            raise IngestError(f"--map {pair!r}: expected COLUMN=FIELD, e.g. 'Opened=created_at'")
        mapping[column.strip()] = name.strip()
    return mapping


def parse_permalink(link: str) -> tuple[str, str] | None:
    """(channel id, ts) of a Slack message link; the thread's ts for a link to a reply."""
    match = _PERMALINK.search(link)
    if match is None:
        return None
    digits = match[2]
    ts = f"{digits[:-6]}.{digits[-6:]}"
    thread = parse_qs(match[3] or "").get("thread_ts", [""])[0]
    if re.fullmatch(r"\d+\.\d{6}", thread):
        ts = thread
    return match[1], ts


def parse_duration(value: str) -> timedelta | None:
    """``2h 15m``, ``45 min``, ``1d 3h``, ``1.5 hours``; None if it is not a duration."""
    if not _DURATION.fullmatch(value.strip()):
        return None
    seconds = sum(
        float(amount) * _UNIT_SECONDS[unit[0].lower()]
        for amount, unit in _DURATION_PART.findall(value)
    )
    return timedelta(seconds=seconds)


class DateParser:
    """Reads the date formats people type into sheets; remembers the last format that worked."""

    def __init__(self, zone: tzinfo = UTC, dayfirst: bool = False) -> None:
        self.zone = zone
        dates = [d.replace("%m/%d", "%d/%m") for d in _DATES] if dayfirst else list(_DATES)
        self.formats = [d + t for d in dates for t in _TIMES]

    def __call__(self, value: str) -> datetime | None:
        """UTC datetime of ``value``; None if it is empty or in no known format."""
        text = " ".join(value.replace(",", " ").replace(" at ", " ").split())
        if not text:
            return None
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            fallback = self._strptime(text)
            if fallback is None:
                return None
            parsed = fallback
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=self.zone)
        return parsed.astimezone(UTC)

    def _strptime(self, text: str) -> datetime | None:
        for index, fmt in enumerate(self.formats):
            try:
                parsed = datetime.strptime(text, fmt)
            except ValueError:
                continue
            if index:
                self.formats.insert(0, self.formats.pop(index))
            return parsed
        return None


def _decode(path: Path, encoding: str) -> str:
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise IngestError(f"{path}: unknown encoding {encoding!r}") from None
    raw = path.read_bytes()
    if raw.startswith(b"PK\x03\x04"):
        raise IngestError(f"{path}: this is a workbook (xlsx), not CSV; save the sheet as CSV")
    try:
        return raw.decode("utf-8-sig" if codec == "utf-8" else codec)
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise IngestError(
            f"{path}: line {line}: not valid {encoding} text; pass --encoding, e.g. cp1252"
        ) from None


def _delimiter(path: Path, header: list[str], delimiter: str) -> None:
    """A header read as one column that contains another delimiter means the wrong one."""
    if len(header) != 1:
        return
    for other, name in ((",", "','"), (";", "';'"), ("\t", "tab"), ("|", "'|'")):
        if other != delimiter and other in header[0]:
            flag = "tab" if other == "\t" else other
            raise IngestError(
                f"{path}: line 1: the header looks {name}-delimited; pass --delimiter '{flag}'"
            )


def _columns(path: Path, header: list[str], mapping: Mapping[str, str] | None) -> dict[str, int]:
    """Field -> column index: the map's pairs first, then the default header names."""
    names = ", ".join(repr(h) for h in header)
    chosen: dict[str, int] = {}
    for column, name in (mapping or {}).items():
        if name not in FIELDS:
            raise IngestError(
                f"--map {column}={name}: unknown field {name!r}; fields: {', '.join(FIELDS)}"
            )
        index = next((i for i, h in enumerate(header) if h == column), None)
        if index is None:
            index = next((i for i, h in enumerate(header) if _key(h) == _key(column)), None)
        if index is None:
            raise IngestError(
                f"{path}: --map {column}={name}: no column {column!r}; columns: {names}"
            )
        chosen[name] = index
    taken = set(chosen.values())
    keys = [_key(h) for h in header]
    for name, candidates in DEFAULT_HEADERS.items():
        if name in chosen:
            continue
        for candidate in candidates:
            index = next(
                (i for i, k in enumerate(keys) if k == _key(candidate) and i not in taken), None
            )
            if index is not None:
                chosen[name] = index
                break
    for name, why in (("text", "the request's text"), ("created_at", "the request's date")):
        if name in chosen or (name == "created_at" and "permalink" in chosen):
            continue
        looked = ", ".join(DEFAULT_HEADERS[name])
        raise IngestError(
            f"{path}: no column for {name} ({why}; looked for {looked}); columns: {names}; "
            f"name one with --map COLUMN={name}"
        )
    return chosen


def read_spreadsheet(
    path: str | Path,
    mapping: Mapping[str, str] | None = None,
    *,
    encoding: str = "utf-8",
    delimiter: str | None = None,
    timezone: str = "UTC",
    workspace: str = "default",
    dayfirst: bool = False,
    strict: bool = False,
) -> Iterator[ImportedRequest | Skipped]:
    """Every data row of a tracking-sheet CSV, as a request or a `Skipped` with its reason.

    The file's encoding, delimiter, header and ``mapping`` ({column: field}) are checked before
    this returns; rows are read as the iterator is consumed. ``delimiter`` may be ``"tab"``.
    """
    path = Path(path)
    if not path.is_file():
        raise IngestError(f"{path}: no such file")
    sep = "\t" if delimiter in ("tab", "\\t") else delimiter or ","
    if len(sep) != 1:
        raise IngestError(f"--delimiter {delimiter!r}: expected one character, or 'tab'")
    try:
        zone: tzinfo = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise IngestError(
            f"--timezone {timezone!r}: unknown time zone, e.g. America/New_York"
        ) from None
    text = _decode(path, encoding)
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
    try:
        header = [h.strip() for h in next(rows, [])]
    except csv.Error as err:
        raise IngestError(f"{path}: line 1: malformed CSV ({err})") from None
    if not any(header):
        raise IngestError(f"{path}: empty file, expected a header row")
    _delimiter(path, header, sep)
    columns = _columns(path, header, mapping)
    sheet = _Sheet(path, header, columns, DateParser(zone, dayfirst), workspace, strict)
    return sheet.records(rows)


class _Sheet:
    """The checked header and options of one sheet; turns its rows into records."""

    def __init__(
        self,
        path: Path,
        header: list[str],
        columns: dict[str, int],
        dates: DateParser,
        workspace: str,
        strict: bool,
    ) -> None:
        self.path = path
        self.header = header
        self.columns = columns
        self.dates = dates
        self.workspace = workspace
        self.strict = strict

    def records(self, rows: Any) -> Iterator[ImportedRequest | Skipped]:
        """``rows`` is the csv.reader positioned after the header."""
        line = 1  # csv.reader's line_num counts physical lines, so multi-line cells stay right
        while True:
            try:
                cells = next(rows)
            except StopIteration:
                return
            except csv.Error as err:
                raise IngestError(f"{self.path}: line {line + 1}: malformed CSV ({err})") from None
            start, line = line + 1, rows.line_num
            yield self._row(cells, start)

    def _row(self, cells: list[str], line: int) -> ImportedRequest | Skipped:
        origin = f"{self.path.name}:line {line}"
        if len(cells) > len(self.header) and any(c.strip() for c in cells[len(self.header) :]):
            raise IngestError(
                f"{self.path}: line {line}: {len(cells)} fields but the header has "
                f"{len(self.header)} columns; check the delimiter and quoting"
            )
        values = {
            name: cells[index].strip() if index < len(cells) else ""
            for name, index in self.columns.items()
        }
        if not any(c.strip() for c in cells):
            return Skipped(origin, "blank row")
        if not values.get("text"):
            return self._skip(line, "empty summary", "text", "")
        link = values.get("permalink", "")
        slack = parse_permalink(link) if link else None
        if slack is not None:
            channel, ts = slack
            seconds, micros = ts.split(".")
            created_at = datetime.fromtimestamp(int(seconds), UTC) + timedelta(
                microseconds=int(micros)
            )
        else:
            typed = values.get("created_at", "")
            created = self.dates(typed)
            if created is None:
                return self._skip(line, "bad date" if typed else "no date", "created_at", typed)
            created_at = created
            channel = values.get("channel", "").lstrip("#") or "sheet"
            ticket = values.get("external_id", "")
            if ticket and len(ticket) <= 64:
                ts = f"sheet:{ticket}"
            else:
                who = (values.get(k, "") for k in ("requester", "created_at", "text"))
                digest = hashlib.sha256("\x1f".join(who).encode()).hexdigest()[:16]
                ts = f"sheet:row-{digest}"
        first_response_at = None
        reply = values.get("first_response_at", "")
        if reply:
            delay = parse_duration(reply)
            first_response_at = created_at + delay if delay is not None else self.dates(reply)
            if first_response_at is None:
                return self._skip(line, "bad first reply time", "first_response_at", reply)
            if first_response_at < created_at:
                return self._skip(
                    line, "first reply before the request", "first_response_at", reply
                )
        requester = values.get("requester", "")
        mention = _MENTION.fullmatch(requester)
        topic = values.get("topic") or None
        return ImportedRequest(
            channel=channel,
            ts=ts,
            text=values["text"],
            created_at=created_at,
            origin=origin,
            workspace=self.workspace,
            requester=(mention[1] if mention else requester) or None,
            requester_team=values.get("requester_team") or None,
            topic=topic,
            label_source=LabelSource.IMPORT if topic else None,
            first_response_at=first_response_at,
            external_id=values.get("external_id") or None,
            permalink=link or None,
            linked=slack is not None,
        )

    def _skip(self, line: int, reason: str, name: str, value: str) -> Skipped:
        """A row that cannot be imported: skipped and counted, or with ``strict`` an error."""
        if self.strict:
            column = self.header[self.columns[name]] if name in self.columns else name
            raise IngestError(f"{self.path}: line {line}: {reason} in {column!r}: {value!r}")
        return Skipped(f"{self.path.name}:line {line}", reason)
