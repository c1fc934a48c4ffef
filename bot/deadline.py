"""How long the work in hand may wait for PostgreSQL, enforced on our side of the socket.

A server that hangs (stopped, swapped out, a network that swallows packets) enforces none of
its own timeouts, so a request would wait as long as it hangs, then commit after Slack gave
up and the person was told it failed. Inside `within(seconds)` every wait for PostgreSQL
ends by the deadline: the connection is closed (the server rolls back whatever it had not
committed) and the caller gets an OperationalError. A commit carries its own deadline to the
server, in the same message as COMMIT, so a COMMIT the server reads only after we gave up
rolls back instead.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus

_deadline: ContextVar[float | None] = ContextVar("okr_bot_database_deadline", default=None)


def _elapsed_clock() -> float:
    # Real seconds, even in tests that freeze or move the app's clock (bot/clock.py):
    # freezegun replaces time.monotonic, and decides per call whether to, so a deadline
    # read with it could pass at once. It leaves clock_gettime alone.
    return time.clock_gettime(time.CLOCK_MONOTONIC)


@contextmanager
def within(seconds: float) -> Iterator[None]:
    """Waits for the database in this thread end `seconds` from now (or sooner, if an
    enclosing deadline is sooner)."""
    deadline = _elapsed_clock() + seconds
    outer = _deadline.get()
    token = _deadline.set(deadline if outer is None else min(outer, deadline))
    try:
        yield
    finally:
        _deadline.reset(token)


def clock() -> float:
    """Now, on the clock deadlines are on."""
    return _elapsed_clock()


def current() -> float | None:
    """The deadline in this thread, on the deadline clock (`until` takes it to another)."""
    return _deadline.get()


@contextmanager
def until(deadline: float | None) -> Iterator[None]:
    """Waits for the database in this thread end at `deadline`, another thread's `current()`
    (or sooner, if an enclosing deadline is sooner); None: as they are."""
    if deadline is None:
        yield
        return
    with within(deadline - _elapsed_clock()):
        yield


def remaining() -> float | None:
    """Seconds left before the deadline (negative once past), or None without one."""
    deadline = _deadline.get()
    return None if deadline is None else deadline - _elapsed_clock()


class DatabaseTooSlow(psycopg.OperationalError):
    """The database did not answer before the deadline; the connection was closed."""


class BoundedConnection(psycopg.Connection[Any]):
    """A psycopg connection whose every wait honours the current deadline.

    Transactions are begun by psycopg itself (as SQLAlchemy does): a `COMMIT; BEGIN` sent as
    one statement would begin one this class does not see, and its commit would be checked
    against the previous transaction's start."""

    # Our clock the moment psycopg had the server's answer to this transaction's BEGIN: the
    # server had stamped transaction_timestamp() by then. None outside a transaction.
    _began: float | None = None

    def _start_query(self) -> Any:
        beginning = (not self.autocommit
                     and self.pgconn.transaction_status == TransactionStatus.IDLE)
        yield from super()._start_query()  # BEGIN, and its answer, before the first statement
        if beginning:
            self._began = _elapsed_clock()

    def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
        try:
            return self._wait_bounded(gen, interval, timeout)
        finally:
            if self.pgconn.transaction_status in (TransactionStatus.IDLE,
                                                  TransactionStatus.UNKNOWN):
                self._began = None

    def _wait_bounded(self, gen: Any, interval: float, timeout: float | None) -> Any:
        left = remaining()
        if left is None:
            return super().wait(gen, interval, timeout)
        if left <= 0:  # nothing is sent once the time is up
            gen.close()
            self._give_up()
        try:
            return super().wait(gen, interval, left if timeout is None else min(timeout, left))
        except psycopg.errors._WaitTimeout:
            self._give_up()

    def _give_up(self) -> None:
        # Mid-protocol, the connection cannot be used again. Closing it (not cancelling: a
        # hung server would not answer that either) makes SQLAlchemy drop it from the pool,
        # and the server, once it runs again, rolls back what was not committed.
        self.close()
        raise DatabaseTooSlow("the database did not answer in time; the connection was closed")

    def rollback(self) -> None:
        if self.closed:
            return  # given up on: the server rolls back on its own
        # Closed by the deadline instead, which is as good as a rollback.
        with contextlib.suppress(DatabaseTooSlow):
            super().rollback()

    def commit(self) -> None:
        left = remaining()
        if left is None or self.info.transaction_status != TransactionStatus.INTRANS:
            super().commit()
            return
        if self._began is not None:
            # No round trip of its own: the transaction's start, stamped by the server before
            # the moment `_began` records, is the reference.
            self._check_then_commit("transaction_timestamp()", self._began)
            return
        server_now = self._server_now()  # a transaction begun some other way: ask the server
        self._check_then_commit(f"'{server_now.isoformat()}'::timestamptz", _elapsed_clock())

    def _server_now(self) -> datetime:
        with self.cursor() as cursor:
            cursor.execute("SELECT clock_timestamp()")
            row = cursor.fetchone()
        assert row is not None
        return row[0]

    def _check_then_commit(self, reference: str, since: float) -> None:
        """COMMIT preceded, in the same message, by a check that fails it if the server reads
        it later than we will wait for its answer. `reference` is a server time read no later
        than the moment `since` is on our clock, so the allowance (from `since` to the
        deadline) errs on the side of rolling back. No parameters: psycopg sends both
        statements in one simple-protocol message. The CASE depends on clock_timestamp(), so
        the failing cast runs only when late."""
        allowance_ms = max(int(((_deadline.get() or since) - since) * 1000), 0)
        with self.cursor() as cursor:
            cursor.execute(
                f"SELECT CAST(CASE WHEN clock_timestamp() > {reference} "
                f"+ interval '{allowance_ms} ms' "
                "THEN 'okr-bot: this COMMIT came after the client gave up; rolled back' "
                "ELSE '1' END AS integer); COMMIT")


def connect(*args: Any, **kwargs: Any) -> BoundedConnection:
    return BoundedConnection.connect(*args, **kwargs)
