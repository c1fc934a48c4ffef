"""Engine, sessions, the declarative Base and the column types every table shares."""

from __future__ import annotations

import contextlib
import functools
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    ARRAY,
    DateTime,
    Engine,
    MetaData,
    any_,
    bindparam,
    create_engine,
    event,
    exc,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from bot import clock, deadline

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware instant, stored in UTC on every backend.

    SQLite has no time zones, so values go in as naive UTC and come back aware; naive
    datetimes are refused on the way in because they are how time bugs start.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: store timezone-aware instants only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_now() -> datetime:
    return clock.now()


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class Timestamped:
    """created_at / updated_at columns, set from the app's clock."""

    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


# A request waits at most this long for the database, so Slack's 3 seconds hold: failing fast
# with an apology beats a silent timeout.
WAIT_SECONDS = 2


def make_engine(database_url: str, *, foreign_keys: bool = True, **kwargs: Any) -> Engine:
    """An engine for the URL, with SQLite tuned for a threaded server.

    `foreign_keys=False` is for migrations on SQLite: rebuilding a table in batch mode drops
    it, which would fire ON DELETE CASCADE with foreign keys on.
    """
    # A failed statement's message carries its parameters, which carry what people typed
    # (notes, names); it ends up in the logs with the traceback.
    kwargs.setdefault("hide_parameters", True)
    if database_url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": WAIT_SECONDS,
                                           "factory": _turn_taking_connection()})
        engine = create_engine(database_url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas(foreign_keys))
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_timeout", WAIT_SECONDS)
    kwargs["connect_args"] = POSTGRESQL_CONNECT_ARGS | kwargs.get("connect_args", {})
    engine = create_engine(database_url, **kwargs)
    if engine.dialect.driver == "psycopg":
        # Connections whose waits end at the deadline of the work in hand (bot/deadline.py):
        # the server's own timeouts below mean nothing while it hangs.
        event.listen(engine, "do_connect",
                     lambda _dialect, _record, cargs, cparams: deadline.connect(*cargs,
                                                                                **cparams))
    return engine


POSTGRESQL_CONNECT_ARGS: dict[str, Any] = {
    "connect_timeout": WAIT_SECONDS,  # libpq's floor is 2 s
    # A peer that vanished (host down, a partition) is noticed in about 10 s, not hours.
    "keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2, "keepalives_count": 2,
    "tcp_user_timeout": 10_000,
    # The server bounds its own waits: a lock held elsewhere, a statement gone slow, a client
    # that went away while its query ran. Statements get more room than a request waits
    # (reading a large plan's chain is one), requests are bounded by their deadline.
    "options": f"-c lock_timeout={WAIT_SECONDS * 1000} -c statement_timeout=10000 "
               "-c client_connection_check_interval=1000",
}


def _sqlite_pragmas(foreign_keys: bool) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling breaks SAVEPOINT and transactional DDL; take it
        # over (SQLAlchemy's documented recipe) so SQLite behaves like PostgreSQL here.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # Foreign keys are off by default in SQLite; WAL lets readers run beside one writer.
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL syncs at checkpoints, not at every commit: a commit is in the WAL
        # (the OS's cache) when it returns, so it survives the process being killed; only the
        # host losing power can take back the last commits. FULL spent ~3 ms of every write
        # inside the one write lock, which 200 updates at once queue behind (README: SQLite).
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={WAIT_SECONDS * 1000}")
        cursor.close()

    return on_connect


READ_ONLY = "okr_bot_read_only"  # execution option: this connection only reads


class _TurnTakingConnection(sqlite3.Connection):
    """A connection whose write transactions take turns with the process's others through a
    lock, before SQLite's: a writer that finds SQLite's lock held waits in its busy handler,
    which sleeps 1, 2, 5, 10 … 100 ms between tries: at 200 updates at once, a sixth of the
    burst went to sleeping past the moment the lock came free. Another process (a migration,
    the CLI) still meets SQLite's lock and its busy_timeout."""

    turns: threading.Lock  # one per engine: _turn_taking_connection
    holding = False

    def take_turn(self) -> None:
        # Bounded like every wait for the database (by the work's deadline, if sooner), and
        # failing as SQLite's own wait would: not twice as long.
        left = deadline.remaining()
        wait = WAIT_SECONDS if left is None else max(0.0, min(WAIT_SECONDS, left))
        if not self.turns.acquire(timeout=wait):
            raise exc.OperationalError("BEGIN IMMEDIATE", None,
                                       sqlite3.OperationalError("database is locked"))
        self.holding = True

    def end_turn(self) -> None:
        if self.holding:
            self.holding = False
            self.turns.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.end_turn()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.end_turn()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.end_turn()


def _turn_taking_connection() -> type[_TurnTakingConnection]:
    """A connection class with its own lock: the engine's connections take turns."""
    return type("TurnTakingConnection", (_TurnTakingConnection,), {"turns": threading.Lock()})


def _sqlite_begin(connection: Any) -> None:
    # IMMEDIATE takes the write lock up front: a deferred transaction that reads, then writes
    # after another connection committed, fails at once with "database is locked", and
    # busy_timeout cannot help it. A read-only connection takes a plain (deferred) BEGIN: in
    # WAL mode it reads one snapshot and never holds writers up.
    if connection.get_execution_options().get(READ_ONLY):
        connection.exec_driver_sql("BEGIN")
        return
    dbapi_connection = connection.connection.dbapi_connection
    taking_turns = isinstance(dbapi_connection, _TurnTakingConnection)
    if taking_turns and not dbapi_connection.holding:
        dbapi_connection.take_turn()
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        if taking_turns:
            dbapi_connection.end_turn()
        raise


