"""Reads and writes the rest of supportml uses; callers never write SQL against the store.

Writes that may race (an import in two processes, Slack retrying an event) use the database's own
``INSERT … ON CONFLICT DO NOTHING`` so the unique keys, not timing, decide what is a duplicate.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    ColumnElement,
    CursorResult,
    Engine,
    Float,
    Integer,
    Result,
    Select,
    String,
    and_,
    bindparam,
    case,
    column,
    delete,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeEngine

from supportml.effort import EffortModel, Reply, derive
from supportml.store.db import transaction
from supportml.store.models import (
    Base,
    Channel,
    DocSuggestion,
    FeedbackEvent,
    FollowUp,
    ImportRun,
    InboxEvent,
    ModelConfusion,
    Nudge,
    ProcessedEvent,
    Request,
    SeenMessage,
    ThreadReply,
    TopicMap,
)
from supportml.vocabulary import (
    GIVEN_LABELS,
    PEOPLES_LABELS,
    UNCLASSIFIED,
    DocFeedback,
    FollowUpKind,
    ImportStatus,
    LabelSource,
    RequestStatus,
    Resolution,
    TopicOrigin,
)

if TYPE_CHECKING:
    from supportml.suggest import Suggester

# the model's own guesses never train it
LABEL_PRIORITY = {LabelSource.HUMAN: 0, LabelSource.FORM: 1, LabelSource.IMPORT: 2}


# One effective topic everywhere: people's label, else the model's confident suggestion (which
# `record_suggestion` keeps in final_topic with label source "model"), else UNCLASSIFIED.
EFFECTIVE_TOPIC: ColumnElement[str] = func.coalesce(Request.final_topic, literal(UNCLASSIFIED))
TOPIC_ORIGIN: ColumnElement[str] = case(
    (
        and_(Request.final_topic.is_not(None), Request.label_source.in_(GIVEN_LABELS)),
        literal(TopicOrigin.PEOPLE.value),
    ),
    (Request.final_topic.is_not(None), literal(TopicOrigin.MODEL.value)),
    else_=literal(TopicOrigin.UNCLASSIFIED.value),
)


# A request the responder saw live (not imported history): only these were shown a reply, links
# or a holdout; `supportml classify` gives imported ones a topic, but nobody saw it.
LIVE: ColumnElement[bool] = Request.import_run_id.is_(None)


def _changed(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE matched (``Session.execute`` is typed as a plain Result)."""
    return int(cast(CursorResult[Any], result).rowcount or 0)


def _insert(session: Session, model: type) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(model)


