"""The outbox against the fake Slack: a job context on each backend, a clock tests move, and
helpers that queue messages and run the sender until nothing waits."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TypeVar

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot import clock, schema
from bot.config import Settings
from bot.db import make_engine, transaction
from bot.outbox.models import OutboxMessage
from bot.outbox.pacing import OutboxLimits
from bot.outbox.queue import count_waiting, enqueue
from bot.scheduler import JobContext, build_job_context, run_job
from tests.conftest import TEAM_ID
from tests.fakes import FakeSlack
from tests.support.threads import side_by_side  # noqa: F401 (the outbox tests' own)

T = TypeVar("T")

# Fast enough for tests, with every limit still in play.
LIMITS = OutboxLimits(messages_per_minute=1200, opens_per_minute=1200, channel_seconds=1.0,
                      max_attempts=4, send_timeout=0.5, lease=timedelta(minutes=2),
                      horizon=timedelta(seconds=1), run_seconds=20,
                      backoff_base=timedelta(seconds=1), settle=timedelta(seconds=2))


class MovableClock:
    """The app's clock plus an offset the test moves."""

    def __init__(self) -> None:
        self.offset = timedelta(0)
        self.stopped: datetime | None = None

    def now(self) -> datetime:
        return (self.stopped or clock.now()) + self.offset

    def stop(self) -> None:
        """Moves only when the test moves it from now on: for tests whose arithmetic must not
        see the real time a busy machine takes between two calls."""
        self.stopped = clock.now()

    def advance(self, by: timedelta) -> None:
        self.offset += by


@pytest.fixture
def app_clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def outbox(database_url: str, engine: Engine, settings: Settings,
           app_clock: MovableClock) -> Iterator[JobContext]:
    schema.upgrade(database_url)
    context = build_job_context(settings, engine)
    yield replace(context, now=app_clock.now, outbox=LIMITS)
    context.chains.close()


@pytest.fixture
def second_process(outbox: JobContext, settings: Settings,
                   app_clock: MovableClock) -> Iterator[JobContext]:
    """Another job context on the same database, with an engine of its own: what a second
    `okr-bot serve` process would run its jobs with."""
    engine = make_engine(settings.database_url)
    context = build_job_context(settings, engine)
    yield replace(context, now=app_clock.now, outbox=outbox.outbox)
    context.chains.close()
    engine.dispose()




def queue_dms(context: JobContext, count: int, *, kind: str = "checkin",
              cycle: str = "2026-w49") -> list[int]:
    """`count` DMs to U0001…, in one transaction, as the check-in job will queue them."""
    with transaction(context.session_factory) as db_session:
        messages = [enqueue(db_session, team_id=TEAM_ID, kind=kind, user_id=f"U{n:04d}",
                            dedupe_key=f"{kind}:U{n:04d}:{cycle}", text=f"Hello {n}",
                            now=context.now())
                    for n in range(1, count + 1)]
        db_session.flush()
        return [m.id for m in messages]


def drain(context: JobContext, app_clock: MovableClock, *, step: timedelta = timedelta(0),
          within: float = 60) -> list[str]:
    """Run the sender until no message waits: moving the clock by `step` between runs (for
    back-offs), or letting real time pass (for Retry-After, which the fake keeps in real
    time)."""
    outcomes: list[str] = []
    end = time.monotonic() + within
    while time.monotonic() < end:
        outcomes.append(run_job("send-outbox", context))
        if count_waiting(context.session_factory)[0] == 0:
            return outcomes
        if step:
            app_clock.advance(step)
        else:
            time.sleep(0.1)
    raise AssertionError(f"messages still waiting after {within} s: {outcomes[-3:]}")


def delivered(fake: FakeSlack) -> Counter[int]:
    """How many times each outbox message landed in Slack (posts Slack accepted)."""
    landed: Counter[int] = Counter()
    for call in fake.calls_to("chat.postMessage"):
        if call.ok:
            landed[call.params["metadata"]["event_payload"]["outbox_id"]] += 1
    return landed


def rows(session_factory: sessionmaker[Session]) -> list[OutboxMessage]:
    with session_factory() as db_session:
        return list(db_session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
