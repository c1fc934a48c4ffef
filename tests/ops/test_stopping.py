"""What a stop gives back: the outbox claims this runtime still holds (after its in-flight
sends had their time), queued again and due now; another process's or runtime's are left."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import update

from bot import clock
from bot.db import transaction
from bot.outbox.models import OutboxMessage
from bot.outbox.queue import claim_due
from bot.outbox.sender import worker_name
from bot.process.heartbeat import runtime_claimant
from bot.process.stopping import release_claims, stop_scheduler
from bot.scheduler import JobContext
from tests.outbox.conftest import LIMITS, queue_dms, rows


def test_release_gives_back_this_runtime_claims_only(outbox: JobContext) -> None:
    queue_dms(outbox, 4)
    now = outbox.now()
    ours = claim_due(outbox.session_factory, worker=worker_name(outbox.claimant), now=now,
                     limits=replace(LIMITS, horizon=timedelta(minutes=1)))
    assert len(ours) == 4
    # One of them is held by a process on another host.
    with transaction(outbox.session_factory) as db_session:
        db_session.execute(update(OutboxMessage).where(OutboxMessage.id == ours[0].id)
                           .values(claimed_by="elsewhere:1:abcdef12"))
    later = now + timedelta(seconds=3)
    # Another runtime of this same process gives back nothing of this one's.
    assert release_claims(outbox.session_factory, later, runtime_claimant()) == 0
    assert release_claims(outbox.session_factory, later, outbox.claimant) == 3
    assert release_claims(outbox.session_factory, later, outbox.claimant) == 0
    stored = {row.id: row for row in rows(outbox.session_factory)}
    kept = stored.pop(ours[0].id)
    assert (kept.status, kept.claimed_by) == ("sending", "elsewhere:1:abcdef12")
    for row in stored.values():
        assert (row.status, row.claimed_by, row.claimed_until) == ("queued", None, None)
        assert row.next_attempt_at == later
        # Its attempt may have reached Slack: the next one looks in the channel first.
        assert row.unconfirmed_since is not None


def test_stopping_the_scheduler_waits_for_a_running_job_within_a_bound() -> None:
    scheduler = BackgroundScheduler(timezone="UTC")
    started, release = threading.Event(), threading.Event()

    def slow() -> None:
        started.set()
        release.wait(timeout=30)

    scheduler.add_job(slow, "interval", hours=1, id="slow", next_run_time=clock.real_now())
    scheduler.start()
    assert started.wait(timeout=10)
    began = clock.real_now()
    assert stop_scheduler(scheduler, timeout=0.3) is False  # still running: not waited for
    assert clock.real_now() - began < timedelta(seconds=2)
    release.set()


def test_stopping_the_scheduler_waits_for_a_job_that_finishes_in_time() -> None:
    scheduler = BackgroundScheduler(timezone="UTC")
    started, finished = threading.Event(), threading.Event()

    def short() -> None:
        started.set()
        threading.Event().wait(0.3)
        finished.set()

    scheduler.add_job(short, "interval", hours=1, id="short", next_run_time=clock.real_now())
    scheduler.start()
    assert started.wait(timeout=10)
    assert stop_scheduler(scheduler, timeout=5) is True
    assert finished.is_set()  # it was waited for, not cut short