def insert_new_requests(session: Session, rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert the rows not stored yet (by workspace, channel, ts); return how many were new."""
    if not rows:
        return 0
    statement = (
        _insert(session, Request)
        .on_conflict_do_nothing(index_elements=["workspace", "channel", "ts"])
        .returning(Request.id)
    )
    return len(session.execute(statement, list(rows)).all())


def existing_keys(
    session: Session, keys: Iterable[tuple[str, str, str]]
) -> set[tuple[str, str, str]]:
    """Which (workspace, channel, ts) keys are already stored: lets an import skip work early."""
    keys = list(keys)
    found: set[tuple[str, str, str]] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        channels = {channel for _, channel, _ in chunk}
        stamps = {ts for _, _, ts in chunk}
        query = select(Request.workspace, Request.channel, Request.ts).where(
            Request.channel.in_(channels), Request.ts.in_(stamps)
        )
        found.update(tuple(row) for row in session.execute(query))  # type: ignore[misc]
    return found & set(keys)


# What a second source may add to a stored request without overriding what is already known.
FILLABLE = (
    "requester",
    "requester_team",
    "external_id",
    "permalink",
    "first_response_at",
    "first_responder",
    "resolved_at",
    "resolution",
)
LABEL_COLUMNS = ("original_topic", "final_topic", "label_source")


def merge_requests(session: Session, rows: Sequence[Mapping[str, Any]]) -> tuple[int, int]:
    """Insert new requests and fill gaps in stored ones; return (inserted, enriched).

    The same request often arrives from two sources (a tracking-sheet row with the Slack link of
    an exported message): the second may only fill columns that are still empty, and a people-given
    label replaces none or the model's own guess, never another person's label. Rows that add
    nothing are left untouched (and counted by the caller as duplicates).
    """
    if not rows:
        return 0, 0
    keys = [(row["workspace"], row["channel"], row["ts"]) for row in rows]
    before = existing_keys(session, keys)
    statement = _insert(session, Request)
    new = statement.excluded
    unlabelled = or_(Request.label_source.is_(None), Request.label_source == LabelSource.MODEL)
    takes_label = and_(
        unlabelled, new.final_topic.is_not(None), new.label_source != LabelSource.MODEL
    )
    updates: dict[str, Any] = {
        name: func.coalesce(getattr(Request, name), getattr(new, name)) for name in FILLABLE
    }
    updates |= {
        name: case((takes_label, getattr(new, name)), else_=getattr(Request, name))
        for name in LABEL_COLUMNS
    }
    updates["status"] = case(
        (Request.status == RequestStatus.RESOLVED, Request.status),
        (new.status == RequestStatus.RESOLVED, new.status),
        (Request.status == RequestStatus.ANSWERED, Request.status),
        else_=new.status,
    )
    fills = [
        and_(getattr(Request, name).is_(None), getattr(new, name).is_not(None)) for name in FILLABLE
    ]
    statement = statement.on_conflict_do_update(
        index_elements=["workspace", "channel", "ts"],
        set_=updates,
        where=or_(takes_label, *fills),
    ).returning(Request.workspace, Request.channel, Request.ts)
    touched = {tuple(row) for row in session.execute(statement, list(rows))}
    enriched = len(touched & before)
    return len(touched) - enriched, enriched


def requests_within(
    session: Session, workspaces: Iterable[str], windows: Sequence[tuple[datetime, datetime]]
) -> list[tuple[str, str, str, str | None, str | None, datetime, str]]:
    """(workspace, channel, ts, requester, requester_team, created_at, text) of every stored,
    not deleted request created within one of ``windows``: one import batch's candidates for
    the messages its link-less rows may duplicate, in one query."""
    if not windows:
        return []
    query = select(
        Request.workspace,
        Request.channel,
        Request.ts,
        Request.requester,
        Request.requester_team,
        Request.created_at,
        Request.text,
    ).where(
        Request.workspace.in_(set(workspaces)),
        Request.deleted.is_(False),
        or_(*(Request.created_at.between(start, end) for start, end in windows)),
    )
    return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]


def requester_teams(
    session: Session, workspaces: Iterable[str], requesters: Iterable[str]
) -> list[tuple[str, str]]:
    """(requester, team) pairs the store records for ``requesters``: an exported message names
    its author but rarely their team, which a sheet row without a requester gives instead."""
    names = set(requesters)
    if not names:
        return []
    query = (
        select(Request.requester, Request.requester_team)
        .where(
            Request.workspace.in_(set(workspaces)),
            Request.requester.in_(names),
            Request.requester_team.is_not(None),
        )
        .distinct()
    )
    return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]


# -- thread replies and the effort they show ------------------------------------------------------


def insert_thread_replies(
    session: Session, rows: Sequence[Mapping[str, Any]], model: EffortModel
) -> int:
    """Store the replies not stored yet (by workspace, channel, ts) and bring the effort of their
    requests up to date; return how many were new (none for a retried event or a re-imported
    export, which change nothing)."""
    if not rows:
        return 0
    statement = (
        _insert(session, ThreadReply)
        .on_conflict_do_nothing(index_elements=["workspace", "channel", "ts"])
        .returning(ThreadReply.request_id)
    )
    changed = list(session.scalars(statement, list(rows)))
    refresh_effort(session, changed, model)
    return len(changed)


def refresh_effort(session: Session, request_ids: Iterable[int], model: EffortModel) -> int:
    """Recompute the stored effort of ``request_ids`` from their replies (`effort.derive`) in
    one read and one executemany UPDATE per 500 requests; return how many were updated."""
    ids = sorted(set(request_ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        created: dict[int, datetime] = {
            rid: when
            for rid, when in session.execute(
                select(Request.id, Request.created_at).where(Request.id.in_(chunk))
            )
        }
        replies: dict[int, list[Reply]] = {rid: [] for rid in created}
        query = select(
            ThreadReply.request_id, ThreadReply.posted_at, ThreadReply.user_id, ThreadReply.is_staff
        ).where(ThreadReply.request_id.in_(chunk))
        for rid, posted_at, user, staff in session.execute(query):
            replies[rid].append(Reply(posted_at, user, staff))
        values = []
        for rid, thread in replies.items():
            effort = derive(created[rid], thread, model)
            values.append({"e_id": rid, **{f"e_{k}": v for k, v in vars(effort).items()}})
        if values:
            session.connection().execute(
                update(Request)
                .where(Request.id == bindparam("e_id"))
                .values({name: bindparam(f"e_{name}") for name in EFFORT_COLUMNS}),
                values,
            )
    return len(ids)


EFFORT_COLUMNS = ("staff_replies", "staff_people", "turns", "handling_seconds", "staff_seconds")


def requests_with_replies(session: Session) -> list[int]:
    """Ids of every request with a stored reply: what `db refresh-effort` recomputes."""
    return list(session.scalars(select(ThreadReply.request_id).distinct()))


def request_ids(
    session: Session, keys: Iterable[tuple[str, str, str]]
) -> dict[tuple[str, str, str], int]:
    """(workspace, channel, ts) -> request id, for the keys that are stored."""
    keys = list(keys)
    found: dict[tuple[str, str, str], int] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        query = select(Request.workspace, Request.channel, Request.ts, Request.id).where(
            Request.channel.in_({c for _, c, _ in chunk}), Request.ts.in_({t for _, _, t in chunk})
        )
        found.update({(w, c, t): i for w, c, t, i in session.execute(query)})
    wanted = set(keys)
    return {key: rid for key, rid in found.items() if key in wanted}


def mark_event_processed(session: Session, event_id: str, when: datetime | None = None) -> bool:
    """Remember a Slack event id; False if it was seen before (a retry to drop)."""
    statement = (
        _insert(session, ProcessedEvent)
        .values(event_id=event_id, received_at=when or datetime.now(UTC))
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(ProcessedEvent.event_id)
    )
    return session.execute(statement).first() is not None


def is_event_processed(session: Session, event_id: str) -> bool:
    return session.get(ProcessedEvent, event_id) is not None


def record_seen(session: Session, workspace: str, channel: str, ts: str) -> None:
    """Count a top-level human message seen in a support channel (once per message)."""
    session.execute(
        _insert(session, SeenMessage)
        .values(workspace=workspace, channel=channel, ts=ts, seen_at=datetime.now(UTC))
        .on_conflict_do_nothing(index_elements=["workspace", "channel", "ts"])
    )


@dataclass(frozen=True)
class ReplyClaim:
    """The right to post a request's reply until ``until``; ``taken_over`` when an earlier
    claim expired unfinished (a crash or a timeout: the reply may be in the thread already)."""

    owner: str
    until: datetime
    taken_over: bool


def claim_reply(
    session: Session, request_id: int, owner: str, now: datetime, lease: timedelta
) -> ReplyClaim | None:
    """Take the right to post a request's reply; None if it is posted or someone's live claim.

    A compare-and-set on the claim columns, so two deliveries of one message (a retry, or a
    duplicate with a new event id) handled at once by two threads or two replicas post one reply.
    """
    previous = session.execute(
        select(Request.reply_claimed_by).where(Request.id == request_id)
    ).scalar_one_or_none()
    free = or_(Request.reply_claim_until.is_(None), Request.reply_claim_until < now)
    same = (
        Request.reply_claimed_by.is_(None)
        if previous is None
        else Request.reply_claimed_by == previous
    )
    result = session.execute(
        update(Request)
        .where(Request.id == request_id, Request.reply_ts.is_(None), free, same)
        .values(reply_claimed_by=owner, reply_claim_until=now + lease)
    )
    if not _changed(result):
        return None
    return ReplyClaim(owner, now + lease, taken_over=previous is not None)


def set_reply(session: Session, request_id: int, ts: str) -> None:
    """Record the posted (or found) reply's ts; the claim is done."""
    session.execute(
        update(Request)
        .where(Request.id == request_id)
        .values(reply_ts=ts, reply_claimed_by=None, reply_claim_until=None)
    )


def release_reply(session: Session, request_id: int, owner: str) -> None:
    """Give a claim back after a failure Slack says posted nothing, so a retry posts at once."""
    session.execute(
        update(Request)
        .where(Request.id == request_id, Request.reply_claimed_by == owner)
        .values(reply_claimed_by=None, reply_claim_until=None)
    )


def record_first_response(session: Session, request_id: int, user: str, when: datetime) -> bool:
    """Set the first response of a request that has none; False if one was recorded already.

    One conditional UPDATE, like `claim_reply`: a thread reply and a reaction handled at once
    record one first response, and a resolution committed meanwhile is not turned back into
    "answered" by a status read before it.
    """
    result = session.execute(
        update(Request)
        .where(Request.id == request_id, Request.first_response_at.is_(None))
        .values(
            first_response_at=when,
            first_responder=user,
            status=case(
                (Request.status == RequestStatus.OPEN, RequestStatus.ANSWERED), else_=Request.status
            ),
        )
    )
    return bool(_changed(result))


def unanswered_requests(
    session: Session, channels: Iterable[str], since: datetime, now: datetime
) -> list[int]:
    """Ids of live requests (not imported, not deleted) in ``channels`` created since ``since``
    whose reply was never posted and is not claimed now (an expired claim counts), oldest first."""
    query = (
        select(Request.id)
        .where(
            Request.channel.in_(list(channels)),
            Request.reply_ts.is_(None),
            or_(Request.reply_claim_until.is_(None), Request.reply_claim_until < now),
            Request.deleted.is_(False),
            LIVE,
            Request.created_at >= since,
        )
        .order_by(Request.created_at)
    )
    return list(session.scalars(query))


def waiting_requests(
    session: Session, channels: Iterable[str], since: datetime
) -> list[tuple[Any, ...]]:
    """Live requests in ``channels`` created since ``since``, not deleted, unanswered and
    unresolved, oldest first, as `supportml.followup.Waiting` fields: id, created_at, channel,
    thread ts, effective topic, permalink, reminder posted, escalation posted, assigned team."""
    reminded, escalated = (
        select(FollowUp.request_id).where(
            FollowUp.kind == kind, FollowUp.posted_at.is_not(None)
        ).scalar_subquery()
        for kind in (FollowUpKind.REMINDER, FollowUpKind.ESCALATION)
    )  # fmt: skip
    query = (
        select(
            Request.id, Request.created_at, Request.channel,
            func.coalesce(Request.thread_ts, Request.ts), EFFECTIVE_TOPIC, Request.permalink,
            Request.id.in_(reminded), Request.id.in_(escalated), Request.assigned_team,
        )
        .where(
            Request.channel.in_(list(channels)),
            Request.deleted.is_(False),
            LIVE,
            Request.created_at >= since,
            Request.first_response_at.is_(None),
            Request.first_responder.is_(None),
            Request.status != RequestStatus.RESOLVED,
            Request.resolution.is_(None),
        )
        .order_by(Request.created_at)
    )  # fmt: skip
    return [tuple(row) for row in session.execute(query)]


def claim_follow_up(
    session: Session, request_id: int, kind: str, owner: str, now: datetime, lease: timedelta
) -> ReplyClaim | None:
    """Take the right to post a request's reminder or escalation; None if it was posted or is
    someone's live claim. The same compare-and-set as `claim_reply`, on its own row."""
    session.execute(
        _insert(session, FollowUp)
        .values(request_id=request_id, kind=kind)
        .on_conflict_do_nothing(index_elements=["request_id", "kind"])
    )
    key = (FollowUp.request_id == request_id, FollowUp.kind == kind)
    previous = session.execute(select(FollowUp.claimed_by).where(*key)).scalar_one_or_none()
    free = or_(FollowUp.claim_until.is_(None), FollowUp.claim_until < now)
    same = FollowUp.claimed_by.is_(None) if previous is None else FollowUp.claimed_by == previous
    result = session.execute(
        update(FollowUp)
        .where(*key, FollowUp.posted_at.is_(None), free, same)
        .values(claimed_by=owner, claim_until=now + lease)
    )
    if not _changed(result):
        return None
    return ReplyClaim(owner, now + lease, taken_over=previous is not None)


def set_follow_up(session: Session, request_id: int, kind: str, ts: str, when: datetime) -> None:
    """Record the posted (or found) reminder or escalation; the claim is done."""
    session.execute(
        update(FollowUp)
        .where(FollowUp.request_id == request_id, FollowUp.kind == kind)
        .values(posted_at=when, message_ts=ts, claimed_by=None, claim_until=None)
    )


def release_follow_up(session: Session, request_id: int, kind: str, owner: str) -> None:
    """Give a claim back after a failure Slack says posted nothing."""
    session.execute(
        update(FollowUp)
        .where(
            FollowUp.request_id == request_id, FollowUp.kind == kind, FollowUp.claimed_by == owner
        )
        .values(claimed_by=None, claim_until=None)
    )


def put_inbox(
    session: Session,
    event_id: str,
    team: str | None,
    payload: Mapping[str, Any],
    owner: str,
    now: datetime,
    lease: timedelta,
) -> int | None:
    """Store a received event, leased to its receiver. A retry of an event id still in the inbox
    takes that row if nobody holds it (its handling failed); None if someone does."""
    statement = (
        _insert(session, InboxEvent)
        .values(
            event_id=event_id,
            team=team,
            payload=dict(payload),
            received_at=now,
            lease_owner=owner,
            lease_until=now + lease,
            attempts=1,
        )  # fmt: skip
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(InboxEvent.id)
    )
    inserted = session.execute(statement).scalar_one_or_none()
    if inserted is not None:
        return inserted
    return session.execute(
        update(InboxEvent)
        .where(
            InboxEvent.event_id == event_id,
            or_(InboxEvent.lease_until.is_(None), InboxEvent.lease_until < now),
        )
        .values(lease_owner=owner, lease_until=now + lease, attempts=InboxEvent.attempts + 1)
        .returning(InboxEvent.id)
    ).scalar_one_or_none()


def renew_inbox(
    session: Session, inbox_id: int, owner: str, now: datetime, lease: timedelta
) -> InboxItem | None:
    """Extend a lease still held by ``owner`` as its handling starts (it may have waited in a
    queue); None if the row is gone or a drain took it after the lease expired."""
    row = session.execute(
        update(InboxEvent)
        .where(InboxEvent.id == inbox_id, InboxEvent.lease_owner == owner)
        .values(lease_until=now + lease)
        .returning(InboxEvent.event_id, InboxEvent.team, InboxEvent.payload, InboxEvent.attempts)
    ).first()
    return None if row is None else InboxItem(inbox_id, *row)


def release_inbox(session: Session, inbox_id: int, owner: str) -> None:
    """Give up a lease after a failed attempt: the next drain or delivery retries the row."""
    session.execute(
        update(InboxEvent)
        .where(InboxEvent.id == inbox_id, InboxEvent.lease_owner == owner)
        .values(lease_until=None)
    )


def inbox_backlog(session: Session) -> tuple[int, datetime | None]:
    """How many events wait in the inbox and when the oldest arrived (one cheap query, for
    the responder's metrics)."""
    count, oldest = session.execute(select(func.count(), func.min(InboxEvent.received_at))).one()
    return int(count), oldest


@dataclass(frozen=True)
class InboxItem:
    """A stored event to handle: what `Responder.handle_event` takes, and how often it was tried."""

    id: int
    event_id: str
    team: str | None
    payload: dict[str, Any]
    attempts: int


def lease_inbox(
    session: Session, owner: str, now: datetime, lease: timedelta, limit: int = 100
) -> list[InboxItem]:
    """Lease up to ``limit`` stored events nobody holds (never leased, or the lease expired),
    oldest first. Each is a compare-and-set on its lease, so two replicas never take one row."""
    candidates = session.execute(
        select(InboxEvent.id, InboxEvent.lease_until)
        .where(or_(InboxEvent.lease_until.is_(None), InboxEvent.lease_until < now))
        .order_by(InboxEvent.id)
        .limit(limit)
    ).all()
    taken = []
    for inbox_id, seen_until in candidates:
        same = (
            InboxEvent.lease_until.is_(None)
            if seen_until is None
            else InboxEvent.lease_until == seen_until
        )
        result = session.execute(
            update(InboxEvent)
            .where(InboxEvent.id == inbox_id, same)
            .values(lease_owner=owner, lease_until=now + lease, attempts=InboxEvent.attempts + 1)
            .returning(
                InboxEvent.event_id, InboxEvent.team, InboxEvent.payload, InboxEvent.attempts
            )
        ).first()
        if result is not None:
            taken.append(InboxItem(inbox_id, *result))
    return taken


def done_inbox(session: Session, inbox_id: int) -> None:
    """Forget a handled (or given up) event."""
    session.execute(delete(InboxEvent).where(InboxEvent.id == inbox_id))


def first_nudge_today(session: Session, user: str, day: str) -> bool:
    """True once per person and UTC day: whether a private nudge may be sent now."""
    statement = (
        _insert(session, Nudge)
        .values(user=user, day=day)
        .on_conflict_do_nothing(index_elements=["user", "day"])
        .returning(Nudge.user)
    )
    return session.execute(statement).first() is not None


def feedback_history(session: Session, request_id: int) -> list[tuple[str, str, str | None]]:
    """(action, actor, value) of a request's feedback log, oldest first."""
    query = (
        select(FeedbackEvent.action, FeedbackEvent.actor, FeedbackEvent.value)
        .where(FeedbackEvent.request_id == request_id)
        .order_by(FeedbackEvent.id)
    )
    return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]


