"""Read a Slack workspace export (a .zip, or the folder it unzips to) into request records.

An export holds ``channels.json``, ``users.json`` and one folder per channel with one
``YYYY-MM-DD.json`` array of messages per day. Replies are filed under the day they were
written, so threads are rebuilt per channel from ``thread_ts`` before any request is yielded;
memory grows with one channel's requests and a few numbers per reply, not with the export.

What becomes a request (`supportml.messages.judge`, the rule the live responder uses too), and
how its thread is read (see `ExportOptions` for the knobs):

- A top-level message by a human (``file_share`` and ``me_message`` included) is a request,
  source "import". With no text but files attached, the file titles are its text, so a pasted
  screenshot is still counted; with neither it is skipped as "empty message".
- A bot message whose text or blocks carry form fields (``*Topic*\\nDeploy`` or ``Topic: Deploy``,
  at least two of the known labels) is a Workflow Builder form post: source "workflow", topic
  from the form (label source "form"), team from the form, text = summary (+ details), and the
  requester is the ``<@U…>`` named as submitter (or mentioned before the first field).
- Everything else is yielded as `Skipped` with a short, countable reason: thread replies
  (including ``thread_broadcast``), joins and leaves, other channel events, bot chatter, edit and
  delete events, deleted-message tombstones.
- First response: the earliest reply by a human other than the requester; failing that, a
  response reaction (default 👀) by such a person. Exports carry no reaction times, so a
  reaction-only response sets ``first_responder`` and leaves ``first_response_at`` empty.
- Resolution: the earliest human reply containing a resolution keyword (its ts is
  ``resolved_at``), else a resolution reaction (default ✅) on the request, by anyone human;
  a reaction's time is unknown, so ``resolved_at`` is then the latest human reply, the last
  thing known to happen before the thread was closed (empty when nobody replied). The
  resolution is "docs" when the resolving reply also contains a docs keyword, else "human".
- Replies: every human reply of the thread (who, when, staff or not by the first-response rule,
  its length; no text) goes with its request, for the effort estimate (`supportml.effort`).
- Workspace: `ExportOptions.workspace` if given, else the message's ``team``, else the
  workspace most users in ``users.json`` belong to, else "default".
"""

from __future__ import annotations

import json
import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any

from supportml.ingest.errors import IngestError
from supportml.ingest.records import ImportedReply, ImportedRequest, Skipped
from supportml.messages import FORM_LABELS, SLACKBOT, Kind, judge, message_text, staff_reply
from supportml.vocabulary import LabelSource, Resolution, Source

_DAY_FILE = re.compile(r"\d{4}-\d{2}-\d{2}\.json")
_TS = re.compile(r"(\d{1,12})\.(\d{1,6})")


GiB = 1 << 30
_SMALL = 1 << 20  # a member may always expand to 1 MiB, whatever its compression ratio


@dataclass(frozen=True)
class ZipLimits:
    """How far a zipped export may expand: a 3 MB zip must not become 3 GiB in memory.

    Checked on the zip's central directory before anything is read. While reading, `zipfile`
    inflates a member only up to the size the directory declares and fails its CRC when the data
    goes on, so a header that understates a member is a corrupt export, never more memory
    (tests/ingest/test_slack_export_limits.py checks both). A member expanding to at most 1 MiB
    is exempt from the ratio: small JSON compresses well.
    """

    max_bytes: int = 2 * GiB  # uncompressed total of the members
    max_members: int = 100_000
    max_ratio: float = 100.0  # uncompressed / compressed size of one member


@dataclass(frozen=True)
class ExportOptions:
    """How a thread is read; defaults follow the emoji and phrases support staff use today."""

    response_reactions: frozenset[str] = frozenset({"eyes"})
    resolution_reactions: frozenset[str] = frozenset({"white_check_mark", "heavy_check_mark"})
    resolution_keywords: tuple[str, ...] = (
        "resolved",
        "fixed now",
        "closing this",
        "closing the ticket",
        "all set now",
    )
    docs_keywords: tuple[str, ...] = ("docs", "documentation", "runbook", "readme", "user guide")
    workspace: str | None = None  # overrides the messages' own team ids
    user_teams: Mapping[str, str] = field(default_factory=dict)  # user id -> product team
    form_labels: Mapping[str, str] = field(default_factory=lambda: dict(FORM_LABELS))
    limits: ZipLimits = ZipLimits()


@dataclass(frozen=True)
class Channel:
    """A channel of the export: its id (what requests are keyed by) and its folder name."""

    id: str
    name: str


