"""Who owns a topic and who is on support for it now: the ownership file (teams YAML).

A team owns topics, has members (Slack user ids), optionally a Slack user group, and an
on-support rotation: its members in weekly order, handed over on one weekday at one local time
in an IANA time zone, with dated overrides (holidays, swaps). The hand-over follows the local
wall clock, so a 09:00 Monday hand-over stays at 09:00 across daylight-saving changes.

The file is read from YAML nodes rather than `yaml.safe_load`, for two reasons: every error can
name its line, and scalars stay the text people typed (PyYAML would read ``10:00`` as the
sexagesimal number 600 and ``2026-12-24`` as a date, but not ``2026-12-24 09:00``). Every
problem in the file is collected and reported at once, one line each, before anything uses it.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from supportml.errors import UserError

USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")  # Slack user ids (W… on Enterprise Grid)
GROUP_ID = re.compile(r"^S[A-Z0-9]{2,}$")  # Slack user group ids
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
HANDOVER = re.compile(r"^\s*([A-Za-z]+)\s+(\d{1,2}):(\d{2})\s*$")
LINT_MAX_WEEKS = 52
UTC_ZONE = ZoneInfo("UTC")  # how far ahead `lint` looks for people on two rotations at once

TEAM_KEYS = {"name", "topics", "members", "user_group", "rotation"}
ROTATION_KEYS = {"order", "handover", "timezone", "start", "overrides"}
OVERRIDE_KEYS = {"user", "from", "until"}


class OwnershipError(UserError):
    """An ownership file that cannot be used: one line per problem, all of them."""


@dataclass(frozen=True)
class Override:
    """``user`` is on support from ``start`` until ``end`` (aware, end excluded)."""

    user: str
    start: datetime
    end: datetime
    line: int = 0


@dataclass(frozen=True)
class Rotation:
    """Members in weekly order; ``order[0]`` takes over at the hand-over on ``start``."""

    order: tuple[str, ...]
    weekday: int  # Monday is 0
    at: time
    zone: ZoneInfo
    start: date
    overrides: tuple[Override, ...] = ()

    def handover_before(self, moment: datetime) -> datetime:
        """The last hand-over at or before ``moment`` (aware, in the rotation's zone)."""
        local = moment.astimezone(self.zone)
        day = local.date() - timedelta(days=(local.weekday() - self.weekday) % 7)
        handover = datetime.combine(day, self.at, self.zone)
        if handover.astimezone(UTC) > moment.astimezone(UTC):
            handover = datetime.combine(day - timedelta(days=7), self.at, self.zone)
        return handover

    def on_support(self, moment: datetime) -> str | None:
        """The last matching override's user, else whose week it is (the order repeats, also
        backwards before ``start``); None when the order is empty."""
        for override in reversed(self.overrides):
            if override.start <= moment < override.end:
                return override.user
        if not self.order:
            return None
        weeks = (self.handover_before(moment).date() - self.start).days // 7
        return self.order[weeks % len(self.order)]


@dataclass(frozen=True)
class Team:
    name: str
    topics: tuple[str, ...]
    members: tuple[str, ...]
    user_group: str | None = None
    rotation: Rotation | None = None
    line: int = 0
    topic_lines: tuple[int, ...] = ()


@dataclass(frozen=True)
class Ownership:
    """A validated ownership file: topic → team, team → who is on support at a moment."""

    path: Path
    by_name: Mapping[str, Team]  # lower-cased name -> team, in file order
    owners: Mapping[str, str] = field(default_factory=dict)  # lower-cased topic -> team name

    @property
    def teams(self) -> tuple[str, ...]:
        """Team names as written, in file order."""
        return tuple(team.name for team in self.by_name.values())

    def team(self, name: str) -> Team | None:
        return self.by_name.get(name.strip().lower())

    def team_for(self, topic: str | None) -> str | None:
        """The team owning ``topic`` (any case), or None."""
        return None if topic is None else self.owners.get(topic.strip().lower())

    def on_support(self, team: str, at: datetime) -> str | None:
        """Slack user id on support for ``team`` at ``at`` (a naive time is UTC); None for an
        unknown team or one with nobody on its rotation."""
        found = self.team(team)
        if found is None or found.rotation is None:
            return None
        return found.rotation.on_support(at if at.tzinfo else at.replace(tzinfo=UTC))

    def lint(self, known_topics: Iterable[str] | None, since: datetime | None = None) -> list[str]:
        """Problems that do not stop the file from loading, one line each: a topic the model
        does not know (``known_topics`` None skips this), a team nobody is on rotation for, and
        a person on two teams' rotations at once within the next weeks (from ``since``)."""
        findings: list[str] = []
        if known_topics is not None:
            known = {topic.lower(): topic for topic in known_topics}
            for team in self.by_name.values():
                for topic, line in zip(team.topics, team.topic_lines, strict=True):
                    if topic.lower() not in known:
                        close = difflib.get_close_matches(topic, list(known.values()), n=1)
                        hint = f" (did you mean {close[0]!r}?)" if close else ""
                        findings.append(
                            f"{self.path} line {line}: team {team.name!r}: topic {topic!r} is "
                            f"not a topic of the model{hint}"
                        )
        for team in self.by_name.values():
            if team.rotation is None or not team.rotation.order:
                findings.append(
                    f"{self.path} line {team.line}: team {team.name!r}: empty rotation, "
                    "nobody is mentioned for its requests"
                )
        since = since or datetime.now(UTC)
        findings.extend(self._double_duty(since if since.tzinfo else since.replace(tzinfo=UTC)))
        return findings

    def _double_duty(self, since: datetime) -> list[str]:
        """One finding per person and pair of teams whose on-support times overlap, naming the
        first day (UTC) it happens. The schedule is piecewise constant between hand-overs and
        override boundaries, so checking each such piece is exact."""
        rotations = [(t, t.rotation) for t in self.by_name.values() if t.rotation is not None]
        if len(rotations) < 2:
            return []
        weeks = 1
        for _, rotation in rotations:
            weeks = math.lcm(weeks, max(len(rotation.order), 1))
        until = since + timedelta(weeks=min(weeks, LINT_MAX_WEEKS))
        pieces: dict[str, list[tuple[datetime, datetime, str]]] = {}  # user -> (from, to, team)
        for team, rotation in rotations:
            cuts = {since, until}
            moment = rotation.handover_before(since)
            while moment < until:
                cuts.add(moment.astimezone(UTC))
                moment = datetime.combine(
                    moment.date() + timedelta(days=7), rotation.at, rotation.zone
                )
            cuts |= {o.start for o in rotation.overrides} | {o.end for o in rotation.overrides}
            ordered = sorted(c.astimezone(UTC) for c in cuts if since <= c <= until)
            for start, end in zip(ordered, ordered[1:], strict=False):
                user = rotation.on_support(start)
                if user is not None and start < end:
                    pieces.setdefault(user, []).append((start, end, team.name))
        findings = []
        for user, spans in pieces.items():
            clashes: dict[tuple[str, str], datetime] = {}
            spans.sort()
            for i, (start, end, name) in enumerate(spans):
                for other_start, _other_end, other in spans[i + 1 :]:
                    if other_start >= end:
                        break
                    if other != name:
                        pair = (min(name, other), max(name, other))
                        first = max(start, other_start)
                        clashes[pair] = min(clashes.get(pair, first), first)
            for (one, two), when in sorted(clashes.items(), key=lambda item: item[1]):
                findings.append(
                    f"{self.path}: {user} is on support for both {one!r} and {two!r} on "
                    f"{when.date().isoformat()} (UTC)"
                )
        return findings


# -- reading -----------------------------------------------------------------------------------


class _Reader:
    """Turns YAML nodes into plain values and collects every problem with its line."""

    def __init__(self, path: Path):
        self.path = path
        self.errors: list[str] = []

    def error(self, node: yaml.Node | int, where: str, problem: str) -> None:
        line = node if isinstance(node, int) else node.start_mark.line + 1
        self.errors.append(f"{self.path} line {line}: {where}: {problem}")

    def mapping(self, node: yaml.Node, where: str, keys: set[str]) -> dict[str, yaml.Node] | None:
        if not isinstance(node, yaml.MappingNode):
            self.error(node, where, "expected a map of fields")
            return None
        fields: dict[str, yaml.Node] = {}
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else None
            if name not in keys:
                allowed = ", ".join(sorted(keys))
                self.error(key, where, f"unknown field {name!r} (expected one of: {allowed})")
            elif name in fields:
                self.error(key, where, f"field {name!r} given twice")
            else:
                fields[name] = value
        return fields

    def text(self, node: yaml.Node | None, where: str) -> str | None:
        """A non-empty scalar as typed; None (with an error) otherwise."""
        if node is None:
            return None
        if not isinstance(node, yaml.ScalarNode) or not node.value.strip():
            self.error(node, where, "expected a non-empty value")
            return None
        return str(node.value).strip()

    def texts(self, node: yaml.Node | None, where: str) -> list[tuple[str, int]]:
        """A list of non-empty scalars with their lines (a missing list is empty)."""
        if node is None or (isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null")):
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, where, "expected a list")
            return []
        found = []
        for i, item in enumerate(node.value):
            value = self.text(item, f"{where}[{i}]")
            if value is not None:
                found.append((value, item.start_mark.line + 1))
        return found

    def user(self, value: str, line: int, where: str) -> bool:
        if USER_ID.match(value):
            return True
        self.error(line, where, f"{value!r} is not a Slack user id (like U0123ABCD)")
        return False


def load_ownership(path: Path | str) -> Ownership:
    """Read and validate an ownership file; an OwnershipError lists every problem, one a line."""
    path = Path(path)
    if not path.is_file():
        raise OwnershipError(f"{path}: no such file")
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" line {mark.line + 1}" if mark else ""
        reason = str(exc).splitlines()[0]
        raise OwnershipError(f"{path}{at}: not a valid YAML file ({reason})") from None
    except RecursionError:  # PyYAML's composer recurses per level of nesting
        raise OwnershipError(f"{path}: YAML nested too deeply") from None
    reader = _Reader(path)
    if root is None:
        raise OwnershipError(f"{path}: expected `teams:` with a list of teams (see README)")
    top = reader.mapping(root, "file", {"teams"})
    if top is not None and "teams" not in top:
        reader.error(root, "file", "missing field 'teams' (a list of teams)")
    teams: dict[str, Team] = {}
    owners: dict[str, str] = {}
    owner_lines: dict[str, int] = {}
    nodes = top.get("teams") if top else None
    if nodes is not None and not isinstance(nodes, yaml.SequenceNode):
        reader.error(nodes, "teams", "expected a list of teams")
    elif nodes is not None:
        for i, node in enumerate(nodes.value):
            team = _team(reader, node, f"teams[{i}]")
            if team is None:
                continue
            if team.name.lower() in teams:
                reader.error(team.line, f"teams[{i}]", f"team {team.name!r} is defined twice")
                continue
            teams[team.name.lower()] = team
            for topic, line in zip(team.topics, team.topic_lines, strict=True):
                key = topic.lower()
                if key in owners and owners[key] != team.name:
                    reader.error(
                        line, f"team {team.name!r} topics",
                        f"topic {topic!r} is already owned by {owners[key]!r} "
                        f"(line {owner_lines[key]}): a topic has one owner",
                    )  # fmt: skip
                owners.setdefault(key, team.name)
                owner_lines.setdefault(key, line)
    if reader.errors:
        raise OwnershipError("\n".join(reader.errors))
    if not teams:
        raise OwnershipError(f"{path}: no teams defined")
    return Ownership(path, teams, owners)


def _team(reader: _Reader, node: yaml.Node, where: str) -> Team | None:
    fields = reader.mapping(node, where, TEAM_KEYS)
    if fields is None:
        return None
    line = node.start_mark.line + 1
    name = reader.text(fields.get("name"), f"{where}.name")
    if "name" not in fields:
        reader.error(node, where, "missing field 'name'")
    label = f"team {name!r}" if name else where
    topics = reader.texts(fields.get("topics"), f"{label} topics")
    members = reader.texts(fields.get("members"), f"{label} members")
    valid_members = [m for m, at in members if reader.user(m, at, f"{label} members")]
    group = reader.text(fields.get("user_group"), f"{label} user_group")
    if group is not None and not GROUP_ID.match(group):
        reader.error(fields["user_group"], f"{label} user_group",
                     f"{group!r} is not a Slack user group id (like S0123ABCD)")  # fmt: skip
    rotation = None
    if "rotation" in fields:
        rotation = _rotation(reader, fields["rotation"], f"{label} rotation", set(valid_members))
    if name is None:
        return None
    return Team(
        name, tuple(t for t, _ in topics), tuple(valid_members), group, rotation, line,
        tuple(at for _, at in topics),
    )  # fmt: skip


def _rotation(reader: _Reader, node: yaml.Node, where: str, members: set[str]) -> Rotation | None:
    fields = reader.mapping(node, where, ROTATION_KEYS)
    if fields is None:
        return None
    ok = True
    order = []
    for user, line in reader.texts(fields.get("order"), f"{where}.order"):
        if reader.user(user, line, f"{where}.order") and user not in members:
            reader.error(line, f"{where}.order", f"{user} is not one of the team's members")
        order.append(user)
    for key in ("handover", "timezone", "start"):
        if key not in fields:
            reader.error(node, where, f"missing field {key!r}")
            ok = False
    weekday, at = 0, time(9)
    handover = reader.text(fields.get("handover"), f"{where}.handover")
    match = HANDOVER.match(handover or "")
    day = match[1].lower() if match else ""
    days = [d for d in WEEKDAYS if len(day) >= 3 and d.startswith(day)]
    if handover is not None:
        if match is None or len(days) != 1 or int(match[2]) > 23 or int(match[3]) > 59:
            reader.error(fields["handover"], f"{where}.handover",
                         f"{handover!r} is not a weekday and time like 'Monday 09:00'")  # fmt: skip
            ok = False
        else:
            weekday, at = WEEKDAYS.index(days[0]), time(int(match[2]), int(match[3]))
    zone = UTC_ZONE
    name = reader.text(fields.get("timezone"), f"{where}.timezone")
    if name is not None:
        try:
            zone = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            reader.error(fields["timezone"], f"{where}.timezone",
                         f"{name!r} is not an IANA time zone (like Europe/Berlin)")  # fmt: skip
            ok = False
    start = date(2026, 1, 5)
    raw_start = reader.text(fields.get("start"), f"{where}.start")
    if raw_start is not None:
        try:
            start = date.fromisoformat(raw_start)
        except ValueError:
            reader.error(fields["start"], f"{where}.start", f"{raw_start!r} is not a date")
            ok = False
        else:
            if ok and start.weekday() != weekday:
                reader.error(
                    fields["start"], f"{where}.start",
                    f"{raw_start} is a {WEEKDAYS[start.weekday()].title()}, not the hand-over "
                    f"day ({WEEKDAYS[weekday].title()})",
                )  # fmt: skip
                ok = False
    overrides = _overrides(reader, fields.get("overrides"), f"{where}.overrides", zone)
    if not ok:
        return None
    return Rotation(tuple(order), weekday, at, zone, start, tuple(overrides))


def _moment(value: str, zone: ZoneInfo, end: bool) -> datetime:
    """An ISO date (a whole local day: its start, or for an end the next day's start) or a
    date and time (local unless it names its offset)."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        day = date.fromisoformat(value) + timedelta(days=1 if end else 0)
        return datetime.combine(day, time(0), zone)
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def _overrides(
    reader: _Reader, node: yaml.Node | None, where: str, zone: ZoneInfo
) -> list[Override]:
    if node is None:
        return []
    if not isinstance(node, yaml.SequenceNode):
        reader.error(node, where, "expected a list of {user, from, until}")
        return []
    found = []
    for i, item in enumerate(node.value):
        here = f"{where}[{i}]"
        fields = reader.mapping(item, here, OVERRIDE_KEYS)
        if fields is None:
            continue
        missing = sorted(OVERRIDE_KEYS - set(fields))
        if missing:
            reader.error(item, here, f"missing field(s) {', '.join(map(repr, missing))}")
            continue
        user = reader.text(fields["user"], f"{here}.user")
        line = item.start_mark.line + 1
        if user is None or not reader.user(user, line, f"{here}.user"):
            continue
        moments = []
        for key in ("from", "until"):
            raw = reader.text(fields[key], f"{here}.{key}")
            try:
                moments.append(_moment(raw or "", zone, end=key == "until"))
            except ValueError:
                reader.error(fields[key], f"{here}.{key}",
                             f"{raw!r} is not a date (2026-12-24) or date and time "
                             "(2026-12-24T09:00)")  # fmt: skip
        if len(moments) != 2:
            continue
        if moments[0] >= moments[1]:
            reader.error(item, here, "'until' must be after 'from'")
            continue
        found.append(Override(user, moments[0], moments[1], line))
    return found


def owner_map(ownership: Ownership | None, topics: Sequence[str]) -> dict[str, str]:
    """``topic -> team`` for the given topics that have an owner (as stored, any case)."""
    if ownership is None:
        return {}
    return {topic: team for topic in topics if (team := ownership.team_for(topic)) is not None}


__all__ = [
    "Ownership",
    "OwnershipError",
    "Override",
    "Rotation",
    "Team",
    "load_ownership",
    "owner_map",
]