def prune_events(session: Session, older_than: datetime) -> int:
    """The retention job: forget event ids received before ``older_than`` (Slack retries for
    minutes, not days, so a week is plenty)."""
    result = session.execute(delete(ProcessedEvent).where(ProcessedEvent.received_at < older_than))
    return _changed(result)


def start_import(session: Session, kind: str, source: str) -> int:
    run = ImportRun(kind=kind, source=source, status=ImportStatus.RUNNING, counts={})
    session.add(run)
    session.flush()
    return run.id


def finish_import(session: Session, run_id: int, status: str, counts: Mapping[str, Any]) -> None:
    session.execute(
        update(ImportRun)
        .where(ImportRun.id == run_id)
        .values(status=status, counts=dict(counts), finished_at=datetime.now(UTC))
    )


def save_channel_names(session: Session, names: Mapping[tuple[str, str], str]) -> None:
    """Record each (workspace, channel id)'s name; a renamed channel keeps its newest name."""
    if not names:
        return
    rows = [{"workspace": w, "channel_id": c, "name": n} for (w, c), n in names.items()]
    statement = _insert(session, Channel).values(rows)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["workspace", "channel_id"], set_={"name": statement.excluded.name}
        )
    )


def topic_maps(session: Session) -> list[dict[str, str]]:
    """Every recorded map, oldest first: imports re-apply them in this order."""
    return [dict(m) for m in session.scalars(select(TopicMap.mapping).order_by(TopicMap.id))]