def one_of(column: Any, name: str, dialect: str) -> Any:
    """`column IN (the list bound as name)`, in the form each backend answers fastest on a hot
    path: on PostgreSQL `= ANY(array)`, one statement text whatever the list's length, so the
    server prepares it once instead of planning it per request; elsewhere an expanding IN."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(column.type)))
    return column.in_(bindparam(name, expanding=True))


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@functools.lru_cache(maxsize=32)
def read_only_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for work that only reads, such as rebuilding a cached chain in the background:
    on SQLite they do not take the write lock, so a long read never makes a write wait."""
    return sessionmaker(bind=engine.execution_options(**{READ_ONLY: True}),
                        expire_on_commit=False)


@contextmanager
def transaction(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: committed if the block finishes, rolled back if it raises."""
    with session_factory() as session, session.begin():
        yield session


def ping(engine: Engine) -> None:
    """Raise unless the database answers and carries okr-bot's schema (an empty SQLite file
    created where the real one vanished is not a healthy database)."""
    with engine.connect() as connection:
        connection.execute(text("SELECT version_num FROM alembic_version"))


WROTE = "okr_bot_wrote"  # session.info key: this session has written in its transaction


def run_core(db_session: Session, statement: Any,
             params: dict[str, Any] | Sequence[dict[str, Any]]) -> Any:
    """A Core statement (rows in, rows out, no ORM entities) on the session's connection, in
    its transaction, past the ORM's execution layer: on the hot write path that layer cost
    more than SQLite took to run the statement. Nothing pending is flushed first, so the
    caller has nothing pending; a statement that writes marks the session as written. A list
    of parameters runs it once for each (executemany)."""
    result = db_session.connection().execute(statement, params)
    if statement.is_dml:
        db_session.info[WROTE] = True
    return result


def _mark_written(session: Session, _flush_context: Any) -> None:
    session.info[WROTE] = True


def _mark_written_if_dml(state: Any) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[WROTE] = True


class UnitOfWork:
    """The database session of one Slack request: opened on first use, finished once.

    Bolt middleware attaches one to each request; the listener-completion hook commits it,
    the error handler rolls it back. Lazy listeners get a fresh one when Bolt deep-copies
    the request context for them, and finish it themselves with `with unit_of_work as session`.
    """

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory
        self._session: Session | None = None
        self.finished = False
        self.read_only = False
        # The HTTP edge may answer for us (too slow for Slack) while the work still runs:
        # from then on nothing commits, and whether it had committed is known for the answer.
        self._ending = threading.Lock()
        self.committed = False
        self.abandoned = False

    @property
    def session(self) -> Session:
        if self.finished:
            raise RuntimeError("this request's unit of work is already finished")
        if self._session is None:
            self._session = self._session_factory()
            event.listen(self._session, "after_flush", _mark_written)
            event.listen(self._session, "do_orm_execute", _mark_written_if_dml)
        return self._session

    @property
    def engine(self) -> Engine:
        return self._session_factory.kw["bind"]

    def only_reads(self) -> None:
        """Declare, before the session is first used, that this unit of work only reads: on
        SQLite its transaction then does not take the write lock, so reads run side by side
        and never hold a writer up."""
        if self._session is not None:
            raise RuntimeError("only_reads() must come before the session is first used")
        self._session_factory = read_only_session_factory(self.engine)
        self.read_only = True

    @property
    def wrote(self) -> bool:
        """Committing now would store something: rows flushed, statements that write run, or
        changes pending."""
        session = self._session
        if self.finished or session is None:
            return False
        return bool(session.info.get(WROTE) or session.new or session.dirty or session.deleted)

    def abandon(self) -> bool:
        """The request was answered without us (too late for Slack): nothing may commit from
        now on. False if it had committed already, so the answer can say it was saved."""
        with self._ending:
            if self.committed:
                return False
            self.abandoned = True
            return True

    def finish(self, *, commit: bool) -> None:
        """Commit (or roll back) and close; later calls do nothing. Once abandoned, it rolls
        back whatever the caller asked."""
        with self._ending:
            if self.finished:
                return
            self.finished = True
            session, self._session = self._session, None
            if session is None:
                return
            try:
                if commit and not self.abandoned:
                    session.commit()
                    self.committed = True
                else:
                    session.rollback()
            finally:
                session.close()

    def __enter__(self) -> Session:
        return self.session

    def __exit__(self, exc_type: object, exc: object, traceback: object) -> None:
        self.finish(commit=exc_type is None)

    def __deepcopy__(self, memo: dict[int, Any]) -> UnitOfWork:
        copy = UnitOfWork(self._session_factory)
        copy.read_only = self.read_only
        return copy


def commit_for(session: Session, units: Sequence[UnitOfWork]) -> bool:
    """Commit `session`, whose transaction holds the work of these requests' units of work
    (answered together, bot/slack/grouped.py), unless one was abandoned (answered without
    us, too late for Slack): then roll back and return False. A unit abandoned while the
    commit runs waits for it, and learns it committed (`abandon` returns False)."""
    with contextlib.ExitStack() as holding:
        for unit in units:
            holding.enter_context(unit._ending)
        if any(unit.abandoned for unit in units):
            session.rollback()
            return False
        session.commit()
        for unit in units:
            unit.committed = True
    return True
