"""Repository functions: idempotent inserts, event ids, topic maps, labelled rows for training."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select

from supportml.store import repository, transaction
from supportml.store.models import Request, TopicMap

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def row(ts: str, **fields: Any) -> dict[str, Any]:
    base = {
        "workspace": "T1",
        "channel": "C1",
        "ts": ts,
        "text": f"request {ts}",
        "source": "import",
        "created_at": T0,
        "docs_holdout": False,
        "status": "open",
        "deleted": False,
    }
    return {**base, **fields}


def count(engine: Engine) -> int:
    with transaction(engine) as session:
        return int(session.scalar(select(func.count()).select_from(Request)) or 0)


def test_inserting_the_same_messages_twice_stores_them_once(engine: Engine) -> None:
    rows = [row(f"{i}.000100") for i in range(50)]
    with transaction(engine) as session:
        assert repository.insert_new_requests(session, rows) == 50
    with transaction(engine) as session:
        assert repository.insert_new_requests(session, rows[:10] + [row("99.1")]) == 1
    assert count(engine) == 51


def test_the_same_ts_in_another_channel_or_workspace_is_another_request(engine: Engine) -> None:
    with transaction(engine) as session:
        inserted = repository.insert_new_requests(
            session, [row("1.1"), row("1.1", channel="C2"), row("1.1", workspace="T2")]
        )
    assert inserted == 3


def test_existing_keys_reports_only_stored_ones(engine: Engine) -> None:
    with transaction(engine) as session:
        repository.insert_new_requests(session, [row("1.1"), row("2.2", channel="C2")])
    with transaction(engine) as session:
        found = repository.existing_keys(
            session, [("T1", "C1", "1.1"), ("T1", "C1", "2.2"), ("T1", "C2", "2.2")]
        )
    assert found == {("T1", "C1", "1.1"), ("T1", "C2", "2.2")}


def test_an_event_id_is_processed_once_and_old_ids_are_pruned(engine: Engine) -> None:
    with transaction(engine) as session:
        assert repository.mark_event_processed(session, "Ev1", when=T0 - timedelta(days=10))
        assert repository.mark_event_processed(session, "Ev2", when=T0)
    with transaction(engine) as session:
        assert not repository.mark_event_processed(session, "Ev1")
    with transaction(engine) as session:
        assert repository.prune_events(session, older_than=T0 - timedelta(days=7)) == 1
    with transaction(engine) as session:
        assert repository.mark_event_processed(session, "Ev1")  # forgotten after retention
        assert not repository.mark_event_processed(session, "Ev2")


def test_a_topic_map_renames_people_given_labels_and_is_recorded(engine: Engine) -> None:
    rows = [
        row("1.1", final_topic="Pull Request", label_source="import"),
        row("2.2", final_topic="Pull Request", label_source="human"),
        row("3.3", final_topic="Pull Request", label_source="model"),
        row("4.4", final_topic="Other", label_source="form"),
    ]
    with transaction(engine) as session:
        repository.insert_new_requests(session, rows)
    mapping = {"Pull Request": "PR Review", "Other": "Something Else"}
    with transaction(engine) as session:
        assert repository.apply_topic_map(session, "map.yaml", "ab" * 32, mapping) == 3
    with transaction(engine) as session:
        topics = dict(session.execute(select(Request.ts, Request.final_topic)).all())
        assert repository.has_topic_map(session, "ab" * 32)
        assert repository.topic_maps(session) == [mapping]
        assert session.scalar(select(TopicMap.rows_changed)) == 3
    assert topics == {
        "1.1": "PR Review",
        "2.2": "PR Review",
        "3.3": "Pull Request",
        "4.4": "Something Else",
    }


def test_labelled_requests_never_include_model_guesses_or_deleted_rows(engine: Engine) -> None:
    rows = [
        row("1.1", final_topic="CI Error", label_source="import", created_at=T0),
        row("2.2", final_topic="CI Error", label_source="model", created_at=T0),
        row("3.3", final_topic="CI Error", label_source="human", created_at=T0 + timedelta(days=1)),
        row("4.4", final_topic="CI Error", label_source="form", created_at=T0 + timedelta(days=2)),
        row("5.5", final_topic="CI Error", label_source="human", deleted=True),
        row("6.6", final_topic=None),
    ]
    with transaction(engine) as session:
        repository.insert_new_requests(session, rows)
    with transaction(engine) as session:
        everything = [r.ts for r in session.scalars(repository.labelled_requests())]
        recent = [
            r.ts for r in session.scalars(repository.labelled_requests(T0 + timedelta(hours=1)))
        ]
    assert everything == ["3.3", "4.4", "1.1"]  # human, form, import
    assert recent == ["3.3", "4.4"]


def test_table_counts_cover_every_table(engine: Engine) -> None:
    with transaction(engine) as session:
        repository.insert_new_requests(session, [row("1.1")])
        counts = repository.table_counts(session)
    assert counts["requests"] == 1
    assert counts["feedback_events"] == 0


def test_effective_topic_is_peoples_label_then_the_models_then_unclassified(
    engine: Engine,
) -> None:
    rows = [
        row("1.1", final_topic="CI Error", label_source="human"),
        row("1.2", final_topic="Access", label_source="import"),
        row("1.3", final_topic="Docs", label_source="form"),
        row("1.4", final_topic="Deploy", label_source="model", predicted_topic="Deploy"),
        row("1.5", predicted_topic="Deploy", abstained=True),  # the model was unsure
        row("1.6"),  # never classified
    ]
    with transaction(engine) as session:
        repository.insert_new_requests(session, rows)
        got = session.execute(
            select(Request.ts, repository.EFFECTIVE_TOPIC, repository.TOPIC_ORIGIN).order_by(
                Request.ts
            )
        ).all()
    assert [tuple(r) for r in got] == [
        ("1.1", "CI Error", "people"),
        ("1.2", "Access", "people"),
        ("1.3", "Docs", "people"),
        ("1.4", "Deploy", "model"),
        ("1.5", "Unclassified (model unsure)", "unclassified"),
        ("1.6", "Unclassified (model unsure)", "unclassified"),
    ]