def has_topic_map(session: Session, sha256: str) -> bool:
    return session.scalar(select(TopicMap.id).where(TopicMap.sha256 == sha256)) is not None


def apply_topic_map(session: Session, name: str, sha256: str, mapping: Mapping[str, str]) -> int:
    """Rename/merge the people-given labels of stored requests and record the map; rows changed."""
    changed = 0
    for old, new in mapping.items():
        result = session.execute(
            update(Request)
            .where(Request.final_topic == old, Request.label_source != LabelSource.MODEL)
            .values(final_topic=new)
        )
        changed += _changed(result)
    session.add(TopicMap(name=name, sha256=sha256, mapping=dict(mapping), rows_changed=changed))
    return changed


def labelled_requests(since: datetime | None = None) -> Select[Request]:
    """Requests with a people-given topic (never the model's guess), best label sources first."""
    query = (
        select(Request)
        .where(
            Request.final_topic.is_not(None),
            Request.label_source.in_(tuple(LABEL_PRIORITY)),
            Request.deleted.is_(False),
        )
        .order_by(case(LABEL_PRIORITY, value=Request.label_source), Request.created_at, Request.id)
    )
    return query if since is None else query.where(Request.created_at >= since)


def training_rows(
    session: Session, since: datetime | None = None
) -> list[tuple[str, str, str, str, datetime]]:
    """(id, text, topic, label source, created_at) of what `train --from-store` learns from, in
    `labelled_requests` order (best label source first)."""
    key = Request.workspace + "/" + Request.channel + "/" + Request.ts
    query = labelled_requests(since).with_only_columns(
        key, Request.text, Request.final_topic, Request.label_source, Request.created_at
    )
    return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]