def _phrases(words: Sequence[str]) -> re.Pattern[str] | None:
    """Any phrase as whole words, any case, not asked as a question ("is this resolved?")."""
    alternatives = "|".join(re.escape(w.strip()) for w in words if w.strip())
    if not alternatives:
        return None
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)(?!\s*\?)", re.IGNORECASE)


def _micros(ts: str) -> int | None:
    """Slack's "1712345678.123456" as integer microseconds (exact, sortable); None if malformed."""
    match = _TS.fullmatch(ts)
    if match is None:
        return None
    return int(match[1]) * 1_000_000 + int(match[2].ljust(6, "0"))


def _datetime(micros: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)


# --- the archive -------------------------------------------------------------------------


class _Archive:
    """The export's files, from a zip or an unzipped folder, named relative to channels.json."""

    def __init__(self, path: Path, limits: ZipLimits = ZipLimits()) -> None:
        self.name = path.name
        self._zip: zipfile.ZipFile | None = None
        if path.is_dir():
            found = min(path.rglob("channels.json"), key=lambda p: len(p.parts), default=None)
            base = found.parent if found else path
            self.files: dict[str, str | Path] = {
                p.relative_to(base).as_posix(): p for p in base.rglob("*.json") if p.is_file()
            }
        else:
            try:
                self._zip = zipfile.ZipFile(path)
            except zipfile.BadZipFile:
                raise IngestError(
                    f"{path}: not a zip file, or a truncated one; pass the .zip Slack exported "
                    "(or the folder it unzips to)"
                ) from None
            except OSError as err:
                raise IngestError(f"{path}: cannot read ({err.strerror or err})") from None
            try:
                self._check_directory(path, limits)
            except IngestError:
                self._zip.close()
                raise
            names = [n for n in self._zip.namelist() if not n.endswith("/")]
            listings = [n for n in names if PurePosixPath(n).name == "channels.json"]
            prefix = min(listings, key=len)[: -len("channels.json")] if listings else ""
            self.files = {n[len(prefix) :]: n for n in names if n.startswith(prefix)}
        if "channels.json" not in self.files:
            raise IngestError(
                f"{path}: no channels.json; is this a Slack workspace export? (it needs "
                "channels.json, users.json and one folder per channel)"
            )

    def _check_directory(self, path: Path, limits: ZipLimits) -> None:
        """The limits against what the central directory declares, before anything is read."""
        assert self._zip is not None
        members = self._zip.infolist()
        if len(members) > limits.max_members:
            raise IngestError(
                f"{path}: {len(members):,} members, more than the limit of {limits.max_members:,} "
                "(--max-members / SUPPORTML_EXPORT_MAX_MEMBERS)"
            )
        total = sum(info.file_size for info in members)
        if total > limits.max_bytes:
            raise IngestError(
                f"{path}: expands to {_size(total)}, more than the limit of "
                f"{_size(limits.max_bytes)} (--max-bytes / SUPPORTML_EXPORT_MAX_BYTES)"
            )
        for info in members:
            if info.file_size > max(_SMALL, limits.max_ratio * info.compress_size):
                raise IngestError(
                    f"{path}:{info.filename}: compressed more than {limits.max_ratio:g} to 1, a "
                    "zip bomb? (--max-ratio / SUPPORTML_EXPORT_MAX_RATIO)"
                )

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def where(self, name: str) -> str:
        return f"{self.name}:{name}"

    def read_json(self, name: str) -> Any:
        """Parsed JSON of one member; a corrupt member or invalid JSON is one clear error."""
        member = self.files[name]
        try:
            zipped = self._zip
            raw = zipped.read(str(member)) if zipped is not None else Path(member).read_bytes()
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as err:
            raise IngestError(
                f"{self.where(name)}: cannot read ({err}); the export looks truncated or corrupt"
            ) from None
        try:
            return json.loads(raw)
        except UnicodeDecodeError:
            raise IngestError(f"{self.where(name)}: not UTF-8 JSON") from None
        except RecursionError:  # json's parser recurses per level: [[[[…]]]] 200k deep
            raise IngestError(f"{self.where(name)}: JSON nested too deeply to read") from None
        except json.JSONDecodeError as err:
            raise IngestError(
                f"{self.where(name)}: line {err.lineno} column {err.colno}: not valid JSON "
                f"({err.msg})"
            ) from None


def _size(count: float) -> str:
    """Bytes for people: 3.0 GiB, 512.0 MiB, 900 B."""
    for unit in ("B", "KiB", "MiB"):
        if count < 1024:
            return f"{count:.1f} {unit}" if unit != "B" else f"{count:.0f} B"
        count /= 1024
    return f"{count:.1f} GiB"


