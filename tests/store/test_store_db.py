"""Connecting and migrating, on SQLite and the local PostgreSQL alike."""

from __future__ import annotations

import itertools
import threading
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.orm import Session

from supportml.store import StoreError, connect, current_revision, open_store, transaction, upgrade
from supportml.store.db import (
    MAX_YIELD,
    VERSION_TABLE,
    GroupCommit,
    _Slot,
    head_revision,
    urgent_work,
)
from supportml.store.models import Request
from supportml.store.repository import is_event_processed, mark_event_processed

TABLES = {"requests", "doc_suggestions", "feedback_events", "processed_events", "topic_maps"}


def test_an_empty_database_gets_the_schema_on_first_use(database_url: str) -> None:
    engine = connect(database_url)
    assert current_revision(engine) is None
    engine.dispose()
    engine = open_store(database_url)
    assert current_revision(engine) == head_revision()
    assert set(inspect(engine).get_table_names()) >= TABLES
    engine.dispose()


def test_migrations_go_down_to_empty_and_back_up(engine: Engine) -> None:
    assert upgrade(engine) == head_revision()  # a second upgrade is a no-op
    from alembic import command

    from supportml.store.db import _alembic_config

    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert not TABLES & set(inspect(engine).get_table_names())
    assert upgrade(engine) == head_revision()
    assert set(inspect(engine).get_table_names()) >= TABLES


def test_a_schema_this_code_does_not_know_is_refused(engine: Engine, database_url: str) -> None:
    with engine.begin() as connection:
        connection.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = 'f00d'"))
    with pytest.raises(StoreError, match="supportml db upgrade"):
        open_store(database_url)


def test_times_come_back_aware_and_in_utc(engine: Engine) -> None:
    eastern = timezone(timedelta(hours=-5))
    created = datetime(2026, 3, 2, 9, 30, tzinfo=eastern)
    with transaction(engine) as session:
        session.add(Request(channel="C1", ts="1.0", source="message", created_at=created))
    with transaction(engine) as session:
        stored = session.scalars(select(Request)).one()
    assert stored.created_at == created
    assert stored.created_at.tzinfo == UTC
    assert stored.created_at.hour == 14


def test_naive_times_are_refused(engine: Engine) -> None:
    with pytest.raises(Exception, match="naive datetime"), transaction(engine) as session:
        session.add(
            Request(channel="C1", ts="1.0", source="message", created_at=datetime(2026, 3, 2))
        )
        session.flush()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "is not a URL"),
        ("mysql://root@localhost/test", "only sqlite and postgresql"),
        ("postgresql+psycopg://postgres@127.0.0.1:1/test", "cannot open"),
        ("sqlite:////nonexistent-dir/sub/store.db", "cannot open"),
    ],
)
def test_unusable_urls_are_one_line_errors(url: str, message: str) -> None:
    with pytest.raises(StoreError, match=message) as caught:
        open_store(url)
    assert "\n" not in str(caught.value)


def test_passwords_never_appear_in_errors() -> None:
    with pytest.raises(StoreError) as caught:
        open_store("postgresql+psycopg://me:s3cret@127.0.0.1:1/test")
    assert "s3cret" not in str(caught.value)


def test_the_migrations_build_exactly_the_models_schema(engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from supportml.store.models import Base

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_replicas_starting_together_migrate_once() -> None:
    """Two processes opening an empty PostgreSQL store at the same moment: one creates the schema,
    the other waits on the advisory lock and then finds it done (no 'relation already exists')."""
    import threading

    from tests.conftest import postgres_schema

    with postgres_schema() as url:
        engines = [connect(url) for _ in range(4)]
        for engine in engines:  # connect first, so the threads race on the migration itself
            engine.connect().close()
        barrier = threading.Barrier(len(engines))
        errors: list[BaseException] = []

        def start(engine: Engine) -> None:
            barrier.wait()
            try:
                upgrade(engine)
            except BaseException as exc:  # collected and asserted below
                errors.append(exc)

        threads = [threading.Thread(target=start, args=(engine,)) for engine in engines]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads), "migrations deadlocked"
        revisions = {current_revision(engine) for engine in engines}
        for engine in engines:
            engine.dispose()
    assert errors == []
    assert revisions == {head_revision()}