def table_counts(session: Session) -> dict[str, int]:
    """Rows per table, for `supportml db status`."""
    return {
        name: int(session.scalar(select(func.count()).select_from(table)) or 0)
        for name, table in Base.metadata.tables.items()
    }


def find_request(session: Session, workspace: str, channel: str, ts: str) -> Request | None:
    return session.scalars(
        select(Request).where(
            Request.workspace == workspace, Request.channel == channel, Request.ts == ts
        )
    ).one_or_none()


def record_suggestion(
    session: Session,
    request: Request,
    *,
    topic: str,
    confidence: float,
    abstained: bool,
    model_version: str,
    links: Sequence[tuple[str, float]],
    holdout: bool,
) -> None:
    """Store what the model suggested and which docs were shown (none for the holdout share).

    Re-suggesting (an edited request) replaces links that got no feedback and keeps rated ones,
    so per-doc statistics never lose a click.
    """
    request.predicted_topic = topic
    request.confidence = confidence
    request.abstained = abstained
    request.model_version = model_version
    request.docs_holdout = holdout
    if request.label_source not in GIVEN_LABELS:
        request.final_topic, request.label_source = model_label(topic, abstained)
    session.execute(
        delete(DocSuggestion).where(
            DocSuggestion.request_id == request.id, DocSuggestion.feedback.is_(None)
        )
    )
    rated = set(
        session.scalars(select(DocSuggestion.doc_id).where(DocSuggestion.request_id == request.id))
    )
    for rank, (doc_id, score) in enumerate(() if holdout else links, start=1):
        if doc_id not in rated:
            session.add(DocSuggestion(request_id=request.id, doc_id=doc_id, rank=rank, score=score))


