"""Backtest the responder on stored history: what it would have replied, and how good that was.

Runs `Responder.compose` — the same code a live message goes through — over stored requests,
without Slack and without writing to the store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select

from supportml.slack.blocks import ReplyView, fallback_text
from supportml.slack.handlers import Responder
from supportml.store import transaction
from supportml.store.models import DocSuggestion, Request
from supportml.store.repository import EFFECTIVE_TOPIC, TOPIC_ORIGIN
from supportml.vocabulary import GIVEN_LABELS, DocFeedback

POSITIVE_DOC_FEEDBACK = (DocFeedback.HELPFUL, DocFeedback.RESOLVED)


@dataclass(frozen=True)
class ReplayRow:
    """One stored request and what the responder would reply to it now."""

    channel: str
    ts: str
    created_at: datetime
    known_topic: str | None  # a given label (never the model's own past guess): the truth here
    topic: str  # the stored effective topic: people's, else the stored model's, else unclassified
    topic_origin: str  # people / model / unclassified
    suggested: str | None
    confidence: float | None
    abstained: bool
    holdout: bool
    links: tuple[str, ...]
    good_docs: tuple[str, ...]  # docs people said helped with this request
    reply: str

    @property
    def doc_hit(self) -> bool | None:
        """Whether a link shown is one that helped (None when no helpful doc is known)."""
        return bool(set(self.links) & set(self.good_docs)) if self.good_docs else None

    def to_record(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "ts": self.ts,
            "created_at": self.created_at.isoformat(),
            "known_topic": self.known_topic or "",
            "topic": self.topic,
            "topic_origin": self.topic_origin,
            "suggested_topic": self.suggested or "",
            "confidence": "" if self.confidence is None else round(self.confidence, 4),
            "abstained": self.abstained,
            "correct": "" if not self.known_topic or self.abstained else (
                self.suggested == self.known_topic
            ),
            "docs_holdout": self.holdout,
            "links": " ".join(self.links),
            "helpful_docs": " ".join(self.good_docs),
            "reply": self.reply,
        }  # fmt: skip


@dataclass(frozen=True)
class ReplaySummary:
    requests: int
    labelled: int  # with a known (non-model) topic
    answered_labelled: int  # of those, not abstained
    correct: int
    abstained: int
    with_links: int
    doc_known: int  # requests with a doc people rated helpful
    doc_hits: int

    def metrics(self) -> dict[str, float | int | None]:
        def share(part: int, whole: int) -> float | None:
            return round(part / whole, 4) if whole else None

        return {
            "requests": self.requests,
            "labelled": self.labelled,
            "topic_accuracy": share(self.correct, self.answered_labelled),
            "abstention_rate": share(self.abstained, self.requests),
            "link_rate": share(self.with_links, self.requests),
            "doc_hit_rate": share(self.doc_hits, self.doc_known),
            "doc_known": self.doc_known,
        }


def replay(
    responder: Responder,
    since: datetime | None = None,
    until: datetime | None = None,
    advance: Callable[[int], None] | None = None,
) -> tuple[list[ReplayRow], ReplaySummary]:
    """Compose a reply for every stored, non-deleted request in [since, until)."""
    rows = list(_rows(responder, since, until, advance or (lambda _: None)))
    labelled = [r for r in rows if r.known_topic]
    answered = [r for r in labelled if not r.abstained]
    doc_known = [r for r in rows if r.good_docs]
    summary = ReplaySummary(
        requests=len(rows),
        labelled=len(labelled),
        answered_labelled=len(answered),
        correct=sum(r.suggested == r.known_topic for r in answered),
        abstained=sum(r.abstained for r in rows),
        with_links=sum(bool(r.links) for r in rows),
        doc_known=len(doc_known),
        doc_hits=sum(bool(r.doc_hit) for r in doc_known),
    )
    return rows, summary


def count(responder: Responder, since: datetime | None, until: datetime | None) -> int:
    with transaction(responder.engine) as session:
        return int(session.scalar(select(func.count()).where(*_where(since, until))) or 0)


def _where(since: datetime | None, until: datetime | None) -> list[Any]:
    where: list[ColumnElement[bool]] = [Request.deleted.is_(False)]
    if since is not None:
        where.append(Request.created_at >= since)
    if until is not None:
        where.append(Request.created_at < until)
    return where


def _rows(
    responder: Responder,
    since: datetime | None,
    until: datetime | None,
    advance: Callable[[int], None],
) -> Iterator[ReplayRow]:
    with transaction(responder.engine) as session:
        good: dict[int, list[str]] = {}
        feedback = select(DocSuggestion.request_id, DocSuggestion.doc_id).where(
            DocSuggestion.feedback.in_(POSITIVE_DOC_FEEDBACK)
        )
        for request_id, doc_id in session.execute(feedback):
            good.setdefault(request_id, []).append(doc_id)
        query = (
            select(
                Request.id,
                Request.workspace,
                Request.channel,
                Request.ts,
                Request.text,
                Request.created_at,
                Request.final_topic,
                Request.label_source,
                EFFECTIVE_TOPIC.label("topic"),
                TOPIC_ORIGIN.label("origin"),
            )  # fmt: skip
            .where(*_where(since, until))
            .order_by(Request.created_at, Request.id)
            .execution_options(yield_per=2000)
        )
        for row in session.execute(query):
            rid = row.id
            composed = responder.compose(row.text, row.workspace, row.channel, row.ts)
            suggestion = composed.suggestion
            links = tuple(doc for doc, _ in composed.links)
            view = ReplyView(
                request_id=rid,
                topics=(),
                suggested=suggestion.topic if suggestion else None,
                confidence=suggestion.confidence if suggestion else None,
                abstained=suggestion is None or suggestion.abstained,
                final_topic=None,
                label_source=None,
            )
            yield ReplayRow(
                channel=row.channel,
                ts=row.ts,
                created_at=row.created_at,
                known_topic=row.final_topic if row.label_source in GIVEN_LABELS else None,
                topic=row.topic,
                topic_origin=row.origin,
                suggested=view.suggested,
                confidence=view.confidence,
                abstained=view.abstained,
                holdout=composed.holdout,
                links=links,
                good_docs=tuple(good.get(rid, ())),
                reply=fallback_text(view) + "".join(f"\n{doc}" for doc in links),
            )
            advance(1)
