"""The request store's tables (SQLAlchemy 2 declarative models).

One row per support request, keyed by Slack's own identity (workspace, channel, ts) so that an
import, a retried event and a replay all land on the same row. Times are stored in UTC and read
back timezone-aware on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from supportml.vocabulary import COLUMNS, FollowUpKind, ImportStatus, RequestStatus, check

# Stable constraint names so migrations can refer to them on every backend.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID = BigInteger().with_variant(Integer(), "sqlite")  # SQLite only autoincrements INTEGER keys


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the store keeps UTC, pass an aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def vocabulary_checks(table: str) -> tuple[CheckConstraint, ...]:
    """CHECK constraints keeping the table's closed-vocabulary columns to their values
    (named ``ck_<table>_<column>``; migration 0003 creates the same from the same rule)."""
    return tuple(
        CheckConstraint(check(column, vocabulary), name=column)
        for column, vocabulary in COLUMNS[table].items()
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Request(Base):
    """A top-level support request and everything learned about it since."""

    __tablename__ = "requests"
    __table_args__ = (
        UniqueConstraint("workspace", "channel", "ts", name="uq_requests_message"),
        Index("ix_requests_created_at", "created_at"),
        Index("ix_requests_final_topic", "final_topic"),
        Index("ix_requests_assigned_team", "assigned_team"),
        *vocabulary_checks("requests"),
    )

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    workspace: Mapped[str] = mapped_column(String, default="default")
    channel: Mapped[str] = mapped_column(String)
    ts: Mapped[str] = mapped_column(String)
    thread_ts: Mapped[str | None] = mapped_column(String)
    requester: Mapped[str | None] = mapped_column(String)
    requester_team: Mapped[str | None] = mapped_column(String)
    text: Mapped[str] = mapped_column(Text, default="")  # redacted before it gets here
    source: Mapped[str] = mapped_column(String(16))  # a vocabulary.Source
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    external_id: Mapped[str | None] = mapped_column(String)  # ticket id in a tracking sheet
    permalink: Mapped[str | None] = mapped_column(String)
    # what the model said
    predicted_topic: Mapped[str | None] = mapped_column(String)
    confidence: Mapped[float | None] = mapped_column(Float)
    abstained: Mapped[bool | None] = mapped_column(Boolean)
    model_version: Mapped[str | None] = mapped_column(String(64))
    docs_holdout: Mapped[bool] = mapped_column(Boolean, default=False)  # no links shown, on purpose
    # what people said
    original_topic: Mapped[str | None] = mapped_column(String)  # label as found in the source
    final_topic: Mapped[str | None] = mapped_column(String)  # after topic maps / feedback
    label_source: Mapped[str | None] = mapped_column(String(16))  # a vocabulary.LabelSource
    # lifecycle
    status: Mapped[str] = mapped_column(String(16), default=RequestStatus.OPEN)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_responder: Mapped[str | None] = mapped_column(String)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution: Mapped[str | None] = mapped_column(String(16))  # a vocabulary.Resolution
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    import_run_id: Mapped[int | None] = mapped_column(ForeignKey("import_runs.id"))
    reply_ts: Mapped[str | None] = mapped_column(String)  # the responder's reply in the thread
    # who is posting the reply and until when: an expired claim is someone's crash or timeout
    reply_claimed_by: Mapped[str | None] = mapped_column(String)
    reply_claim_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # routing (supportml.ownership): the owning team, the on-support person the reply named,
    # and who moved it there by hand (None: the topic's owner in the ownership file)
    assigned_team: Mapped[str | None] = mapped_column(String)
    assigned_to: Mapped[str | None] = mapped_column(String)
    assigned_by: Mapped[str | None] = mapped_column(String)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # the work its thread shows (supportml.effort.Effort), kept current as replies are stored
    staff_replies: Mapped[int] = mapped_column(Integer, server_default="0")
    staff_people: Mapped[int] = mapped_column(Integer, server_default="0")
    turns: Mapped[int] = mapped_column(Integer, server_default="0")
    handling_seconds: Mapped[float | None] = mapped_column(Float)
    staff_seconds: Mapped[float] = mapped_column(Float, server_default="0")

    suggestions: Mapped[list[DocSuggestion]] = relationship(
        back_populates="request", order_by="DocSuggestion.rank"
    )


class DocSuggestion(Base):
    """A documentation link shown for a request, and what people said about it."""

    __tablename__ = "doc_suggestions"
    __table_args__ = (
        UniqueConstraint("request_id", "doc_id", name="uq_doc_suggestions_shown"),
        *vocabulary_checks("doc_suggestions"),
    )

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"))
    doc_id: Mapped[str] = mapped_column(String)
    rank: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    shown_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    feedback: Mapped[str | None] = mapped_column(String(16))  # a vocabulary.DocFeedback
    feedback_by: Mapped[str | None] = mapped_column(String)
    feedback_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    request: Mapped[Request] = relationship(back_populates="suggestions")


class ThreadReply(Base):
    """A human reply in a request's thread: who, when, staff's or not, how long. No text: the
    effort estimate needs none, and the first-response rules read it before it gets here."""

    __tablename__ = "thread_replies"
    __table_args__ = (
        UniqueConstraint("workspace", "channel", "ts", name="uq_thread_replies_message"),
        Index("ix_thread_replies_request_id", "request_id"),
    )

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"))
    workspace: Mapped[str] = mapped_column(String)
    channel: Mapped[str] = mapped_column(String)
    ts: Mapped[str] = mapped_column(String)
    user_id: Mapped[str | None] = mapped_column(String)
    is_staff: Mapped[bool] = mapped_column(Boolean)
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    length: Mapped[int] = mapped_column(Integer, default=0)  # characters of the reply's text


class FeedbackEvent(Base):
    """Append-only log of every click and reaction that changed a request (who, what, when)."""

    __tablename__ = "feedback_events"
    __table_args__ = (Index("ix_feedback_events_request_id", "request_id"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"))
    actor: Mapped[str] = mapped_column(String)
    action: Mapped[str] = mapped_column(String(40))  # confirm / change_topic / docs_solved / …
    value: Mapped[str | None] = mapped_column(Text)
    previous: Mapped[str | None] = mapped_column(Text)  # what ``value`` replaced (a reassign)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProcessedEvent(Base):
    """Slack event ids already handled: a retried delivery is recognised and dropped."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class InboxEvent(Base):
    """An Events API delivery stored before it is acknowledged, deleted once handled.

    Slack never redelivers an event that got a 200, so the ack waits for this row. The payload
    is the few fields the responder reads, texts redacted. Whoever holds the lease (owner and
    expiry) handles the row; an expired lease is a dead or stuck process's row, drained by others.
    """

    __tablename__ = "inbox"
    __table_args__ = (Index("ix_inbox_lease_until", "lease_until"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String, unique=True)
    team: Mapped[str | None] = mapped_column(String)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class SeenMessage(Base):
    """A top-level human message the responder saw in a support channel, recorded before anything
    else is done with it: the denominator of "% tracked automatically"."""

    __tablename__ = "seen_messages"
    __table_args__ = (
        UniqueConstraint("workspace", "channel", "ts", name="uq_seen_messages_message"),
        Index("ix_seen_messages_seen_at", "seen_at"),
    )

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    workspace: Mapped[str] = mapped_column(String)
    channel: Mapped[str] = mapped_column(String)
    ts: Mapped[str] = mapped_column(String)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Nudge(Base):
    """A private hint sent to someone whose request could not be classified (one per person/day)."""

    __tablename__ = "nudges"

    user: Mapped[str] = mapped_column(String, primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # UTC date, YYYY-MM-DD


class TopicMap(Base):
    """A rename/merge map applied to historical labels, kept so later imports get it too."""

    __tablename__ = "topic_maps"

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    mapping: Mapped[dict[str, str]] = mapped_column(JSON)
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    rows_changed: Mapped[int] = mapped_column(Integer, default=0)


class ImportRun(Base):
    """One `supportml import …` invocation and its summary (an audit trail for the history)."""

    __tablename__ = "import_runs"
    __table_args__ = vocabulary_checks("import_runs")

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))  # spreadsheet / slack-export
    source: Mapped[str] = mapped_column(String)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default=ImportStatus.RUNNING)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Channel(Base):
    """A channel's name as people know it, so reports show #platform-support, not C0123ABCD."""

    __tablename__ = "channels"

    workspace: Mapped[str] = mapped_column(String, primary_key=True)
    channel_id: Mapped[str] = mapped_column(String, primary_key=True)
    name: Mapped[str] = mapped_column(String)


class ModelConfusion(Base):
    """How often a model version, fitted without a people-labelled request, predicted each
    topic for each people's topic (ModelCard.confusion): what the report's shares correct with."""

    __tablename__ = "model_confusions"

    model_version: Mapped[str] = mapped_column(String(64), primary_key=True)
    true_topic: Mapped[str] = mapped_column(String, primary_key=True)
    predicted_topic: Mapped[str] = mapped_column(String, primary_key=True)
    requests: Mapped[int] = mapped_column(Integer)


class FollowUp(Base):
    """A reminder or an escalation about one unanswered request: posted at most once.

    Like a reply, the right to post it is a claim with an owner and an expiry (a compare-and-set,
    `repository.claim_follow_up`): two replicas post one, and a claim left by a crash expires
    and is taken over by whoever first looks for the message in Slack (by its metadata).
    """

    __tablename__ = "follow_ups"
    __table_args__ = (
        Index("ix_follow_ups_posted_at", "posted_at"),
        CheckConstraint(check("kind", FollowUpKind), name="kind"),
    )

    request_id: Mapped[int] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # a vocabulary.FollowUpKind
    claimed_by: Mapped[str | None] = mapped_column(String)
    claim_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_ts: Mapped[str | None] = mapped_column(String)