def record_doc_feedback(
    session: Session, request: Request, doc_id: str | None, feedback: str, actor: str
) -> None:
    """A click on a suggested doc (or on "Docs solved it" for all of them), logged and applied."""
    if feedback not in tuple(DocFeedback):
        raise ValueError(f"doc feedback {feedback!r}: expected one of {', '.join(DocFeedback)}")
    now = datetime.now(UTC)
    query = update(DocSuggestion).where(DocSuggestion.request_id == request.id)
    if doc_id is not None:
        query = query.where(DocSuggestion.doc_id == doc_id)
    session.execute(query.values(feedback=feedback, feedback_by=actor, feedback_at=now))
    if feedback == DocFeedback.RESOLVED:
        request.status, request.resolution = RequestStatus.RESOLVED, Resolution.DOCS
        request.resolved_at = request.resolved_at or now
    log_feedback(session, request, actor, f"doc_{feedback}", doc_id)


def log_feedback(
    session: Session,
    request: Request,
    actor: str,
    action: str,
    value: str | None = None,
    previous: str | None = None,
) -> None:
    """Append to the feedback log; rows there are never updated or deleted."""
    session.add(
        FeedbackEvent(
            request_id=request.id, actor=actor, action=action, value=value, previous=previous
        )
    )


# -- routing to owning teams (supportml.ownership) -------------------------------------------

REASSIGN = "reassign"  # the feedback-log action of a person moving a request to another team


def route_request(
    session: Session, request: Request, team: str | None, on_support: str | None
) -> bool:
    """Give a request its topic's owning team and the on-support person its reply names,
    unless a person reassigned it (theirs is kept); True when that changed anything."""
    if request.assigned_by is not None or request.assigned_team == team:
        return False
    request.assigned_team, request.assigned_to = team, on_support if team else None
    return True


def reassign_request(
    session: Session, request: Request, team: str, on_support: str | None, actor: str
) -> str | None:
    """A person moves a request to ``team``: stored on the request and in the feedback log
    (``previous`` is the team it came from). Returns that previous team."""
    previous = request.assigned_team
    request.assigned_team, request.assigned_to, request.assigned_by = team, on_support, actor
    log_feedback(session, request, actor, REASSIGN, team, previous)
    return previous


def assigned_team(session: Session, request_id: int) -> str | None:
    return session.scalar(select(Request.assigned_team).where(Request.id == request_id))


def assign_owning_teams(
    session: Session, team_for: Callable[[str], str | None], dry_run: bool = False
) -> int:
    """Give every stored request without a team its effective topic's owner (``team_for``);
    requests people reassigned already have one and are never touched. Returns how many
    requests got (or, dry, would get) a team.

    Topics are few: they are matched in Python (the ownership file's case-insensitive rule),
    then one UPDATE per owned topic."""
    unassigned = and_(
        Request.assigned_team.is_(None),
        Request.deleted.is_(False),
        Request.final_topic.is_not(None),
    )
    counts = session.execute(
        select(Request.final_topic, func.count()).where(unassigned).group_by(Request.final_topic)
    ).all()
    assigned = 0
    for topic, n in counts:
        team = team_for(str(topic))
        if team is None:
            continue
        if not dry_run:
            n = _changed(
                session.execute(
                    update(Request)
                    .where(unassigned, Request.final_topic == topic)
                    .values(assigned_team=team)
                )
            )
        assigned += int(n)
    return assigned


