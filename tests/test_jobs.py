"""Periodic jobs run on the app's clock: frozen and moved here with freezegun."""

from __future__ import annotations

import time
from datetime import timedelta

from apscheduler.executors.debug import DebugExecutor
from freezegun import freeze_time
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import schema
from bot.scheduler import JOBS, run_job, start_scheduler
from bot.slack.models import SlackEventReceipt


def test_event_receipts_are_forgotten_after_a_day(database_url: str,
                                                  session_factory: sessionmaker[Session]) -> None:
    schema.upgrade(database_url)
    with freeze_time("2026-03-28T23:30:00Z") as frozen:
        with session_factory.begin() as session:
            session.add(SlackEventReceipt(event_id="Ev0FIRST", event_type="app_home_opened"))
        frozen.tick(timedelta(hours=20))
        with session_factory.begin() as session:
            session.add(SlackEventReceipt(event_id="Ev0SECOND", event_type="app_home_opened"))

        frozen.tick(timedelta(hours=4, minutes=31))  # the first is now 24 h 31 min old
        assert run_job("prune-event-receipts", session_factory).startswith("removed 1 ")
        assert run_job("prune-event-receipts", session_factory).startswith("removed 0 ")

    with session_factory() as session:
        assert session.scalars(select(SlackEventReceipt.event_id)).all() == ["Ev0SECOND"]


def test_the_scheduler_runs_the_prune_job_every_hour(database_url: str,
                                                    session_factory: sessionmaker[Session]
                                                    ) -> None:
    """APScheduler reads the frozen clock while its loop waits on real time: move the clock,
    wake the scheduler, and the job runs (in the scheduler's thread, with DebugExecutor)."""
    schema.upgrade(database_url)
    with freeze_time("2026-11-01T05:10:00Z") as frozen:
        with session_factory.begin() as session:
            session.add(SlackEventReceipt(event_id="Ev0OLD", event_type="app_home_opened"))
        scheduler = start_scheduler(session_factory, executors={"default": DebugExecutor()})
        try:
            assert {job.id for job in scheduler.get_jobs()} == set(JOBS)
            assert remaining(session_factory) == ["Ev0OLD"]
            frozen.tick(timedelta(hours=25))
            scheduler.wakeup()
            deadline = time.monotonic() + 5
            while remaining(session_factory) and time.monotonic() < deadline:
                time.sleep(0.02)
            assert remaining(session_factory) == []
        finally:
            scheduler.shutdown(wait=False)


def remaining(session_factory: sessionmaker[Session]) -> list[str]:
    with session_factory() as session:
        return list(session.scalars(select(SlackEventReceipt.event_id)))