def test_a_database_with_someone_elses_requests_table_is_refused(database_url: str) -> None:
    engine = connect(database_url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE requests (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    with pytest.raises(StoreError, match="requests table but no supportml schema"):
        open_store(database_url)


INVALID = {  # (table, column) -> a value no vocabulary has
    ("requests", "source"): "email",
    ("requests", "label_source"): "guess",
    ("requests", "status"): "closed",
    ("requests", "resolution"): "magic",
    ("doc_suggestions", "feedback"): "meh",
    ("import_runs", "status"): "stuck",
}


def _downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    from supportml.store.db import _alembic_config, _sqlite_rebuilds_keep_rows

    config = _alembic_config()
    with (
        engine.connect() as connection,
        _sqlite_rebuilds_keep_rows(connection),
        connection.begin(),
    ):
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


_SERIAL = itertools.count()


def _insert(engine: Engine, table: str, **values: object) -> None:
    """One row of ``table``: ``values`` over valid ones for its required columns (Core, so it
    works at any revision whose columns the models share)."""
    from supportml.store.models import Base

    now, n = datetime(2026, 3, 2, tzinfo=UTC), next(_SERIAL)
    with engine.begin() as connection:
        request_id = connection.scalar(select(Request.id).limit(1))
        required: dict[str, dict[str, object]] = {
            "requests": {"channel": "C1", "ts": f"{n}.0", "source": "message", "created_at": now},
            "doc_suggestions": {"request_id": request_id, "doc_id": f"d{n}", "rank": 1,
                                "score": 0.5},
            "import_runs": {"kind": "spreadsheet", "source": "s.csv"},
        }  # fmt: skip
        connection.execute(Base.metadata.tables[table].insert().values(required[table] | values))


@pytest.mark.parametrize(("table", "column"), list(INVALID))
def test_a_value_outside_its_vocabulary_is_refused(engine: Engine, table: str, column: str) -> None:
    from sqlalchemy.exc import IntegrityError

    _insert(engine, "requests")  # the request a doc suggestion belongs to
    with pytest.raises(IntegrityError, match=f"ck_{table}_{column}"):
        _insert(engine, table, **{column: INVALID[table, column]})


def test_the_vocabulary_checks_cover_every_closed_column() -> None:
    from supportml.vocabulary import COLUMNS

    assert {(t, c) for t, columns in COLUMNS.items() for c in columns} == set(INVALID)


def test_existing_rows_migrate_to_the_checks_and_back(database_url: str) -> None:
    """Rows written before 0003 with every known value survive it; the checks then refuse an
    unknown value, and a downgrade removes them again."""
    from sqlalchemy.exc import IntegrityError

    from supportml.vocabulary import COLUMNS

    engine = connect(database_url)
    upgrade(engine, "0002")
    _insert(engine, "requests")
    rows = 1
    for table, columns in COLUMNS.items():
        for column, vocabulary in columns.items():
            for value in vocabulary:
                _insert(engine, table, **{column: value.value})
                rows += 1

    def counted() -> int:
        with engine.connect() as connection:
            return sum(connection.scalar(text(f"SELECT count(*) FROM {t}")) or 0 for t in COLUMNS)

    upgrade(engine)
    assert counted() == rows
    with pytest.raises(IntegrityError):
        _insert(engine, "requests", status="closed")
    _downgrade(engine, "0002")
    assert counted() == rows
    _insert(engine, "requests", status="closed")
    engine.dispose()


def _processed(engine: Engine, event_id: str) -> bool:
    with transaction(engine) as session:
        return is_event_processed(session, event_id)


def test_concurrent_urgent_writes_share_a_commit_and_each_returns_once_committed(
    engine: Engine,
) -> None:
    first_in, sessions = threading.Event(), []
    release = threading.Event()

    def write(session: Session, event_id: str) -> str:
        sessions.append(id(session))
        if event_id == "Ev0":  # hold the first batch until the others are waiting
            first_in.set()
            assert release.wait(10)
        mark_event_processed(session, event_id)
        return event_id.lower()

    group: GroupCommit[str, str] = GroupCommit(lambda: engine, write)
    committed: dict[str, bool] = {}

    def ack(event_id: str) -> None:
        assert group.write(event_id) == event_id.lower()
        committed[event_id] = _processed(engine, event_id)  # durable when write() returns

    threads = [threading.Thread(target=ack, args=("Ev0",))]
    threads[0].start()
    assert first_in.wait(10)
    threads += [threading.Thread(target=ack, args=(f"Ev{n}",)) for n in (1, 2, 3)]
    for thread in threads[1:]:
        thread.start()
    deadline = time.monotonic() + 10
    while len(group._waiting) < 3 and time.monotonic() < deadline:
        time.sleep(0.005)
    release.set()
    for thread in threads:
        thread.join(10)
    assert committed == {f"Ev{n}": True for n in range(4)}
    assert len(set(sessions)) == 2  # Ev0 alone, then Ev1-Ev3 in one transaction


def test_a_failing_item_refuses_only_its_own_caller(engine: Engine) -> None:
    def write(session: Session, event_id: str) -> bool:
        if event_id == "bad":
            raise ValueError("cannot store this one")
        return mark_event_processed(session, event_id)

    group: GroupCommit[str, bool] = GroupCommit(lambda: engine, write)
    slots = [_Slot(event_id) for event_id in ("Ev1", "bad", "Ev2")]
    group._waiting.extend(slots)  # three acks arrived together
    group._leading = True
    group._lead()
    assert [s.result for s in slots] == [True, None, True]
    assert isinstance(slots[1].error, ValueError)
    assert _processed(engine, "Ev1") and _processed(engine, "Ev2")
    assert not group._leading  # nobody left waiting: the next write leads


def test_other_transactions_wait_for_urgent_work_but_are_never_stopped(engine: Engine) -> None:
    started: list[float] = []

    def handler() -> None:
        with transaction(engine) as session:
            started.append(time.monotonic())
            is_event_processed(session, "Ev0")

    with urgent_work():  # an ack in progress that never ends: the handler goes on after a while
        began = time.monotonic()
        handler()
    assert started[0] - began >= MAX_YIELD * 0.9
    with urgent_work():  # an ack that ends: the handler starts as soon as it does
        thread = threading.Thread(target=handler)
        thread.start()
        time.sleep(MAX_YIELD / 5)
        assert len(started) == 1  # still waiting
        ended = time.monotonic()
    thread.join(5)
    assert ended <= started[1] < ended + MAX_YIELD