def doc_stats(session: Session) -> list[dict[str, Any]]:
    """Per doc: times shown, rated helpful, resolved the request, and shown yet still escalated
    (the request ended up resolved by a person) — the deflection numbers per page."""
    escalated = (Request.resolution == Resolution.HUMAN).cast(Integer)
    query = (
        select(
            DocSuggestion.doc_id,
            func.count().label("shown"),
            *(
                func.sum((DocSuggestion.feedback == kind).cast(Integer)).label(kind.value)
                for kind in DocFeedback
            ),
            func.sum(escalated).label("still_escalated"),
        )
        .join(Request, Request.id == DocSuggestion.request_id)
        .where(Request.deleted.is_(False))
        .group_by(DocSuggestion.doc_id)
        .order_by(func.count().desc(), DocSuggestion.doc_id)
    )
    return [
        {key: (value or 0) if key != "doc_id" else value for key, value in row._mapping.items()}
        for row in session.execute(query)
    ]


# -- classifying the stored history ----------------------------------------------------------

UNLABELLED = or_(Request.label_source.is_(None), Request.label_source == LabelSource.MODEL)


def model_label(topic: str | None, abstained: bool) -> tuple[str | None, LabelSource | None]:
    """(final_topic, label_source) of a request nobody labelled, after the model's suggestion:
    its topic when confident, no label when unsure (an unsure guess is nobody's label)."""
    return (None, None) if abstained or not topic else (topic, LabelSource.MODEL)


def unclassified_count(session: Session) -> int:
    """Live requests with neither a given label nor any model suggestion: what `classify` is for."""
    query = select(func.count()).where(
        Request.deleted.is_(False), UNLABELLED, Request.model_version.is_(None)
    )
    return int(session.scalar(query) or 0)


@dataclass
class ClassifySummary:
    """What one `classify_requests` run did (or, dry, would do)."""

    model_version: str
    dry_run: bool = False
    classified: int = 0  # given the model's confident topic
    abstained: int = 0  # the model was unsure, or the request has no text to read
    unchanged: int = 0  # already classified by this model version
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> requests
    seconds: float = 0.0
    assigned: int = 0  # given their topic's owning team afterwards (`assign_owning_teams`)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model_version": self.model_version,
            "dry_run": self.dry_run,
            "classified": self.classified,
            "abstained": self.abstained,
            "unchanged": self.unchanged,
            "skipped": dict(self.skipped),
            "seconds": round(self.seconds, 3),
            "assigned_to_team": self.assigned,
        }


SKIP_REASONS = {
    "labelled by a person": Request.label_source.in_(PEOPLES_LABELS),
    "imported label": Request.label_source == LabelSource.IMPORT,
}


def classify_requests(
    engine: Engine,
    suggester: Suggester,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    batch_size: int = 5000,
    dry_run: bool = False,
    total: Callable[[int], None] | None = None,
    advance: Callable[[int], None] | None = None,
    confusion: Mapping[str, Mapping[str, int]] | None = None,
) -> ClassifySummary:
    """Give every live request in [since, until) that nobody labelled the suggester's topic,
    confidence, abstention and model version; return what was done.

    Requests are read in id order ``batch_size`` at a time, predicted in one vectorised call and
    written in one statement per batch (on PostgreSQL while the next is read and predicted),
    each batch its own transaction: a killed run keeps the batches it finished, and the next run
    skips them because they carry this model's version (so a second run with the same model
    changes nothing). The UPDATE re-checks that the row is still
    unlabelled, so a person labelling a request meanwhile is never overwritten. ``total(n)`` is
    told how many requests need the model, ``advance(n)`` each batch written. The model's
    out-of-fold ``confusion`` (ModelCard.confusion) is recorded first (`record_confusion`).
    """
    start = time.perf_counter()
    version = suggester.model_version
    summary = ClassifySummary(version, dry_run)
    window: list[ColumnElement[bool]] = []
    if since is not None:
        window.append(Request.created_at >= since)
    if until is not None:
        window.append(Request.created_at < until)
    live = and_(Request.deleted.is_(False), UNLABELLED)
    unchanged = and_(live, Request.model_version == version)
    todo_condition = and_(live, func.coalesce(Request.model_version, "") != version)
    with transaction(engine) as session:
        summary.skipped, summary.unchanged, todo = _classify_counts(
            session, window, unchanged, todo_condition
        )
        if confusion and not dry_run:
            record_confusion(session, version, confusion)
    (total or (lambda _: None))(todo)
    advance = advance or (lambda _: None)
    last_id, written = None, None
    # On PostgreSQL one batch's write (its own transaction, another pooled connection) runs while
    # the next is read and predicted: the server works while Python computes. One at a time.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="classify-write") as writer:
        while todo:
            with transaction(engine) as session:
                query = select(Request.id, Request.text).where(*window, todo_condition)
                if last_id is not None:
                    query = query.where(Request.id > last_id)
                batch = session.execute(query.order_by(Request.id).limit(batch_size)).all()
            if not batch:
                break
            last_id = batch[-1][0]
            rows = _suggestion_rows(suggester, batch, batch_size, summary)
            if written is not None:
                advance(written.result())  # the previous batch is committed
                written = None
            if dry_run:
                advance(len(rows))
            elif engine.dialect.name == "postgresql":
                written = writer.submit(_write_batch, engine, rows, version)
            else:  # sqlite3 releases the GIL per row: a convoy behind the predicting thread
                advance(_write_batch(engine, rows, version))
        if written is not None:
            advance(written.result())
    summary.seconds = time.perf_counter() - start
    return summary


