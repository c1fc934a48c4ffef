"""The clock for periodic jobs. APScheduler only says *when*; each job asks the database
*what* is due and is harmless to run twice, so several processes never do harm."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot import clock
from bot.config import Settings
from bot.db import make_engine, make_session_factory, transaction
from bot.logs import structured
from bot.okrs.store.cache import ChainCache
from bot.slack.clients import SlackClients
from bot.slack.receipts import KEEP_RECEIPTS_FOR, prune_receipts, prune_request_receipts

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobContext:
    """What a job may use, the runtime's own (bot/serve.py `build_job_context`), whether the
    scheduler or `okr-bot jobs run` runs it."""

    session_factory: sessionmaker[Session]
    slack: SlackClients  # the Web API client for a workspace: `slack.client(team_id)`
    chains: ChainCache
    now: Callable[[], datetime] = field(default=clock.now)


@dataclass(frozen=True)
class Job:
    name: str
    summary: str
    trigger: Callable[[], BaseTrigger]
    run: Callable[[JobContext], str]  # returns a one-line account of what it did


def prune_event_receipts(context: JobContext) -> str:
    with transaction(context.session_factory) as session:
        now = context.now()
        events = prune_receipts(db_session=session, now=now)
        requests = prune_request_receipts(db_session=session, now=now)
    return (f"removed {events} event receipts and {requests} request receipts older than "
            f"{KEEP_RECEIPTS_FOR.days} day(s)")


JOBS: dict[str, Job] = {
    job.name: job
    for job in (
        Job("prune-event-receipts",
            "Forget Slack event ids and request trigger_ids old enough that Slack will not "
            "retry them nor their signatures still hold.",
            lambda: IntervalTrigger(hours=1, timezone=UTC),
            prune_event_receipts),
    )
}


def run_job(name: str, context: JobContext) -> str:
    # A failure propagates: APScheduler logs it with its traceback, the CLI reports it.
    outcome = JOBS[name].run(context)
    structured(log, logging.INFO, "job_finished", job=name, outcome=outcome)
    return outcome


def build_job_context(settings: Settings, engine: Engine, *,
                      slack: SlackClients | None = None) -> JobContext:
    """The database, chain cache and Slack clients of one runtime, as jobs see them: the
    server builds its runtime on this (bot/serve.py), and `okr-bot jobs run` uses it alone.
    `slack` says where each workspace's client comes from (default: the settings' one bot
    token)."""
    session_factory = make_session_factory(engine)
    # A write that moves a workspace's data (an update, a check-in) has its chain rebuilt at
    # once in the background, so the next /okr command finds it ready.
    chains = ChainCache()
    chains.refresh_after_commit(session_factory)
    return JobContext(session_factory=session_factory,
                      slack=slack if slack is not None else SlackClients(settings),
                      chains=chains)


def run_once(settings: Settings, name: str) -> str:
    """`okr-bot jobs run NAME`: the job, now, with a context built as the server builds its
    own, closed after."""
    engine = make_engine(settings.database_url)
    context = build_job_context(settings, engine)
    try:
        return run_job(name, context)
    finally:
        context.chains.close()
        engine.dispose()


def start_scheduler(context: JobContext, *,
                    executors: dict[str, Any] | None = None) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(
        timezone=UTC,
        executors=executors or {},
        # A job that missed its slot while we were down runs once on start, not once per miss.
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
    )
    for job in JOBS.values():
        scheduler.add_job(run_job, job.trigger(), args=[job.name, context],
                          id=job.name, name=job.summary, replace_existing=True)
    scheduler.start()
    return scheduler

