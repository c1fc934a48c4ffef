"""Each process's row in `processes`, beaten every BEAT_SECONDS from a thread of its own, so a
web replica can tell whether some worker is alive (/readyz) and an operator can see who runs.

Beats are stamped on the app's clock (bot/clock.py); freshness is judged on it too, scaled by
a driven clock's speed, so a test running the clock fast sees the same number of beats."""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot import __version__, clock
from bot.db import transaction
from bot.logs import structured
from bot.process.models import ProcessRow
from bot.process.roles import Role

log = logging.getLogger(__name__)

BEAT_SECONDS = 5.0
# A worker whose last beat is older than this many beats is taken for gone.
STALE_BEATS = 4
# Rows of processes gone without saying so (SIGKILL) are deleted after this.
FORGET_AFTER = timedelta(days=1)
# A missed beat is a note; this many in a row (halfway to counting as gone) is a warning. On
# SQLite a burst of writes (a Monday's check-ins, 200 updates at once) can hold the one write
# lock past a beat's 2-second wait: one miss then says nothing an operator must act on.
WARN_AFTER_MISSES = 2


def process_prefix() -> str:
    """What every id this process uses starts with: its row's, and its outbox claims'
    (bot/outbox/sender.py `worker_name`), so a stop can find and give back its claims."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:"


def runtime_claimant() -> str:
    """A runtime's own prefix for its outbox claims: the process's, and a mark for the
    runtime (two runtimes in one process, as in tests, give back only their own)."""
    return f"{process_prefix()}{uuid.uuid4().hex[:4]}"


def stale_after() -> timedelta:
    """How old a beat may be, on the app's clock, before its process counts as gone."""
    driver = clock.driven()
    speed = driver.speed if driver is not None else 1.0
    return timedelta(seconds=BEAT_SECONDS * STALE_BEATS * speed)


def fresh_workers(db_session: Session, now: datetime) -> int:
    """Processes running jobs (role worker or all) that beat recently."""
    return db_session.scalar(select(func.count()).select_from(ProcessRow).where(
        ProcessRow.role.in_([Role.WORKER, Role.ALL]),
        ProcessRow.last_beat_at >= now - stale_after())) or 0


class Heartbeat:
    """This process's row: inserted by `start`, beaten until `stop`, which deletes it."""

    def __init__(self, session_factory: sessionmaker[Session], role: Role, *,
                 now: Callable[[], datetime] = clock.now, seconds: float = BEAT_SECONDS) -> None:
        self.session_factory, self.role, self.now, self.seconds = (session_factory, role,
                                                                   now, seconds)
        self.id = process_prefix() + uuid.uuid4().hex[:8]
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self.missed = 0  # beats missed in a row

    def start(self) -> None:
        at = self.now()
        with transaction(self.session_factory) as db_session:
            db_session.add(ProcessRow(id=self.id, role=str(self.role),
                                      host=socket.gethostname()[:255], pid=os.getpid(),
                                      version=__version__[:32], started_at=at, last_beat_at=at))
            db_session.execute(delete(ProcessRow).where(
                ProcessRow.last_beat_at < at - FORGET_AFTER))
        self._thread = threading.Thread(target=self._run, name="okr-bot-heartbeat",
                                        daemon=True)
        self._thread.start()

    def beat(self) -> None:
        with transaction(self.session_factory) as db_session:
            found = db_session.execute(update(ProcessRow).where(ProcessRow.id == self.id)
                                       .values(last_beat_at=self.now())).rowcount
            if not found:  # deleted by hand, or forgotten after a long stall: back again
                at = self.now()
                db_session.add(ProcessRow(id=self.id, role=str(self.role),
                                          host=socket.gethostname()[:255], pid=os.getpid(),
                                          version=__version__[:32], started_at=at,
                                          last_beat_at=at))

    def _run(self) -> None:
        while not self._stopped.wait(self.seconds):
            self.try_beat()

    def try_beat(self) -> None:
        """A beat; one that fails (the database busy or away for a while) is logged, as a
        warning from WARN_AFTER_MISSES in a row, and tried again at the next beat."""
        try:
            self.beat()
        except Exception as error:
            self.missed += 1
            structured(log, logging.WARNING if self.missed >= WARN_AFTER_MISSES else logging.INFO,
                       "heartbeat_failed", error=type(error).__name__, missed=self.missed)
        else:
            self.missed = 0

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout=self.seconds + 5)
        try:
            with transaction(self.session_factory) as db_session:
                db_session.execute(delete(ProcessRow).where(ProcessRow.id == self.id))
        except Exception as error:  # the row then ages out: nothing waits on it
            structured(log, logging.WARNING, "heartbeat_not_removed",
                       error=type(error).__name__)