def record_confusion(
    session: Session, version: str, confusion: Mapping[str, Mapping[str, int]]
) -> None:
    """Store model ``version``'s out-of-fold confusions, once: a version names its content,
    so they never change, and a second run (or a concurrent one) leaves them as they are."""
    rows = [
        {"model_version": version, "true_topic": truth, "predicted_topic": guess, "requests": n}
        for truth, guesses in confusion.items()
        for guess, n in guesses.items()
    ]
    if rows:
        session.execute(_insert(session, ModelConfusion).on_conflict_do_nothing(), rows)


def _suggestion_rows(
    suggester: Suggester, batch: Sequence[Any], chunk: int, summary: ClassifySummary
) -> list[dict[str, Any]]:
    """The UPDATE parameters for a batch of (id, text) rows, counted into ``summary``."""
    backlog = suggester.suggest_backlog([text or "" for _, text in batch], chunk=chunk)
    rows = []
    for (rid, _), topic, confidence, abstained in zip(
        batch, backlog.topics, backlog.confidence, backlog.abstained, strict=True
    ):
        unsure = bool(abstained) or not topic
        final, source = model_label(topic, unsure)
        rows.append(
            {
                "b_id": rid,
                "b_predicted_topic": topic or None,
                "b_confidence": None if math.isnan(confidence) else float(confidence),
                "b_abstained": unsure,
                "b_final_topic": final,
                "b_label_source": None if source is None else str(source),
            }
        )
        summary.abstained += unsure
        summary.classified += not unsure
    return rows


def _write_batch(engine: Engine, rows: list[dict[str, Any]], version: str) -> int:
    with transaction(engine) as session:
        _write_suggestions(session, rows, version)
    return len(rows)


def _classify_counts(
    session: Session,
    window: list[ColumnElement[bool]],
    unchanged: ColumnElement[bool],
    todo: ColumnElement[bool],
) -> tuple[dict[str, int], int, int]:
    """(skipped per reason, unchanged, to do) in the window, in one pass over it."""

    def n(condition: ColumnElement[bool]) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    reasons = {"deleted": Request.deleted.is_(True)} | {
        reason: and_(Request.deleted.is_(False), condition)
        for reason, condition in SKIP_REASONS.items()
    }
    query = select(*(n(c) for c in reasons.values()), n(unchanged), n(todo)).where(*window)
    *skipped, same, to_do = session.execute(query).one()
    counts = {reason: int(k) for reason, k in zip(reasons, skipped, strict=True) if k}
    return counts, int(same), int(to_do)


# Columns a classify batch writes, and the type of each (PostgreSQL gets them as arrays).
_SUGGESTION_COLUMNS: dict[str, TypeEngine[Any]] = {
    "predicted_topic": String(),
    "confidence": Float(),
    "abstained": Boolean(),
    "final_topic": String(),
    "label_source": String(),
}


def _write_suggestions(session: Session, rows: list[dict[str, Any]], version: str) -> None:
    """One statement per batch; rows someone labelled since they were read are left.

    SQLite runs an executemany UPDATE in-process. PostgreSQL would get one statement per row
    (pipelined, yet a round of parsing, planning and index lookups each), so the batch goes as
    one array per column, joined to the table with ``unnest`` in a single UPDATE … FROM.
    """
    fixed = {"model_version": version, "updated_at": datetime.now(UTC)}  # one time per batch
    where = (UNLABELLED, Request.deleted.is_(False))
    if session.get_bind().dialect.name != "postgresql":
        statement = (
            update(Request)
            .where(Request.id == bindparam("b_id"), *where)
            .values({**fixed, **{name: bindparam(f"b_{name}") for name in _SUGGESTION_COLUMNS}})
        )
        session.connection().execute(statement, rows)  # Core executemany, not the ORM's bulk path
        return
    kinds = {"id": BigInteger(), **_SUGGESTION_COLUMNS}
    batch = (
        func.unnest(
            *(
                literal([row[f"b_{name}"] for row in rows], ARRAY(kind))
                for name, kind in kinds.items()
            )
        )
        .table_valued(*(column(name, kind) for name, kind in kinds.items()))
        .render_derived("batch")
    )
    statement = (
        update(Request)
        .where(Request.id == batch.c.id, *where)
        .values({**fixed, **{name: batch.c[name] for name in _SUGGESTION_COLUMNS}})
    )
    session.connection().execute(statement)
