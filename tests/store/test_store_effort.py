"""Thread replies in the store: stored once however often they arrive, effort kept current."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func, select

from supportml.effort import EffortModel
from supportml.store import repository, transaction
from supportml.store.models import Request, ThreadReply

ASKED = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
MODEL = EffortModel(reply_minutes=5, gap_minutes=30)


def _request(engine: Engine, ts: str = "1.000100") -> int:
    row = {"workspace": "T1", "channel": "C1", "ts": ts, "requester": "UR", "text": "help",
           "source": "message", "created_at": ASKED, "docs_holdout": False, "deleted": False,
           "status": "open"}  # fmt: skip
    with transaction(engine) as session:
        repository.insert_new_requests(session, [row])
        return repository.request_ids(session, [("T1", "C1", ts)])[("T1", "C1", ts)]


def _reply(request_id: int, ts: str, user: str, minutes: int) -> dict[str, object]:
    return {"request_id": request_id, "workspace": "T1", "channel": "C1", "ts": ts,
            "user_id": user, "is_staff": user != "UR",
            "posted_at": ASKED + timedelta(minutes=minutes), "length": 12}  # fmt: skip


def _effort(engine: Engine, request_id: int) -> tuple[object, ...]:
    columns = [getattr(Request, name) for name in repository.EFFORT_COLUMNS]
    with transaction(engine) as session:
        return tuple(session.execute(select(*columns).where(Request.id == request_id)).one())


def test_replies_are_stored_once_and_update_the_effort(engine: Engine) -> None:
    rid = _request(engine)
    assert _effort(engine, rid) == (0, 0, 0, None, 0.0)
    first = [_reply(rid, "2.1", "S1", 10), _reply(rid, "2.2", "UR", 20)]
    with transaction(engine) as session:
        assert repository.insert_thread_replies(session, first, MODEL) == 2
    # one staff reply 10 min after the request: 5 min, 1 turn (then the requester: 2)
    assert _effort(engine, rid) == (1, 1, 2, 600.0, 300.0)
    later = [*first, _reply(rid, "2.3", "S2", 25)]  # an export holding the thread so far
    with transaction(engine) as session:
        assert repository.insert_thread_replies(session, later, MODEL) == 1
        assert repository.insert_thread_replies(session, later, MODEL) == 0
        assert session.scalar(select(func.count()).select_from(ThreadReply)) == 3
    # S1 10, UR 20, S2 25: 2 x 5 min + the 15-min gap between staff replies = 25 min, 3 turns
    assert _effort(engine, rid) == (2, 2, 3, 1500.0, 1500.0)


def test_refresh_recomputes_with_another_model(engine: Engine) -> None:
    rid = _request(engine)
    replies = [_reply(rid, "3.1", "S1", 10), _reply(rid, "3.2", "S1", 70)]
    with transaction(engine) as session:
        repository.insert_thread_replies(session, replies, MODEL)
    assert _effort(engine, rid)[4] == 600.0  # 2 x 5 min; 60 min apart is no active time
    with transaction(engine) as session:
        ids = repository.requests_with_replies(session)
        assert repository.refresh_effort(session, ids, EffortModel(1, 90)) == 1
    assert _effort(engine, rid)[4] == (2 + 60) * 60.0  # 2 x 1 min + the 60-min gap
