"""The assigned team on SQLite and PostgreSQL: routing by the topic's owner never overwrites a
person's reassignment, which is logged with the team it came from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select

from supportml.store import repository, transaction
from supportml.store.models import FeedbackEvent, Request

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
OWNERS = {"access request": "Identity", "ci error": "Delivery"}


def team_for(topic: str | None) -> str | None:
    return None if topic is None else OWNERS.get(topic.lower())


def row(i: int, topic: str | None, **fields: Any) -> dict[str, Any]:
    return {
        "workspace": "T1", "channel": "C1", "ts": f"{i}.0001", "text": f"request {i}",
        "source": "import", "created_at": T0 + timedelta(hours=i), "docs_holdout": False,
        "status": "open", "deleted": False, "final_topic": topic,
        "label_source": "import" if topic else None, **fields,
    }  # fmt: skip


def teams(engine: Engine) -> dict[str, tuple[str | None, str | None, str | None]]:
    query = select(Request.ts, Request.assigned_team, Request.assigned_to, Request.assigned_by)
    with engine.connect() as connection:
        return {ts: (team, to, by) for ts, team, to, by in connection.execute(query)}


def test_assign_owning_teams_fills_only_requests_without_a_team(engine):
    with transaction(engine) as session:
        repository.insert_new_requests(session, [
            row(0, "Access Request"),
            row(1, "CI ERROR"),  # any case
            row(2, "Unowned topic"),
            row(3, None),  # the model was unsure: nobody owns it
            row(4, "Access Request", deleted=True),
            row(5, "Access Request", assigned_team="Delivery", assigned_by="U0STAFF01"),
        ])  # fmt: skip
    with transaction(engine) as session:
        assert repository.assign_owning_teams(session, team_for, dry_run=True) == 2
    assert all(team is None for team, _, _ in list(teams(engine).values())[:5])
    with transaction(engine) as session:
        assert repository.assign_owning_teams(session, team_for) == 2
    assert teams(engine) == {
        "0.0001": ("Identity", None, None),  # assigned from history: nobody was told
        "1.0001": ("Delivery", None, None),
        "2.0001": (None, None, None),
        "3.0001": (None, None, None),
        "4.0001": (None, None, None),
        "5.0001": ("Delivery", None, "U0STAFF01"),  # a person's choice stays
    }
    with transaction(engine) as session:  # a second run has nothing left to do
        assert repository.assign_owning_teams(session, team_for) == 0


def test_route_and_reassign_keep_a_persons_choice_and_log_where_it_came_from(engine):
    with transaction(engine) as session:
        repository.insert_new_requests(session, [row(0, "Access Request")])
    with transaction(engine) as session:
        request = session.scalars(select(Request)).one()
        assert repository.route_request(session, request, "Identity", "U0IDONCAL")
        assert not repository.route_request(session, request, "Identity", "U0OTHER01")
    with transaction(engine) as session:
        request = session.scalars(select(Request)).one()
        assert repository.assigned_team(session, request.id) == "Identity"
        previous = repository.reassign_request(session, request, "Delivery", None, "U0STAFF01")
        assert previous == "Identity"
        # the topic's owner would route it back: a person's reassignment wins
        assert not repository.route_request(session, request, "Identity", "U0IDONCAL")
    assert teams(engine) == {"0.0001": ("Delivery", None, "U0STAFF01")}
    with engine.connect() as connection:
        logged = connection.execute(
            select(
                FeedbackEvent.action,
                FeedbackEvent.actor,
                FeedbackEvent.value,
                FeedbackEvent.previous,
            )  # fmt: skip
        ).all()
    assert [tuple(r) for r in logged] == [("reassign", "U0STAFF01", "Delivery", "Identity")]