def _channels(archive: _Archive) -> list[Channel]:
    found: list[Channel] = []
    for listing in ("channels.json", "groups.json"):  # groups.json: private channels, if exported
        if listing not in archive.files:
            continue
        entries = archive.read_json(listing)
        if not isinstance(entries, list):
            raise IngestError(f"{archive.where(listing)}: expected a JSON array of channels")
        for index, entry in enumerate(entries):
            for key in ("id", "name"):
                if not isinstance(entry, dict) or not isinstance(entry.get(key), str):
                    raise IngestError(f"{archive.where(listing)}: channel [{index}] has no {key!r}")
            found.append(Channel(entry["id"], entry["name"]))
    return found


def _users(archive: _Archive) -> tuple[set[str], str | None]:
    """Ids of bot users, and the workspace id most users share (None if users.json lacks it)."""
    bots = {SLACKBOT}
    if "users.json" not in archive.files:
        return bots, None
    entries = archive.read_json("users.json")
    if not isinstance(entries, list):
        raise IngestError(f"{archive.where('users.json')}: expected a JSON array of users")
    teams: Counter[str] = Counter()
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise IngestError(f"{archive.where('users.json')}: user [{index}] has no 'id'")
        if entry.get("is_bot") or entry.get("is_app_user"):
            bots.add(entry["id"])
        if isinstance(entry.get("team_id"), str):
            teams[entry["team_id"]] += 1
    return bots, (teams.most_common(1)[0][0] if teams else None)


def _select(available: list[Channel], wanted: Sequence[str], path: Path) -> list[Channel]:
    names = ", ".join(sorted(c.name for c in available)) or "none"
    if not wanted:
        raise IngestError(f"{path}: choose at least one channel with --channel; available: {names}")
    chosen: list[Channel] = []
    for want in wanted:
        key = want.lstrip("#")
        match = next((c for c in available if key in (c.name, c.id)), None)
        if match is None:
            raise IngestError(f"{path}: no channel {want!r} in the export; available: {names}")
        if match not in chosen:
            chosen.append(match)
    return chosen


# --- reading -----------------------------------------------------------------------------


@dataclass
class _Request:
    """A request whose thread is still being collected."""

    micros: int
    fields: dict[str, Any]
    reactions: list[tuple[str, list[str]]]


@dataclass(frozen=True)
class _Reply:
    """What the rules need of a reply: when, who, and whether its text closes the thread."""

    ts: str
    length: int
    micros: int
    user: str | None
    human: bool
    resolves: bool
    docs: bool


