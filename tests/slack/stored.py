"""Read what the responder stored, for assertions (plain rows, detached from any session)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from supportml.store import transaction
from supportml.store.models import (
    DocSuggestion,
    FeedbackEvent,
    ProcessedEvent,
    Request,
    SeenMessage,
)


def rows(engine: Any, model: type, **where: Any) -> list[Any]:
    """Every row of ``model`` matching ``column=value`` filters, in insertion order."""
    query = select(model).filter_by(**where).order_by(*model.__table__.primary_key.columns)
    with transaction(engine) as session:
        return list(session.scalars(query))


def requests(engine: Any, **where: Any) -> list[Request]:
    return rows(engine, Request, **where)


def request(engine: Any, ts: str) -> Request:
    """The one request stored for a message ts."""
    (found,) = requests(engine, ts=ts)
    return found


def feedback(engine: Any, request_id: int) -> list[tuple[str, str, str | None]]:
    """(action, actor, value) of a request's feedback log, oldest first."""
    return [
        (f.action, f.actor, f.value) for f in rows(engine, FeedbackEvent, request_id=request_id)
    ]


def doc_feedback(engine: Any, request_id: int) -> list[tuple[str, str | None, str | None]]:
    """(doc id, feedback, by whom) of the links shown for a request."""
    shown = rows(engine, DocSuggestion, request_id=request_id)
    return [(d.doc_id, d.feedback, d.feedback_by) for d in shown]


def seen(engine: Any) -> list[str]:
    return [s.ts for s in rows(engine, SeenMessage)]


def processed(engine: Any) -> list[str]:
    return [e.event_id for e in rows(engine, ProcessedEvent)]
