"""Which docs were shown per request, the feedback on them, and per-doc deflection stats."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select

from supportml.store import repository, transaction
from supportml.store.models import DocSuggestion, FeedbackEvent

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


@pytest.fixture
def engine(engine: Engine) -> Engine:
    """The shared empty store with three requests to hang suggestions on."""
    with transaction(engine) as session:
        repository.insert_new_requests(
            session,
            [
                {"channel": "C1", "ts": f"{i}.1", "source": "message", "created_at": T0}
                for i in range(3)
            ],
        )
    return engine


def suggest(engine: Engine, ts: str, links: list[tuple[str, float]], holdout: bool = False) -> None:
    with transaction(engine) as session:
        request = repository.find_request(session, "default", "C1", ts)
        assert request is not None
        repository.record_suggestion(
            session,
            request,
            topic="CI Error",
            confidence=0.91,
            abstained=False,
            model_version="abc123",
            links=links,
            holdout=holdout,
        )


def feedback(engine: Engine, ts: str, doc_id: str | None, kind: str) -> None:
    with transaction(engine) as session:
        request = repository.find_request(session, "default", "C1", ts)
        assert request is not None
        repository.record_doc_feedback(session, request, doc_id, kind, actor="U2")


def test_links_are_stored_in_rank_order_with_the_prediction(engine: Engine) -> None:
    suggest(engine, "0.1", [("ci-cache", 0.8), ("ci-runners", 0.5)])
    with transaction(engine) as session:
        request = repository.find_request(session, "default", "C1", "0.1")
        assert request is not None
        assert [(s.doc_id, s.rank) for s in request.suggestions] == [
            ("ci-cache", 1),
            ("ci-runners", 2),
        ]
        assert (request.predicted_topic, request.final_topic, request.label_source) == (
            "CI Error",
            "CI Error",
            "model",
        )


def test_the_holdout_share_is_recorded_and_shown_no_links(engine: Engine) -> None:
    suggest(engine, "0.1", [("ci-cache", 0.8)], holdout=True)
    with transaction(engine) as session:
        request = repository.find_request(session, "default", "C1", "0.1")
        assert request is not None and request.docs_holdout
        assert request.suggestions == []


def test_resuggesting_keeps_rated_links_and_replaces_the_rest(engine: Engine) -> None:
    suggest(engine, "0.1", [("ci-cache", 0.8), ("ci-runners", 0.5)])
    feedback(engine, "0.1", "ci-cache", "helpful")
    suggest(engine, "0.1", [("ci-cache", 0.7), ("deploy-logs", 0.6)])
    with transaction(engine) as session:
        shown = session.execute(
            select(DocSuggestion.doc_id, DocSuggestion.feedback).order_by(DocSuggestion.doc_id)
        ).all()
    assert [tuple(r) for r in shown] == [("ci-cache", "helpful"), ("deploy-logs", None)]


def test_docs_solved_it_resolves_the_request_and_logs_who(engine: Engine) -> None:
    suggest(engine, "0.1", [("ci-cache", 0.8), ("ci-runners", 0.5)])
    feedback(engine, "0.1", None, "resolved")
    with transaction(engine) as session:
        request = repository.find_request(session, "default", "C1", "0.1")
        assert request is not None
        assert (request.status, request.resolution) == ("resolved", "docs")
        assert request.resolved_at is not None
        assert {s.feedback for s in request.suggestions} == {"resolved"}
        event = session.scalars(select(FeedbackEvent)).one()
        assert (event.actor, event.action) == ("U2", "doc_resolved")


def test_unknown_feedback_is_refused(engine: Engine) -> None:
    suggest(engine, "0.1", [("ci-cache", 0.8)])
    with pytest.raises(ValueError, match="expected one of"):
        feedback(engine, "0.1", "ci-cache", "meh")


def test_per_doc_stats_count_shown_helpful_resolved_and_escalated(engine: Engine) -> None:
    suggest(engine, "0.1", [("ci-cache", 0.8), ("ci-runners", 0.5)])
    suggest(engine, "1.1", [("ci-cache", 0.9)])
    suggest(engine, "2.1", [("ci-cache", 0.6)])
    feedback(engine, "0.1", "ci-cache", "resolved")
    feedback(engine, "1.1", "ci-cache", "not_helpful")
    with transaction(engine) as session:
        request = repository.find_request(session, "default", "C1", "1.1")
        assert request is not None
        request.resolution, request.status = "human", "resolved"
    with transaction(engine) as session:
        stats = {row["doc_id"]: row for row in repository.doc_stats(session)}
    assert stats["ci-cache"] == {
        "doc_id": "ci-cache",
        "shown": 3,
        "helpful": 0,
        "resolved": 1,
        "not_helpful": 1,
        "still_escalated": 1,
    }
    assert stats["ci-runners"]["shown"] == 1 and stats["ci-runners"]["resolved"] == 0
