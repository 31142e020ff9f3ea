"""Connecting to the store and keeping its schema current (Alembic, run from code).

SQLite is the embedded default; PostgreSQL (``postgresql+psycopg://…``) is for teams and several
responder replicas. Commands open the store through `open_store`, which creates the schema in an
empty database and refuses to run against one whose schema is older than this code.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from supportml.errors import UserError

T = TypeVar("T")
R = TypeVar("R")

VERSION_TABLE = "supportml_alembic_version"  # MLflow may share the database and has its own
MIGRATIONS = Path(__file__).with_name("migrations")
MAX_YIELD = 0.05  # seconds a transaction waits at most for acks in progress
MIGRATION_LOCK = 0x5_0C_0C_17  # any constant; PostgreSQL advisory lock id held while migrating


class StoreError(UserError):
    """The store cannot be used as asked (bad URL, unreachable, schema out of date)."""


def _redacted(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def connect(url: str) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys, WAL and a busy timeout for concurrency."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(
            f"database URL {url!r} is not a URL; expected sqlite:///supportml.db or "
            "postgresql+psycopg://user@host/db"
        ) from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreError(f"database URL {_redacted(url)}: only sqlite and postgresql are supported")
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")  # psycopg 3, not psycopg2
    try:
        engine = create_engine(parsed, pool_pre_ping=True, hide_parameters=True)  # no PII in errors
    except NoSuchModuleError as exc:
        raise StoreError(f"database URL {_redacted(url)}: {exc}") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        _SQLITE_WRITERS[engine] = _Turns()
    return engine


class _Turns:
    """One transaction at a time, urgent ones first.

    SQLite takes one writer at a time and makes the others poll (busy_timeout sleeps up to
    100 ms between tries): threads of one process take turns here instead, woken at once. An
    urgent transaction (the responder's inbox write, made before each ack) goes before the
    others, but never twice in a row while others wait: an ack waits for about one transaction,
    not for the whole backlog, and a stream of acks cannot starve the handlers.
    """

    def __init__(self) -> None:
        self._free = threading.Condition()
        self._holder: int | None = None  # the thread whose turn it is (a nested one passes)
        self._urgent = 0  # urgent ones waiting
        self._last_urgent = False

    @contextmanager
    def turn(self, urgent: bool) -> Iterator[None]:
        me = threading.get_ident()
        if self._holder == me:
            yield
            return
        with self._free:
            self._urgent += urgent
            self._free.wait_for(
                lambda: self._holder is None and (urgent or not self._urgent or self._last_urgent)
            )
            self._urgent -= urgent
            self._holder, self._last_urgent = me, urgent
        try:
            yield
        finally:
            with self._free:
                self._holder = None
                self._free.notify_all()


class _Urgent:
    """Urgent work in progress (a request Slack waits on): other transactions wait for it.

    Threads of one process share one interpreter lock: handler threads busy with their work
    would make an ack wait for the lock at every step. A transaction that is not urgent waits,
    before it starts, until no urgent work is in progress, or for ``MAX_YIELD`` seconds at
    most, so a stream of acks slows the handlers down but cannot stop them.
    """

    def __init__(self) -> None:
        self._idle = threading.Condition()
        self._count = 0

    @contextmanager
    def work(self) -> Iterator[None]:
        with self._idle:
            self._count += 1
        try:
            yield
        finally:
            with self._idle:
                self._count -= 1
                if not self._count:
                    self._idle.notify_all()

    def yield_to_it(self) -> None:
        with self._idle:
            if self._count:
                self._idle.wait_for(lambda: not self._count, MAX_YIELD)


_URGENT = _Urgent()
urgent_work = _URGENT.work

_SQLITE_WRITERS: weakref.WeakKeyDictionary[Engine, _Turns] = weakref.WeakKeyDictionary()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _alembic_config() -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    """The newest migration this code knows."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with _reachable(engine).connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> str:
    """Apply migrations up to ``revision`` (in one transaction) and return the new revision.

    A database with a requests table but no supportml version is someone else's: refused. The
    check runs under the lock, so a replica that migrated a moment ago is not mistaken for one.
    """
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    config = _alembic_config()
    with (
        _reachable(engine).connect() as connection,
        _sqlite_rebuilds_keep_rows(connection),
        connection.begin(),
    ):
        if connection.dialect.name == "postgresql":
            # Replicas starting together: one migrates, the others wait and then find it done.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        if context.get_current_revision() is None and inspect(connection).has_table("requests"):
            raise StoreError(
                f"{_redacted(str(engine.url))} has a requests table but no supportml schema "
                "version; point SUPPORTML_DATABASE_URL at an empty database"
            )
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    current = current_revision(engine)
    assert current is not None
    return current


@contextmanager
def _sqlite_rebuilds_keep_rows(connection: Connection) -> Iterator[None]:
    """Foreign keys off on SQLite while migrating: a batch migration rebuilds a table by
    dropping it, which would otherwise cascade-delete the rows referring to it. The pragma only
    takes effect outside a transaction, hence its own commit before and after."""
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
    try:
        yield
    finally:
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()


def open_store(url: str) -> Engine:
    """Connect; an empty database gets the schema, an outdated one is a clear error."""
    engine = connect(url)
    revision = current_revision(engine)
    if revision is None:
        upgrade(engine)
    elif revision != head_revision():
        raise StoreError(
            f"{_redacted(url)} is at schema {revision}, this supportml needs "
            f"{head_revision()}: run `supportml db upgrade`"
        )
    return engine


def _reachable(engine: Engine) -> Engine:
    try:
        with engine.connect():
            return engine
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise StoreError(f"cannot open {_redacted(str(engine.url))}: {reason}") from None


class _Slot(Generic[T, R]):
    def __init__(self, item: T):
        self.item = item
        self.ready = threading.Event()  # set when written, or when it is this slot's turn to lead
        self.lead = False
        self.result: R | None = None
        self.error: BaseException | None = None


class GroupCommit(Generic[T, R]):
    """Urgent writes made at once by several threads share one transaction (group commit).

    Each caller of `write` waits until its own item is committed, so its durability is that of
    a transaction of its own; concurrent callers pay for one turn at the writer and one commit
    instead of one each. The first caller to find no batch being written leads: it writes every
    item waiting then (its own included), wakes their callers and hands the lead to the next
    waiting caller. A batch that fails is written again one item per transaction, so one bad
    item refuses only its own caller.
    """

    def __init__(self, engine: Callable[[], Engine], write: Callable[[Session, T], R]):
        self._engine, self._write = engine, write  # the engine is looked up for each batch
        self._lock = threading.Lock()
        self._waiting: list[_Slot[T, R]] = []
        self._leading = False

    def write(self, item: T) -> R:
        slot: _Slot[T, R] = _Slot(item)
        with self._lock:
            self._waiting.append(slot)
            slot.lead = not self._leading
            self._leading = True
        if not slot.lead:
            slot.ready.wait()
        if slot.lead:
            self._lead()
        if slot.error is not None:
            raise slot.error
        return cast(R, slot.result)

    def _lead(self) -> None:
        with self._lock:
            batch, self._waiting = self._waiting, []
        try:
            self._commit(batch)
        finally:
            for slot in batch:
                slot.lead = False
                slot.ready.set()
            with self._lock:
                if self._waiting:
                    self._waiting[0].lead = True
                    self._waiting[0].ready.set()
                else:
                    self._leading = False

    def _commit(self, batch: list[_Slot[T, R]]) -> None:
        try:
            with transaction(self._engine(), urgent=True) as session:
                results = [self._write(session, slot.item) for slot in batch]
        except Exception as exc:
            if len(batch) == 1:
                batch[0].error = exc
                return
            for slot in batch:
                self._commit([slot])
            return
        for slot, result in zip(batch, results, strict=True):
            slot.result = result


@contextmanager
def transaction(engine: Engine, urgent: bool = False) -> Iterator[Session]:
    """A session whose work commits together or not at all; ``urgent`` ones (someone is waiting
    for them) go first where the database takes one writer at a time."""
    turns = _SQLITE_WRITERS.get(engine)
    if not urgent:
        _URGENT.yield_to_it()
    with (
        turns.turn(urgent) if turns is not None else nullcontext(),
        sessionmaker(engine, expire_on_commit=False).begin() as session,
    ):
        yield session
