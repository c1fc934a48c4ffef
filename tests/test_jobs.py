"""Periodic jobs run on the app's clock: frozen and moved here with freezegun."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from apscheduler.executors.debug import DebugExecutor
from freezegun import freeze_time
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot import clock, schema
from bot.config import load_settings
from bot.scheduler import JOBS, JobContext, build_job_context, run_job, run_once, start_scheduler
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


def test_a_job_reads_the_time_from_its_context(jobs: JobContext) -> None:
    """The clock is part of the context: a context two days ahead prunes what is a day old."""
    with jobs.session_factory.begin() as session:
        session.add(SlackEventReceipt(event_id="Ev0TODAY", event_type="app_home_opened"))
    later = replace(jobs, now=lambda: clock.now() + timedelta(days=2))
    assert run_job("prune-event-receipts", jobs).startswith("removed 0 ")
    assert run_job("prune-event-receipts", later).startswith("removed 1 ")
    assert remaining(jobs.session_factory) == []


def test_okr_bot_jobs_run_builds_the_servers_context_and_closes_it(
        database_url: str, jobs: JobContext) -> None:
    """`okr-bot jobs run` (bot/cli/main.py) is `run_once`: the job with a context built as
    the server's is, on the app's clock, and no worker of it left running after."""
    before = {t.ident for t in threading.enumerate()}
    with freeze_time("2026-06-01T12:00:00Z") as frozen:
        with jobs.session_factory.begin() as session:
            session.add(SlackEventReceipt(event_id="Ev0OLD", event_type="app_home_opened"))
        frozen.tick(timedelta(hours=25))
        settings = load_settings(env_file=None, database_url=database_url)
        assert run_once(settings, "prune-event-receipts").startswith("removed 1 event receipts")
    assert remaining(jobs.session_factory) == []
    deadline = time.monotonic() + 5
    while (left := [t.name for t in threading.enumerate() if t.ident not in before
                    and t.name.startswith("okr-bot")]) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert left == []
