"""Periodic jobs run on the app's clock: frozen and moved here with freezegun."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from apscheduler.executors.debug import DebugExecutor
from freezegun import freeze_time
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot import schema
from bot.config import load_settings
from bot.scheduler import JOBS, JobContext, build_job_context, run_job, start_scheduler
from bot.slack.models import SlackEventReceipt


@pytest.fixture
def jobs(database_url: str, engine: Engine) -> Iterator[JobContext]:
    """The context a runtime gives its jobs; pruning needs no Slack settings."""
    schema.upgrade(database_url)
    context = build_job_context(load_settings(env_file=None, database_url=database_url), engine)
    yield context
    context.chains.close()


def test_event_receipts_are_forgotten_after_a_day(jobs: JobContext) -> None:
    session_factory = jobs.session_factory
    with freeze_time("2026-03-28T23:30:00Z") as frozen:
        with session_factory.begin() as session:
            session.add(SlackEventReceipt(event_id="Ev0FIRST", event_type="app_home_opened"))
        frozen.tick(timedelta(hours=20))
        with session_factory.begin() as session:
            session.add(SlackEventReceipt(event_id="Ev0SECOND", event_type="app_home_opened"))

        frozen.tick(timedelta(hours=4, minutes=31))  # the first is now 24 h 31 min old
        assert run_job("prune-event-receipts", jobs).startswith("removed 1 ")
        assert run_job("prune-event-receipts", jobs).startswith("removed 0 ")

    with session_factory() as session:
        assert session.scalars(select(SlackEventReceipt.event_id)).all() == ["Ev0SECOND"]


def test_the_scheduler_runs_the_prune_job_every_hour(jobs: JobContext) -> None:
    """APScheduler reads the frozen clock while its loop waits on real time: move the clock,
    wake the scheduler, and the job runs (in the scheduler's thread, with DebugExecutor)."""
    session_factory = jobs.session_factory
    with freeze_time("2026-11-01T05:10:00Z") as frozen:
        with session_factory.begin() as session:
            session.add(SlackEventReceipt(event_id="Ev0OLD", event_type="app_home_opened"))
        scheduler = start_scheduler(jobs, executors={"default": DebugExecutor()})
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
