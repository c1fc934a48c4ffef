"""Periodic jobs run on the app's clock: frozen and moved here with freezegun."""

from __future__ import annotations

from datetime import timedelta

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


def test_the_scheduler_runs_every_job_on_its_trigger(database_url: str,
                                                     session_factory: sessionmaker[Session]
                                                     ) -> None:
    schema.upgrade(database_url)
    scheduler = start_scheduler(session_factory)
    try:
        scheduled = {job.id: job for job in scheduler.get_jobs()}
        assert set(scheduled) == set(JOBS)
        prune = scheduled["prune-event-receipts"]
        assert prune.trigger.interval == timedelta(hours=1)
        assert prune.next_run_time is not None
    finally:
        scheduler.shutdown(wait=False)