class _Reader:
    def __init__(
        self, archive: _Archive, options: ExportOptions, bots: set[str], workspace: str
    ) -> None:
        self.archive = archive
        self.options = options
        self.bots = bots
        self.workspace = workspace
        self.resolves = _phrases(options.resolution_keywords)
        self.docs = _phrases(options.docs_keywords)

    def channel(self, channel: Channel) -> Iterator[ImportedRequest | Skipped]:
        days = sorted(
            name
            for name in self.archive.files
            if name.startswith(f"{channel.name}/")
            and _DAY_FILE.fullmatch(name[len(channel.name) + 1 :])
        )
        requests: dict[str, _Request] = {}
        replies: dict[str, list[_Reply]] = {}
        for day in days:
            where = self.archive.where(day)
            messages = self.archive.read_json(day)
            if not isinstance(messages, list):
                kind = type(messages).__name__.replace("dict", "object")
                raise IngestError(f"{where}: expected a JSON array of messages, found {kind}")
            for index, message in enumerate(messages):
                skipped = self._message(channel, message, where, index, requests, replies)
                if skipped is not None:
                    yield Skipped(f"{where}#{index}", skipped)
        for ts, request in sorted(requests.items(), key=lambda item: item[1].micros):
            yield self._finish(ts, request, replies.get(ts, []))

    def _message(
        self,
        channel: Channel,
        message: Any,
        where: str,
        index: int,
        requests: dict[str, _Request],
        replies: dict[str, list[_Reply]],
    ) -> str | None:
        """File one message as a request or a reply; the skip reason if it is not a request."""
        if not isinstance(message, dict):
            raise IngestError(f"{where}: message [{index}] is not a JSON object")
        ts = message.get("ts")
        micros = _micros(ts) if isinstance(ts, str) else None
        if micros is None:
            problem = "has no 'ts'" if ts is None else f"has a malformed 'ts' {ts!r}"
            raise IngestError(f"{where}: message [{index}] {problem}")
        judged = judge(message, self.bots, self.options.form_labels)
        if judged.kind == Kind.REPLY:
            text = message.get("text")
            text = text if isinstance(text, str) else ""
            replies.setdefault(str(judged.thread_ts), []).append(
                _Reply(
                    ts=judged.ts,
                    length=len(message_text(message)),
                    micros=micros,
                    user=judged.user,
                    human=judged.human,
                    resolves=bool(self.resolves and self.resolves.search(text)),
                    docs=bool(self.docs and self.docs.search(text)),
                )
            )
            return "thread reply"
        if judged.kind in (Kind.EDIT, Kind.DELETE):
            return judged.kind.value
        if judged.kind == Kind.NOISE:
            return judged.reason
        workspace = self.options.workspace or message.get("team") or self.workspace
        fields: dict[str, Any] = {
            "channel": channel.id,
            "channel_name": channel.name,
            "origin": f"{where}#{index}",
            "workspace": workspace,
            "text": judged.text,
            "requester": judged.user,
        }
        if judged.kind == Kind.FORM:
            fields.update(
                source=Source.WORKFLOW,
                requester_team=judged.team,
                topic=judged.topic,
                label_source=LabelSource.FORM if judged.topic else None,
            )
        else:
            fields.update(
                source=Source.IMPORT, requester_team=self.options.user_teams.get(judged.user or "")
            )
        reactions = [
            (str(r.get("name")), [u for u in r.get("users") or () if isinstance(u, str)])
            for r in message.get("reactions") or ()
            if isinstance(r, dict)
        ]
        if judged.ts in requests:
            return "duplicate message"  # the same ts twice: the first one is the request
        requests[judged.ts] = _Request(micros, fields, reactions)
        return None

    def _finish(self, ts: str, request: _Request, thread: list[_Reply]) -> ImportedRequest:
        fields = request.fields
        requester = fields.get("requester")
        thread.sort(key=lambda r: r.micros)
        human = [r for r in thread if r.human]
        answer = next((r for r in human if staff_reply(r.user, requester)), None)
        first_at, responder = None, None
        if answer is not None:
            first_at, responder = _datetime(answer.micros), answer.user
        else:
            responder = next(
                (
                    user
                    for name, users in request.reactions
                    if name in self.options.response_reactions
                    for user in users
                    if staff_reply(user, requester) and user not in self.bots
                ),
                None,
            )
        resolved_at, resolution = None, None
        closing = next((r for r in human if r.resolves), None)
        if closing is not None:
            resolved_at = _datetime(closing.micros)
            resolution = Resolution.DOCS if closing.docs else Resolution.HUMAN
        elif any(
            name in self.options.resolution_reactions and any(u not in self.bots for u in users)
            for name, users in request.reactions
        ):
            resolved_at = _datetime(human[-1].micros) if human else None
            resolution = Resolution.HUMAN
        return ImportedRequest(
            ts=ts,
            created_at=_datetime(request.micros),
            thread_ts=ts if thread else None,
            first_response_at=first_at,
            first_responder=responder,
            resolved_at=resolved_at,
            resolution=resolution,
            replies=tuple(
                ImportedReply(
                    r.ts, r.user, _datetime(r.micros), staff_reply(r.user, requester), r.length
                )
                for r in human
            ),
            **fields,
        )


def read_slack_export(
    path: str | Path, channels: Sequence[str], options: ExportOptions | None = None
) -> Iterator[ImportedRequest | Skipped]:
    """Every message of the chosen channels, as a request or a `Skipped` with its reason.

    ``channels`` are names as shown in Slack (a leading ``#`` and channel ids work too). The
    archive, its channel list and the channel names are checked before this returns, so a wrong
    file or channel fails at once; a bad day file fails when iteration reaches it. Each
    channel's requests come after its skipped messages, in time order.
    """
    path = Path(path)
    if not path.exists():
        raise IngestError(f"{path}: no such file")
    options = options or ExportOptions()
    archive = _Archive(path, options.limits)
    try:
        chosen = _select(_channels(archive), channels, path)
        bots, workspace = _users(archive)
    except BaseException:
        archive.close()
        raise
    return _records(archive, chosen, _Reader(archive, options, bots, workspace or "default"))


def _records(
    archive: _Archive, chosen: list[Channel], reader: _Reader
) -> Iterator[ImportedRequest | Skipped]:
    try:
        for channel in chosen:
            yield from reader.channel(channel)
    finally:
        archive.close()
