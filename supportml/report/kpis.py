"""The support KPIs for a period, computed from the request store on SQLite and PostgreSQL alike.

Counting is pushed into SQL: one GROUP BY over (topic, team, source, channel, holdout, suggested)
yields a small "cube" every breakdown is summed from, one GROUP BY per day gives the weekly
series, and only narrow numeric columns (times as epoch seconds, computed by the database) are
fetched for the percentiles. Percentiles and business-hours arithmetic (`business_time`) run in
numpy over those arrays, because neither has a portable SQL form (SQLite has no percentile
function and no calendar). "% tracked automatically" is one outer join of the responder's seen
messages.

Every topic is the effective topic (`repository.EFFECTIVE_TOPIC`: people's label, else the
model's confident suggestion, else "Unclassified (model unsure)"), and the model's part of each
topic's share is corrected for its out-of-fold confusions (`supportml.shares.correct`, recorded
by `classify`) with a bootstrap interval. The six headline KPIs are also computed for the
previous period of equal length, so each shows its change.
"""

from __future__ import annotations

import difflib
import time as clock
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sqlalchemy import (
    Connection,
    Engine,
    Integer,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.sql.elements import ColumnElement

from supportml import shares
from supportml.business_time import BusinessHours, business_seconds
from supportml.report.errors import ReportError
from supportml.store.models import (
    Channel,
    DocSuggestion,
    FeedbackEvent,
    FollowUp,
    ModelConfusion,
    Request,
    SeenMessage,
)
from supportml.store.repository import EFFECTIVE_TOPIC, LIVE, REASSIGN, TOPIC_ORIGIN
from supportml.vocabulary import (
    GIVEN_LABELS,
    PEOPLES_LABELS,
    UNCLASSIFIED,
    FollowUpKind,
    Resolution,
    TopicOrigin,
)

if TYPE_CHECKING:
    from supportml.ownership import Ownership

CONFIRMED = PEOPLES_LABELS  # labels people gave; the model is judged only against these
NONE_LABEL = "(no team)"  # a request whose team nobody recorded
NO_OWNER = "(no owning team)"  # a request neither assigned nor owned in the ownership file
TOP_AREAS = 5  # topics in the "top problem areas" roadmap table
HOUR = 3600.0
LIST_LIMIT = 100  # rows kept in the "no link" list
OPEN_LIMIT = 20  # the oldest open requests listed
EXCERPT = 160  # characters of request text shown in lists
OWNING_TEAM = (
    " The owning team is the team the request is assigned to (by the responder or `classify "
    "--teams` from its topic's owner, or by a person's reassignment); a request never assigned "
    "counts under its topic's owner in the ownership file given to the report (--teams), "
    "else under '(no owning team)'."
)
# The KPIs a report leads with, each with its change against the previous period.
HEADLINE = (
    "requests",
    "with_topic",
    "resolved_by_docs",
    "first_response_business_median_hours",
    "acknowledged_within_target",
    "unanswered_older",
)


@dataclass(frozen=True)
class Filters:
    """Optional narrowing of every KPI; None means all. ``channel`` is a channel id, ``team`` is
    matched case-insensitively, ``topic`` is an effective topic (see `resolve_filters`)."""

    channel: str | None = None
    team: str | None = None
    topic: str | None = None


@dataclass(frozen=True)
class Metric:
    """One number. ``unit`` is requests, share (0–1) or hours; value None has a note.

    Headline KPIs also carry ``previous`` (the same KPI over the previous period of equal length)
    and ``change``: percentage points / 100 for shares, the relative change otherwise.
    """

    key: str
    label: str
    value: float | None
    unit: str
    definition: str
    note: str = ""
    previous: float | None = None
    change: float | None = None


def change(value: float | None, previous: float | None, unit: str) -> float | None:
    """Shares change by their difference (points), counts and hours relative to before."""
    if value is None or previous is None:
        return None
    if unit == "share":
        return value - previous
    return _share(value - previous, previous)


@dataclass(frozen=True)
class Breakdown:
    """One table of the report (also one CSV file and, for some, one chart)."""

    key: str
    title: str
    definition: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    note: str = ""


@dataclass
class Report:
    """Everything one report shows, with each KPI's definition, and seconds spent per KPI group."""

    since: datetime
    until: datetime
    as_of: datetime
    filters: Filters
    hours: BusinessHours
    open_after_hours: float
    headline: tuple[str, ...] = HEADLINE
    metrics: dict[str, Metric] = field(default_factory=dict)
    breakdowns: dict[str, Breakdown] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (datetimes as ISO 8601 strings)."""
        return _plain(
            {
                "since": self.since,
                "until": self.until,
                "as_of": self.as_of,
                "filters": asdict(self.filters),
                "business_hours": {**asdict(self.hours), "description": self.hours.describe()},
                "open_after_hours": self.open_after_hours,
                "headline": list(self.headline),
                "metrics": {key: asdict(m) for key, m in self.metrics.items()},
                "breakdowns": {
                    key: {**asdict(b), "rows": [list(row) for row in b.rows]}
                    for key, b in self.breakdowns.items()
                },
                "timings": self.timings,
            }
        )


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


# --- dialect helpers: the only SQL that differs between SQLite and PostgreSQL --------------------


def _epoch(column: Any, dialect: str) -> ColumnElement[float]:
    """Seconds since 1970 (UTC) as a float, computed by the database (no datetime parsing)."""
    if dialect == "sqlite":
        return (func.julianday(column) - 2440587.5) * 86400.0
    return cast(func.extract("epoch", column), type_=Request.confidence.type)


# SQLite uses an index on an expression only for the same expression with the same literals (a
# bound parameter never matches): `_day` and `_minutes` spell those of migration 0010 exactly.


def _day(column: Any, dialect: str) -> ColumnElement[str]:
    """The UTC calendar day as 'YYYY-MM-DD' (SQLite stores UTC text that starts with it)."""
    if dialect == "sqlite":
        return type_coerce(func.substr(column, literal_column("1"), literal_column("10")), String)
    return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")


def _minutes(seconds: Any, dialect: str) -> ColumnElement[int]:
    """Whole minutes of a non-negative number of seconds (PostgreSQL's CAST rounds; floor it)."""
    if dialect == "sqlite":
        # SQLite's CAST truncates; op("/") as written (``/`` may render as ``/ (60 + 0.0)``)
        return cast(seconds.op("/")(literal_column("60")), Integer)
    return cast(func.floor(seconds / 60), Integer)


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.count(case((condition, 1)))


def _where(
    since: datetime, until: datetime, filters: Filters, likely: bool = False
) -> list[ColumnElement[bool]]:
    """The period's live requests narrowed by ``filters``. ``likely`` (SQLite only) tells the
    planner that the period's bounds match most rows, so it reads a whole index in the order
    a GROUP BY needs rather than range-searching by date and sorting."""
    bounds = [Request.created_at >= since, Request.created_at < until]
    conditions = [
        Request.deleted.is_(False),
        *([func.likely(bound) for bound in bounds] if likely else bounds),
    ]
    if filters.channel:
        conditions.append(Request.channel == filters.channel)
    if filters.team:
        conditions.append(func.lower(Request.requester_team) == filters.team.lower())
    if filters.topic:
        conditions.append(literal(filters.topic) == EFFECTIVE_TOPIC)
    return conditions


def owning_teams(
    topics: Iterable[str], assigned: Iterable[object], ownership: Ownership | None
) -> list[str]:
    """The platform team each (effective topic, assigned team) pair's work counts for: the team
    it was assigned (routed or reassigned), else its topic's owner in the ownership file
    (`Ownership.team_for`), else NO_OWNER. Applied to grouped rows, not in SQL per request: a
    CASE over every owned topic cost a full pass's worth of string compares."""
    team_for = ownership.team_for if ownership else lambda _topic: None
    pairs = [
        (topic, team if isinstance(team, str) else None)  # NaN too
        for topic, team in zip(topics, assigned, strict=True)
    ]
    owner = {
        (topic, team): team if team is not None else team_for(topic) or NO_OWNER
        for topic, team in set(pairs)
    }
    return [owner[pair] for pair in pairs]


def _weighted_median(counts: pd.DataFrame, key: str) -> pd.Series:
    """Per ``key``: the median of values given as (value ``minute``, count ``n``) rows, as
    numpy's median of the values repeated would be (the mean of the two middle ones if even)."""
    ordered = counts.groupby([key, "minute"])["n"].sum().reset_index()
    total = ordered.groupby(key)["n"].transform("sum")
    upto = ordered.groupby(key)["n"].cumsum()
    low = ordered[upto >= (total + 1) // 2].groupby(key)["minute"].first()
    high = ordered[upto >= total // 2 + 1].groupby(key)["minute"].first()
    return (low + high) / 2


def weekly_trend(hours: np.ndarray) -> np.ndarray:
    """Per column of a weeks x groups array of staff hours: the least-squares slope over the
    weeks relative to the mean week (0.05 = +5% of a usual week's hours per week); NaN for
    fewer than three weeks or no hours."""
    weeks, groups = hours.shape
    if weeks < 3:
        return np.full(groups, np.nan)
    slope = np.polyfit(np.arange(weeks, dtype=float), hours, 1)[0]
    mean = hours.mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(mean > 0, slope / mean, np.nan)


def _closest(option: str, value: str, known: Iterable[str]) -> ReportError:
    choices = sorted(set(known))
    close = difflib.get_close_matches(value, choices, n=3, cutoff=0.0) if choices else []
    hint = f"closest known: {', '.join(close)}" if close else "the store has none"
    return ReportError(f"unknown {option} {value!r}; {hint}")


def resolve_filters(engine: Engine, filters: Filters) -> Filters:
    """``filters`` as the store knows them, or a ReportError naming the closest known values.

    A channel may be given by id or by name (with or without '#'); a team in any case; a topic
    in any case. An unknown value fails instead of silently reporting zero requests.
    """
    channel, team, topic = filters.channel, filters.team, filters.topic
    with engine.connect() as connection:
        if channel:
            ids = set(connection.scalars(select(Request.channel).distinct()))
            names = dict(connection.execute(select(Channel.name, Channel.channel_id)).all())
            wanted = channel.lstrip("#")
            if wanted in ids or wanted in names.values():
                channel = wanted
            elif wanted in names:
                channel = names[wanted]
            else:
                raise _closest("--channel", channel, [*names, *ids - set(names.values())])
        if team:
            teams = [t for t in connection.scalars(select(Request.requester_team).distinct()) if t]
            if team.lower() not in {t.lower() for t in teams}:
                raise _closest("--team", team, teams)
        if topic:
            topics = connection.scalars(select(EFFECTIVE_TOPIC).distinct()).all()
            spelled = {t.lower(): t for t in topics}
            if topic.lower() not in spelled:
                raise _closest("--topic", topic, topics)
            topic = spelled[topic.lower()]
    return Filters(channel=channel, team=team, topic=topic)


def thread_link(permalink: str | None, channel: str, ts: str, domain: str | None) -> str | None:
    """The stored permalink, else one built from the workspace domain, else None."""
    if permalink:
        return permalink
    if domain and ts:
        return f"https://{domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
    return None


# what the responder suggested in the thread: the holdout and link KPIs are about what people saw
SHOWN = and_(Request.predicted_topic.is_not(None), LIVE)
UNANSWERED = and_(Request.first_response_at.is_(None), Request.first_responder.is_(None))
UNRESOLVED = and_(Request.resolved_at.is_(None), Request.resolution.is_(None))
JUDGED = and_(
    Request.label_source.in_(CONFIRMED),
    Request.final_topic.is_not(None),
    Request.predicted_topic.is_not(None),
    Request.abstained.is_not(True),
)


# --- the report ----------------------------------------------------------------------------------


def _percentile(values: np.ndarray, q: float) -> float | None:
    values = values[np.isfinite(values)]
    return float(np.percentile(values, q)) if values.size else None


def _share(part: float, whole: float) -> float | None:
    return float(part) / float(whole) if whole else None


NO_DATA = "no data in this period"
NO_SUGGESTIONS = (
    "no suggestions in this period: the Slack responder records them, imports have none"
)


class _Builder:
    """Runs the queries on one connection and fills a Report, timing each KPI group."""

    def __init__(
        self,
        connection: Connection,
        report: Report,
        low_confidence: float,
        slack_domain: str | None = None,
        ownership: Ownership | None = None,
    ) -> None:
        self.connection = connection
        self.ownership = ownership
        self.low_confidence = low_confidence
        self.slack_domain = slack_domain
        self.report = report
        self.dialect = connection.dialect.name
        self.where = _where(report.since, report.until, report.filters)
        # The period's requests again, for the GROUP BYs SQLite can read from an index in group
        # order (migration 0010) when the period holds most of the store: told so, it scans that
        # index whole instead of range-searching by date and then sorting a million rows.
        whole = self.dialect == "sqlite" and self._period_spans_most_of_store()
        self.where_whole = _where(report.since, report.until, report.filters, whole)
        names = connection.execute(select(Channel.channel_id, Channel.name)).all()
        self.channel_names = {channel: f"#{name}" for channel, name in names}
        self.team_names: dict[str, str] = {}

    def channel(self, channel: str) -> str:
        return self.channel_names.get(channel, channel)

    def team(self, team: object) -> str:
        return self.team_names.get(team.lower(), team) if isinstance(team, str) else NONE_LABEL

    def metric(
        self, key: str, label: str, value: float | None, unit: str, definition: str, note: str = ""
    ) -> None:
        if value is None and not note:
            note = NO_DATA
        self.report.metrics[key] = Metric(key, label, value, unit, definition, note)

    def table(
        self,
        key: str,
        title: str,
        definition: str,
        columns: tuple[str, ...],
        rows: list[tuple[Any, ...]],
        note: str = "",
    ) -> None:
        if not rows and not note:
            note = NO_DATA
        self.report.breakdowns[key] = Breakdown(key, title, definition, columns, rows, note)

    @contextmanager
    def timed(self, name: str) -> Iterator[None]:
        start = clock.perf_counter()
        yield
        self.report.timings[name] = round(clock.perf_counter() - start, 4)

    def run(self, headline_only: bool = False) -> None:
        """Every KPI group in turn, each timed; the volume cube is built once and passed on.

        ``headline_only`` computes just the groups the headline KPIs come from (the previous
        period's report).
        """
        with self.timed("volume"):
            cube = self.volume_cube()
            self.volume(cube)
        with self.timed("times"):
            self.response_times(cube)
        with self.timed("open"):
            self.open_requests()
        if headline_only:
            return
        with self.timed("weekly"):
            self.weekly()
        with self.timed("topics"):
            self.topics(cube)
        with self.timed("doc_gaps"):
            self.doc_gaps(cube)
        with self.timed("effort"):
            self.effort()
        with self.timed("model"):
            self.model_quality()
        with self.timed("reassigned"):
            self.reassigned(cube)
        with self.timed("tracked"):
            self.tracked()
        with self.timed("follow_ups"):
            self.follow_ups()

    def tracked(self) -> None:
        """Share of the messages the responder saw that became requests, from one outer join.

        Both counts come from the seen messages of the period, so the share never exceeds 1; a
        message whose request was deleted later (its author deleted it) counts in neither.
        """
        key, label, unit = "tracked_automatically", "Tracked automatically", "share"
        definition = (
            "Requests created in the period whose Slack message (workspace, channel, ts) is "
            "among the top-level human messages the Slack responder saw in the support "
            "channels in the period (seen_at in [since, until)) / those seen messages. The "
            "channel filter applies to both; messages whose request was deleted are left out "
            "of both."
        )
        filters = self.report.filters
        if filters.team or filters.topic:
            self.metric(
                key, label, None, unit, definition,
                note="unavailable with a team or topic filter: a message the responder saw "
                "but did not track has no team or topic to filter on",
            )  # fmt: skip
            return
        seen = [SeenMessage.seen_at >= self.report.since, SeenMessage.seen_at < self.report.until]
        if filters.channel:
            seen.append(SeenMessage.channel == filters.channel)
        same_message = and_(
            Request.workspace == SeenMessage.workspace,
            Request.channel == SeenMessage.channel,
            Request.ts == SeenMessage.ts,
        )
        query = (
            select(
                _count(or_(Request.id.is_(None), Request.deleted.is_(False))),
                _count(and_(*self.where)),
            )
            .select_from(SeenMessage)
            .outerjoin(Request, same_message)
            .where(*seen)
        )
        messages, tracked = self.connection.execute(query).one()
        self.metric(
            key, label, _share(tracked, messages), unit, definition,
            note="" if messages else "unavailable: the Slack responder saw no messages in this "
            "period (imports cannot tell what was missed)",
        )  # fmt: skip

    def volume_cube(self) -> pd.DataFrame:
        """Request counts per (topic, team, source, channel, holdout, suggested), from one
        GROUP BY: the volume, topic, holdout and documentation KPIs are all sums over it.

        It groups by the stored columns the dimensions are computed from, in the order of the
        covering index ix_requests_volume (SQLite, migration 0010), then adds up the few rows
        that share their dimensions."""
        dims = {
            "topic": EFFECTIVE_TOPIC,
            "origin": TOPIC_ORIGIN,
            "team": Request.requester_team,
            "assigned": Request.assigned_team,
            "source": Request.source,
            "channel": Request.channel,
            "holdout": cast(Request.docs_holdout, Integer),
            "suggested": case((SHOWN, 1), else_=0),
        }
        sums = {
            "requests": func.count(),
            "docs": _count(Request.resolution == Resolution.DOCS),
            "human": _count(Request.resolution == Resolution.HUMAN),
            "resolved": _count(~UNRESOLVED),
        }
        stored = (
            Request.final_topic, Request.label_source, Request.requester_team,
            Request.assigned_team, Request.source, Request.channel, Request.docs_holdout,
            Request.predicted_topic.is_not(None), LIVE,
        )  # fmt: skip
        columns: list[Any] = [c.label(k) for k, c in (*dims.items(), *sums.items())]
        query = select(*columns).where(*self.where_whole).group_by(*stored)
        rows = self.connection.execute(query).cursor.fetchall()
        cube = (
            pd.DataFrame(rows, columns=[*dims, *sums])
            .groupby(list(dims), dropna=False, sort=False)[list(sums)]
            .sum()
            .reset_index()
        )
        # one team however it was typed, shown with its most common spelling
        spellings = cube.dropna(subset="team").groupby("team")["requests"].sum()
        ranked: Counter[str] = Counter(spellings.to_dict())
        for spelling, _n in ranked.most_common()[::-1]:
            self.team_names[spelling.lower()] = spelling
        cube["owning"] = owning_teams(
            cube["topic"].tolist(), cube["assigned"].tolist(), self.ownership
        )
        cube["team"] = [self.team(t) for t in cube["team"]]
        cube["channel"] = [self.channel(c) for c in cube["channel"]]
        return cube

    def volume(self, cube: pd.DataFrame) -> None:
        total = int(cube["requests"].sum())
        docs = int(cube["docs"].sum())
        classified = int(cube.loc[cube["origin"] != TopicOrigin.UNCLASSIFIED, "requests"].sum())
        self.metric(
            "requests",
            "Requests",
            total,
            "requests",
            "Top-level support requests created in the period (deleted ones excluded).",
            note="" if total else NO_DATA,
        )
        self.metric(
            "with_topic",
            "With a topic",
            _share(classified, total),
            "share",
            "Requests whose effective topic came from people (a form, a confirmation or an "
            "imported label) or from the model's confident suggestion / requests; the rest are "
            "'Unclassified (model unsure)'.",
        )
        self.metric(
            "resolved",
            "Resolved",
            _share(cube["resolved"].sum(), total),
            "share",
            "Requests of the period with a recorded resolution (time or kind) / requests.",
        )
        self.metric(
            "resolved_by_docs",
            "Resolved by documentation",
            _share(docs, total),
            "share",
            "Requests whose resolution is 'docs' (a suggested link or a docs answer closed "
            "it) / all requests of the period.",
        )
        for key, name, title, how in (
            ("team", "team", "requesting team", ""),
            ("owning", "owning_team", "owning team", OWNING_TEAM),
            ("source", "source", "source", ""),
            ("channel", "channel", "channel", ""),
        ):
            grouped = cube.groupby(key)["requests"].sum().sort_values(ascending=False)
            self.table(
                f"by_{name}",
                f"Requests by {title}",
                f"Requests of the period per {title}; share of all requests.{how}",
                (name, "requests", "share"),
                [(group, int(n), _share(n, total)) for group, n in grouped.items()],
            )

    def reassigned(self, cube: pd.DataFrame) -> None:
        """Topics often reassigned: people moving requests between teams, counted per
        (effective topic, from, to). The ownership file is never changed by them: this table
        is how a wrong owner shows."""
        query = (
            select(EFFECTIVE_TOPIC, FeedbackEvent.previous, FeedbackEvent.value, func.count())
            .join(Request, Request.id == FeedbackEvent.request_id)
            .where(*self.where, FeedbackEvent.action == REASSIGN)
            .group_by(EFFECTIVE_TOPIC, FeedbackEvent.previous, FeedbackEvent.value)
        )
        per_topic = cube.groupby("topic")["requests"].sum()
        rows = sorted(
            (
                (topic, before or NO_OWNER, after, int(n), _share(n, per_topic.get(topic, 0)))
                for topic, before, after, n in self.connection.execute(query)
            ),
            key=lambda row: (-row[3], row[0], row[1], row[2]),
        )
        self.table(
            "reassigned",
            "Topics often reassigned",
            "Reassignments of the period's requests by people (the Reassign or team select in "
            "Slack) per effective topic, from one team to another ('(no owning team)': picked "
            "when nobody owned it or the model was unsure); share: reassignments / the topic's "
            "requests. A topic moved often away from its owner suggests the ownership file is "
            "wrong there; reassignments never change it by themselves.",
            ("topic", "from_team", "to_team", "reassignments", "share_of_topic"),
            rows,
        )

    def weekly(self) -> None:
        day = _day(Request.created_at, self.dialect)
        predicted = Request.predicted_topic.is_not(None)
        low = and_(
            predicted, or_(Request.abstained.is_(True), Request.confidence < self.low_confidence)
        )
        query = (
            select(day, func.count(), _count(predicted), _count(low))
            .where(*self.where)
            .group_by(day)
        )
        days = pd.DataFrame(
            self.connection.execute(query).all(), columns=["day", "requests", "predicted", "low"]
        )
        rows: list[tuple[Any, ...]] = []
        if not days.empty:
            stamps = pd.to_datetime(days["day"])
            days["week"] = (stamps - pd.to_timedelta(stamps.dt.day_of_week, unit="D")).dt.date
            weeks = days.groupby("week")[["requests", "predicted", "low"]].sum()
            rows = [
                (week, int(r.requests), int(r.predicted), _share(r.low, r.predicted))
                for week, r in weeks.iterrows()
            ]
        self.table(
            "by_week",
            "Requests per week",
            "Requests created per week (weeks start Monday 00:00 UTC); of those the model "
            f"suggested a topic for, the share with low confidence (abstained or confidence "
            f"< {self.low_confidence:g}): a rising share signals a new topic or drift.",
            ("week", "requests", "suggested", "low_confidence_share"),
            rows,
        )

    def topics(self, cube: pd.DataFrame) -> None:
        """Where support goes: effective topics with raw and corrected share, trend, origins."""
        span = self.report.until - self.report.since
        previous = _where(self.report.since - span, self.report.since, self.report.filters)
        query = select(EFFECTIVE_TOPIC, func.count()).where(*previous).group_by(EFFECTIVE_TOPIC)
        before = {str(t): int(n) for t, n in self.connection.execute(query)}
        origins = cube.pivot_table(
            index="topic", columns="origin", values="requests", aggfunc="sum", fill_value=0
        )
        grouped = cube.groupby("topic")[["requests", "docs", "resolved"]].sum()
        grouped = grouped.sort_values("requests", ascending=False)
        total = int(cube["requests"].sum())
        people = {
            str(t): int(origins.at[t, TopicOrigin.PEOPLE]) if TopicOrigin.PEOPLE in origins else 0
            for t in grouped.index
        }
        corrected, note = self.corrected_shares(total, people)
        rows = []
        for topic, r in grouped.iterrows():
            prior = before.get(str(topic), 0)
            low_high = corrected.get(str(topic), (None, None, None))
            model = int(origins.at[topic, TopicOrigin.MODEL]) if TopicOrigin.MODEL in origins else 0
            rows.append(
                (
                    topic,
                    int(r.requests),
                    _share(r.requests, total),
                    *low_high,
                    prior,
                    _share(r.requests - prior, prior),
                    _share(r.docs, r.requests),
                    _share(r.resolved, r.requests),
                    people[str(topic)],
                    model,
                )
            )
        self.table(
            "by_topic",
            "Where support goes",
            "Requests per effective topic (people's label, else the model's confident "
            "suggestion, else 'Unclassified (model unsure)') and their share of all requests; "
            "the corrected share, where the model's part is re-estimated from its confusions "
            "on people-labelled requests it was not fitted on (each predicted topic split as "
            "the people labels it was predicted for were; 90% bootstrap interval); "
            "the count in the previous period of equal length and the relative change; the "
            "shares resolved by documentation and resolved at all; how many of the topic's "
            "requests people labelled and how many the model did.",
            (
                "topic", "requests", "share", "corrected_share", "corrected_low",
                "corrected_high", "previous", "change", "docs_share", "resolved_share",
                "people", "model",
            ),
            rows,
            note=note,
        )  # fmt: skip

    def effort(self) -> None:
        """Where staff time goes: per owning team and per effective topic, from one GROUP BY
        (day, topic, assigned team) over the requests' stored effort and one GROUP BY (topic,
        assigned team, whole minute) of the handling spans for the medians; the owning team is
        worked out on those few grouped rows (`owning_teams`). Then the top problem areas ranked
        by staff time, with their doc-gap status.

        On SQLite both read a covering index in group order (migration 0010), so nothing is
        sorted: the first range-searched by day (the redundant day bounds make that index
        usable), the second whole when the period spans most of the store (``where_whole``)."""
        day = _day(Request.created_at, self.dialect)
        topic, assigned = EFFECTIVE_TOPIC, Request.assigned_team
        query = (
            select(
                day, topic, assigned, func.count(), func.sum(Request.staff_replies),
                func.sum(Request.staff_seconds), _count(Request.resolution == Resolution.DOCS),
            )
            .where(*self.where, *self.day_bounds(day))
            .group_by(day, Request.final_topic, assigned)
        )  # fmt: skip
        names = ["day", "topic", "team", "requests", "staff_replies", "staff_seconds", "docs"]
        cube = pd.DataFrame(self.connection.execute(query).cursor.fetchall(), columns=names)
        minute = _minutes(Request.handling_seconds, self.dialect)
        spans_query = (
            select(topic, assigned, minute, func.count())
            .where(
                *self.where_whole,
                Request.staff_replies > 0,
                Request.handling_seconds.is_not(None),
            )
            .group_by(Request.final_topic, assigned, minute)
        )
        spans = pd.DataFrame(
            self.connection.execute(spans_query).cursor.fetchall(),
            columns=["topic", "team", "minute", "n"],
        ).astype({"minute": "int64", "n": "int64"})  # typed when empty too
        for frame in (cube, spans):
            frame["team"] = owning_teams(
                frame["topic"].tolist(), frame["team"].tolist(), self.ownership
            )
        cube[["staff_replies", "staff_seconds"]] = cube[["staff_replies", "staff_seconds"]].fillna(
            0
        )
        cube["hours"] = cube["staff_seconds"].astype(float) / HOUR
        stamps = pd.to_datetime(cube["day"], format="%Y-%m-%d")
        cube["week"] = (stamps - pd.to_timedelta(stamps.dt.day_of_week, unit="D")).dt.date
        total = float(cube["hours"].sum())
        definition_common = (
            "requests of the period; staff replies (human replies in the thread by someone "
            "other than the requester); estimated staff hours (each request's stored estimate, "
            "see 'Estimated staff time') and their share of all estimated staff hours; the "
            "weekly trend (least-squares slope of the group's staff hours per week, weeks "
            "starting Monday UTC, relative to its mean week; shown from three weeks); the median "
            "hours from a request to its last staff reply (requests with a staff reply; spans "
            "counted in whole minutes, so the median is exact to the minute); "
            "requests resolved by documentation and their share."
        )
        self.metric(
            "staff_hours", "Estimated staff time", total, "hours",
            "Sum over the period's requests of the staff time estimated from their threads "
            "(supportml.effort: a fixed cost per staff reply plus the time between consecutive "
            "staff replies closer than a gap; SUPPORTML_EFFORT_REPLY_MINUTES and "
            "SUPPORTML_EFFORT_GAP_MINUTES, computed when the replies were stored or by "
            "`supportml db refresh-effort`). An estimate: DMs, calls and work outside the "
            "thread are not seen.",
            note="" if cube["staff_replies"].sum() else "no thread replies stored for the period",
        )  # fmt: skip
        self.metric(
            "staff_replies", "Staff replies", int(cube["staff_replies"].sum()), "requests",
            "Human replies in the threads of the period's requests by someone other than the "
            "requester (the first-response rule).",
        )  # fmt: skip
        for key in ("team", "topic"):
            self.table(
                f"effort_by_{key}",
                f"Where support goes: staff time per {'owning team' if key == 'team' else 'topic'}",
                (
                    "Per owning platform team (the owner of the request's topic in the "
                    f"ownership file; '{NO_OWNER}' when none): "
                    if key == "team"
                    else "Per effective topic, with the team owning most of its requests: "
                )
                + definition_common,
                (key, *(("team",) if key == "topic" else ()), "requests", "staff_replies",
                 "staff_hours", "staff_share", "weekly_trend", "handling_median_hours",
                 "resolved_by_docs", "docs_share"),
                self._effort_rows(cube, spans, key, total),
            )  # fmt: skip
        weekly = cube.groupby("week")[["requests", "staff_replies", "hours"]].sum()
        self.table(
            "effort_by_week",
            "Estimated staff time per week",
            "Requests created per week (weeks start Monday 00:00 UTC), their staff replies and "
            "estimated staff hours.",
            ("week", "requests", "staff_replies", "staff_hours"),
            [(w, int(n), int(k), float(h)) for w, n, k, h in weekly.itertuples()],
        )  # fmt: skip
        self._top_areas(total)

    def day_bounds(self, day: ColumnElement[str]) -> list[ColumnElement[bool]]:
        """On SQLite, the period's first and last UTC day as bounds of ``day`` (`_day`): implied
        by the period's bounds, they let SQLite range-search an index on the day expression."""
        if self.dialect != "sqlite":
            return []
        return [day >= f"{self.report.since:%Y-%m-%d}", day <= f"{self.report.until:%Y-%m-%d}"]

    def _period_spans_most_of_store(self) -> bool:
        """Whether the period covers at least half the time between the store's first and last
        request (two index lookups): the share of rows a scan would keep, roughly."""
        first, last = (
            self.connection.execute(select(func.min(Request.created_at))).scalar(),
            self.connection.execute(select(func.max(Request.created_at))).scalar(),
        )
        if first is None or last is None or first == last:
            return False
        inside = min(self.report.until, last) - max(self.report.since, first)
        return inside >= (last - first) / 2

    def _effort_rows(
        self, cube: pd.DataFrame, spans: pd.DataFrame, key: str, total: float
    ) -> list[tuple[Any, ...]]:
        if cube.empty:
            return []
        grouped = cube.groupby(key)[["requests", "staff_replies", "hours", "docs"]].sum()
        grouped = grouped.sort_values(["hours", "requests"], ascending=False)
        weeks = cube.pivot_table(
            index="week", columns=key, values="hours", aggfunc="sum", fill_value=0.0
        )
        full = pd.date_range(min(weeks.index), max(weeks.index), freq="7D").date
        weeks = weeks.reindex(full, fill_value=0.0)
        trend = dict(zip(weeks.columns, weekly_trend(weeks.to_numpy(dtype=float)), strict=True))
        medians = _weighted_median(spans, key) * 60 / HOUR
        owner = cube.groupby(["topic", "team"])["requests"].sum().sort_values(ascending=False)
        owners = owner.reset_index().drop_duplicates("topic").set_index("topic")["team"]
        return [
            (
                name,
                *((owners.get(name, NO_OWNER),) if key == "topic" else ()),
                int(requests),
                int(replies),
                float(hours),
                _share(hours, total),
                None if np.isnan(trend.get(name, np.nan)) else float(trend[name]),
                float(medians[name]) if name in medians.index else None,
                int(docs),
                _share(docs, requests),
            )
            for name, requests, replies, hours, docs in grouped.itertuples()
        ]

    def _top_areas(self, total: float) -> None:
        """The topics that took most staff time (Unclassified left out: nothing to act on)."""
        columns = self.report.breakdowns["effort_by_topic"].columns
        rows = [dict(zip(columns, row, strict=True)) for row in
                self.report.breakdowns["effort_by_topic"].rows]  # fmt: skip
        docs, requests = sum(r["resolved_by_docs"] for r in rows), sum(r["requests"] for r in rows)
        overall = _share(docs, requests) or 0.0
        ranked = [r for r in rows if r["topic"] != UNCLASSIFIED and r["staff_hours"] > 0]
        top = ranked[:TOP_AREAS]
        table, cumulative = [], 0.0
        for rank, r in enumerate(top, start=1):
            cumulative += r["staff_hours"]
            if not r["resolved_by_docs"]:
                status = "no doc resolved any request"
            elif (r["docs_share"] or 0.0) < overall:
                status = "docs resolve fewer than average"
            else:
                status = "docs resolve some"
            table.append(
                (rank, r["topic"], r["team"], r["staff_hours"], r["staff_share"],
                 _share(cumulative, total), r["requests"], r["resolved_by_docs"], status)
            )  # fmt: skip
        taken = _share(cumulative, total)
        gaps = sum(1 for row in table if not row[7])
        docs_said = (
            f"{gaps} of them have no doc that resolved anything"
            if gaps
            else "each has a doc that resolved at least one request"
        )
        sentence = (
            f"These {len(top)} topics took {taken * 100:.0f}% of staff time; {docs_said}."
            if top and taken is not None
            else ""
        )
        self.metric(
            "top_areas_staff_share", f"Staff time in the top {TOP_AREAS} topics", taken, "share",
            f"Estimated staff hours of the {TOP_AREAS} topics that took most (Unclassified "
            "left out) / all estimated staff hours of the period.",
        )  # fmt: skip
        self.table(
            "effort_top_areas",
            "Top problem areas: where staff time goes and whether docs help",
            f"The {TOP_AREAS} effective topics (Unclassified left out) with the most estimated "
            "staff hours: a roadmap of what to automate or document first. Doc status: 'no doc "
            "resolved any request' when none of the topic's requests of the period was "
            "resolved by documentation, 'docs resolve fewer than average' when its share is "
            "below the period's overall share, else 'docs resolve some'. cumulative_share "
            "adds up the staff shares from the top.",
            ("rank", "topic", "team", "staff_hours", "staff_share", "cumulative_share",
             "requests", "resolved_by_docs", "doc_status"),
            table,
            note=sentence,
        )  # fmt: skip

    def corrected_shares(
        self, total: int, people: dict[str, int]
    ) -> tuple[dict[str, tuple[float, float, float]], str]:
        """Each topic's share of all requests with the model's part corrected, or a note why not.

        People's labels count as they are; the requests without one that the model predicted
        (abstained ones included) are split among topics by `shares.correct`, using the
        out-of-fold confusions recorded for the model version that predicted most of them
        (`repository.record_confusion`: the model's confusions do not depend on the period or
        the filters); requests the model never saw stay unclassified.
        """
        unlabelled_label = or_(
            Request.label_source.is_(None), Request.label_source.not_in(GIVEN_LABELS)
        )
        query = (
            select(Request.model_version, Request.predicted_topic, func.count())
            .where(*self.where, unlabelled_label, Request.predicted_topic.is_not(None))
            .group_by(Request.model_version, Request.predicted_topic)
        )
        unlabelled: Counter[str] = Counter()
        versions: Counter[str] = Counter()
        for version, topic, n in self.connection.execute(query):
            unlabelled[str(topic)] += n
            versions[str(version)] += n
        if not unlabelled:
            return {}, "No request here has a model prediction to correct: shares are as counted."
        version = versions.most_common(1)[0][0]
        confusion: dict[str, dict[str, int]] = {}
        for truth, guess, n in self.connection.execute(
            select(
                ModelConfusion.true_topic, ModelConfusion.predicted_topic, ModelConfusion.requests
            ).where(ModelConfusion.model_version == version)
        ):
            confusion.setdefault(truth, {})[guess] = n
        if not confusion:
            return {}, (
                "Corrected shares are not shown and the shares are the raw counts: model "
                f"{version}, which gave most of these topics, has no recorded confusions on "
                "people's labels (run `supportml classify` with a model trained by this version)."
            )
        verdict, estimates = shares.correct(confusion, unlabelled, method=shares.DEFAULT_METHOD)
        if not verdict.ready:
            return {}, (
                "Corrected shares are not shown and the shares are the raw counts: "
                f"{verdict.reason}."
            )
        counted = sum(unlabelled.values())

        def of_all(labelled: int, *model_shares: float) -> tuple[float, float, float]:
            point, low, high = ((labelled + x * counted) / total for x in model_shares)
            return point, low, high

        result = {e.topic: of_all(people.get(e.topic, 0), e.estimated_share, e.low, e.high)
                  for e in estimates}  # fmt: skip
        for topic, n in people.items():  # topics only people gave: exact
            result.setdefault(topic, of_all(n, 0, 0, 0))
        result[UNCLASSIFIED] = of_all(total - sum(people.values()) - counted, 0, 0, 0)
        return result, ""

    def response_times(self, cube: pd.DataFrame) -> None:
        d = self.dialect
        query = select(
            _epoch(Request.created_at, d),
            _epoch(Request.first_response_at, d),
            _epoch(Request.resolved_at, d),
            # three flags as the bits of one number: a column fewer to turn into Python objects
            cast(Request.docs_holdout, Integer)
            + case((UNANSWERED, 2), else_=0)
            + case((SHOWN, 4), else_=0),
        ).where(*self.where)
        # Plain DBAPI tuples, not Rows: numpy converts 1M of them in a fraction of a second, and
        # every column is already a float or int (None becomes NaN).
        rows = self.connection.execute(query).cursor.fetchall()
        data = np.array(rows, dtype=float).reshape(-1, 4)
        created, responded, resolved = data[:, :3].T
        flags = data[:, 3].astype(np.int64)
        holdout, unanswered, suggested = flags & 1, flags >> 1 & 1, flags >> 2 & 1
        hours = self.report.hours
        first = (responded - created) / 3600
        resolution = (resolved - created) / 3600
        business = business_seconds(created, responded, hours) / 3600
        self.metric(
            "first_response_median_hours",
            "First response, median",
            _percentile(first, 50),
            "hours",
            "Median calendar hours from a request to its first human reply, over "
            "requests with a recorded reply time (reaction-only responses carry no time).",
        )
        self.metric(
            "first_response_p90_hours",
            "First response, p90",
            _percentile(first, 90),
            "hours",
            "90th percentile (linear interpolation) of the same calendar hours.",
        )
        self.metric(
            "first_response_business_median_hours",
            "First response, median business hours",
            _percentile(business, 50),
            "hours",
            f"Median business hours ({hours.describe()}) from a request to its first reply.",
        )
        as_of = np.array([self.report.as_of.timestamp()])
        waited = business_seconds(created, np.broadcast_to(as_of, created.shape), hours) / 3600
        target = hours.target_hours
        met = np.isfinite(business) & (business <= target)
        missed = (np.isfinite(business) & (business > target)) | (
            (unanswered == 1) & (waited > target)
        )
        self.metric(
            "acknowledged_within_target",
            f"Acknowledged within {target:g} business hours",
            _share(met.sum(), met.sum() + missed.sum()),
            "share",
            f"Requests first answered within {target:g} business hours ({hours.describe()}; "
            "weekends excluded) / requests whose outcome is known: answered with a recorded "
            "time, or still unanswered after the target had passed at the report time. Reaction-"
            "only responses (time unknown) and unanswered requests still inside the target are "
            "left out. Business time is computed in numpy over the fetched timestamps.",
        )
        self.metric(
            "resolution_median_hours",
            "Resolution, median",
            _percentile(resolution, 50),
            "hours",
            "Median calendar hours from a request to its resolution, over resolved "
            "requests with a resolution time.",
        )
        self.metric(
            "resolution_p90_hours",
            "Resolution, p90",
            _percentile(resolution, 90),
            "hours",
            "90th percentile (linear interpolation) of the same calendar hours.",
        )
        rows = []
        with_suggestion = cube[cube["suggested"] == 1]
        groups = with_suggestion.groupby("holdout")[["requests", "docs", "human"]].sum()
        for flag, label in ((0, "links shown"), (1, "holdout (no links)")):
            if flag not in groups.index:
                continue
            g = groups.loc[flag]
            rows.append(
                (
                    label,
                    int(g.requests),
                    _share(g.docs, g.requests),
                    _share(g.human, g.requests),
                    _percentile(resolution[(holdout == flag) & (suggested == 1)], 50),
                )
            )
        self.table(
            "holdout",
            "Holdout comparison: with vs without suggested links",
            "Only requests the responder answered live with a suggestion (not imported "
            "history): those "
            "outside the holdout (shown the links that passed the minimum score) vs the holdout "
            "share shown none on purpose: share resolved by documentation, share resolved by a "
            "person, median calendar hours to resolution.",
            ("group", "requests", "docs_share", "human_share", "resolution_median_hours"),
            rows,
            note="" if rows else NO_SUGGESTIONS,
        )

    def open_requests(self) -> None:
        n = self.report.open_after_hours
        cutoff = self.report.as_of - timedelta(hours=n)
        where = [*self.where, UNRESOLVED, Request.created_at < cutoff]
        counts = select(func.count(), _count(UNANSWERED)).where(*where)
        still_open, unanswered = self.connection.execute(counts).one()
        self.metric(
            "open_older",
            f"Open after {n:g} h",
            int(still_open),
            "requests",
            f"Requests of the period with no resolution, created more than {n:g} hours "
            "before the report time.",
        )
        self.metric(
            "unanswered_older",
            f"Unanswered after {n:g} h",
            int(unanswered),
            "requests",
            "Of those, the ones nobody replied or reacted to: lost in threads.",
        )
        query = (
            select(
                Request.created_at,
                Request.channel,
                Request.requester_team,
                EFFECTIVE_TOPIC,
                case((UNANSWERED, "no"), else_="yes"),
                Request.permalink,
                Request.ts,
                func.substr(Request.text, 1, EXCERPT),
            )
            .where(*where)
            .order_by(Request.created_at, Request.id)
            .limit(OPEN_LIMIT)
        )
        as_of = self.report.as_of
        rows = [
            (
                created,
                round((as_of - created).total_seconds() / 86400, 1),
                self.channel(channel),
                self.team(team),
                topic,
                answered,
                thread_link(permalink, channel, ts, self.slack_domain),
                text,
            )
            for created, channel, team, topic, answered, permalink, ts, text in (
                self.connection.execute(query)
            )
        ]
        self.table(
            "open_requests",
            f"The {OPEN_LIMIT} oldest open requests (older than {n:g} hours)",
            f"Unresolved requests older than {n:g} hours, oldest first (at most "
            f"{OPEN_LIMIT}), with their age in days and whether anyone answered; follow the "
            "link to the thread (the stored permalink, or one built from the Slack domain).",
            ("created_at", "age_days", "channel", "team", "topic", "answered", "link", "text"),
            rows,
        )

    def follow_ups(self) -> None:
        """Reminders and escalations the responder posted about the period's requests.

        Driven from the small follow_ups table (each row's request looked up by its key), and
        one EXISTS for "any live request at all": nothing like a pass over the period."""
        of_period = exists().where(Request.id == FollowUp.request_id, *self.where, LIVE)
        query = (  # a correlated EXISTS: a join would let SQLite scan the requests instead
            select(FollowUp.kind, func.count())
            .where(FollowUp.posted_at.is_not(None), of_period)
            .group_by(FollowUp.kind)
        )
        sent = {str(kind): int(n) for kind, n in self.connection.execute(query)}
        live = self.connection.execute(select(exists().where(*self.where, LIVE))).scalar()
        reminders = sent.get(FollowUpKind.REMINDER, 0)
        escalations = sent.get(FollowUpKind.ESCALATION, 0)
        note = "" if live else "no live requests in this period: the Slack responder posts these"
        self.metric(
            "reminders_sent",
            "Reminders sent",
            reminders if live else None,
            "requests",
            "The period's live requests that got a reminder in their thread (mentioning who is "
            "on support) after waiting unanswered for `serve --remind-after` business hours.",
            note,
        )
        self.metric(
            "escalations_sent",
            "Escalations sent",
            escalations if live else None,
            "requests",
            "The period's live requests whose thread link went to the escalation channel after "
            "waiting unanswered for `serve --escalate-after` business hours.",
            note,
        )

    def doc_gaps(self, cube: pd.DataFrame) -> None:
        topics = cube[cube["topic"] != UNCLASSIFIED].groupby("topic")[["requests", "docs"]].sum()
        overall = _share(cube["docs"].sum(), cube["requests"].sum()) or 0.0
        rows = []
        if not topics.empty:
            busy = topics[topics["requests"] >= topics["requests"].median()]
            for topic, r in busy.sort_values("requests", ascending=False).iterrows():
                share = _share(r.docs, r.requests) or 0.0
                if share < overall or overall == 0:
                    rows.append((topic, int(r.requests), share, overall))
        self.table(
            "doc_gaps",
            "Documentation gaps: busy topics rarely resolved by docs",
            "Topics with at least the median topic volume whose share resolved by "
            "documentation is below the period's overall share (all of them when nothing was "
            "resolved by docs): where new or better documentation pays off most.",
            ("topic", "requests", "docs_share", "overall_docs_share"),
            rows,
        )
        no_link = and_(
            SHOWN,
            Request.docs_holdout.is_(False),
            ~exists().where(DocSuggestion.request_id == Request.id),
        )
        suggested = and_(SHOWN, Request.docs_holdout.is_(False))
        count = select(_count(suggested), _count(no_link)).where(*self.where)
        shown_to, without = self.connection.execute(count).one()
        self.metric(
            "no_link",
            "Suggestions with no link",
            _share(without, shown_to),
            "share",
            "Requests the responder answered live with a suggestion, outside the holdout, where no "
            "documentation link passed the minimum score / all such suggested requests.",
        )
        query = (
            select(
                Request.created_at,
                Request.channel,
                Request.predicted_topic,
                Request.permalink,
                Request.ts,
                func.substr(Request.text, 1, EXCERPT),
            )
            .where(*self.where, no_link)
            .order_by(Request.created_at.desc())
            .limit(LIST_LIMIT)
        )
        listed: list[tuple[Any, ...]] = [
            (
                created,
                self.channel(channel),
                topic,
                thread_link(permalink, channel, ts, self.slack_domain),
                text,
            )
            for created, channel, topic, permalink, ts, text in self.connection.execute(query)
        ]
        self.table(
            "no_link_requests",
            "Requests where no link passed the minimum score",
            f"The newest {LIST_LIMIT} suggested requests (outside the holdout) shown no link: "
            "questions the documentation does not answer yet.",
            ("created_at", "channel", "suggested_topic", "link", "text"),
            listed,
        )

    def model_quality(self) -> None:
        predicted = Request.predicted_topic.is_not(None)
        query = select(
            _count(predicted),
            _count(and_(predicted, Request.abstained.is_(True))),
            _count(JUDGED),
            _count(and_(JUDGED, Request.predicted_topic == Request.final_topic)),
        ).where(*self.where)
        suggested, abstained, judged, agreed = self.connection.execute(query).one()
        self.metric(
            "suggested",
            "Requests with a suggestion",
            int(suggested),
            "requests",
            "Requests the model suggested a topic for (or abstained on).",
            note="" if suggested else NO_SUGGESTIONS,
        )
        self.metric(
            "abstention_rate",
            "Abstention rate",
            _share(abstained, suggested),
            "share",
            "Requests where the model abstained (confidence below its threshold) / requests "
            "with a suggestion.",
        )
        self.metric(
            "agreement",
            "Agreement with people",
            _share(agreed, judged),
            "share",
            "Suggested topic == the topic a person confirmed or a form gave (label source "
            "human or form), over non-abstained suggestions that have such a label.",
        )
        pairs = (
            select(Request.final_topic, Request.predicted_topic, func.count().label("n"))
            .where(*self.where, JUDGED, Request.predicted_topic != Request.final_topic)
            .group_by(Request.final_topic, Request.predicted_topic)
            .order_by(func.count().desc(), Request.final_topic, Request.predicted_topic)
            .limit(20)
        )
        self.table(
            "confusion",
            "Model confusions: confirmed topic vs suggested topic",
            "The most frequent disagreements between the topic people confirmed and the one "
            "the model suggested (same population as the agreement rate).",
            ("confirmed_topic", "suggested_topic", "requests"),
            [tuple(row) for row in self.connection.execute(pairs)],
        )


def build_report(
    engine: Engine,
    since: datetime,
    until: datetime,
    filters: Filters | None = None,
    hours: BusinessHours | None = None,
    open_after_hours: float = 24.0,
    low_confidence: float = 0.5,
    now: datetime | None = None,
    slack_domain: str | None = None,
    ownership: Ownership | None = None,
) -> Report:
    """All KPIs for requests created in [since, until), narrowed by ``filters``.

    "Open after N hours" and the acknowledgement target are judged at ``min(until, now)``; the
    headline KPIs are computed for the previous period of equal length too (judged at its end).
    ``slack_domain`` (the workspace's <domain>.slack.com) builds thread links for requests
    stored without a permalink. ``ownership`` gives requests never assigned a team their
    topic's owner, in the "by owning team" table and the staff time per owning team.
    """
    for name, moment in (("since", since), ("until", until)):
        if moment.tzinfo is None:
            raise ReportError(f"--{name} {moment.isoformat()}: give a time zone (or a date)")
    if since >= until:
        raise ReportError(
            f"period {since:%Y-%m-%d} to {until:%Y-%m-%d} is empty: --since must be before --until"
        )
    if open_after_hours <= 0:
        raise ReportError(f"open after {open_after_hours} hours: must be positive")
    as_of = min(until, now or datetime.now(UTC))
    report = Report(
        since=since.astimezone(UTC),
        until=until.astimezone(UTC),
        as_of=as_of.astimezone(UTC),
        filters=filters or Filters(),
        hours=hours or BusinessHours(),
        open_after_hours=open_after_hours,
    )
    span = report.until - report.since
    before = Report(
        since=report.since - span,
        until=report.since,
        as_of=min(report.since, report.as_of),
        filters=report.filters,
        hours=report.hours,
        open_after_hours=open_after_hours,
    )
    with engine.connect() as connection:
        builder = _Builder(connection, report, low_confidence, slack_domain, ownership)
        builder.run()
        with builder.timed("previous_period"):
            _Builder(connection, before, low_confidence).run(headline_only=True)
    for key in report.headline:
        metric, prior = report.metrics[key], before.metrics[key].value
        report.metrics[key] = replace(
            metric, previous=prior, change=change(metric.value, prior, metric.unit)
        )
    return report


REQUEST_COLUMNS = (
    "id",
    "workspace",
    "channel",
    "ts",
    "created_at",
    "source",
    "requester_team",
    "assigned_team",
    "topic",
    "topic_origin",
    "final_topic",
    "label_source",
    "predicted_topic",
    "confidence",
    "abstained",
    "docs_holdout",
    "status",
    "first_response_at",
    "first_responder",
    "resolved_at",
    "resolution",
    "staff_replies",
    "staff_people",
    "turns",
    "handling_seconds",
    "staff_seconds",
    "permalink",
    "text",
)


def request_rows(
    engine: Engine, since: datetime, until: datetime, filters: Filters | None = None
) -> Iterator[tuple[Any, ...]]:
    """The per-request table of the period (REQUEST_COLUMNS), streamed in creation order."""
    computed = {"topic": EFFECTIVE_TOPIC, "topic_origin": TOPIC_ORIGIN}
    columns = [computed[n] if n in computed else getattr(Request, n) for n in REQUEST_COLUMNS]
    query = (
        select(*columns)
        .where(*_where(since, until, filters or Filters()))
        .order_by(Request.created_at, Request.id)
        .execution_options(yield_per=5000)
    )
    with engine.connect() as connection:
        yield from (tuple(row) for row in connection.execute(query))
