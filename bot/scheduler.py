"""The clock for periodic jobs. APScheduler only says *when*; each job asks the database
*what* is due and is harmless to run twice, so several processes never do harm.

"When" is on the app's clock (bot/clock.py): when a test drives it, each trigger is read on
that clock and APScheduler waits the real time that stands for (`OnAppClock`)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from bot import clock
from bot.alerts.job import AlertTally, check_alerts
from bot.api.idempotency import KEEP_API_KEYS_FOR, prune_api_keys
from bot.checkins.job import Tally, run_checkins
from bot.config import Settings
from bot.db import make_engine, make_session_factory, transaction
from bot.job_context import JobContext
from bot.job_outcome import Outcome
from bot.lifecycle import job as lifecycle_job
from bot.logs import structured
from bot.okrs.flows import teams_with_plans
from bot.okrs.store.cache import ChainCache
from bot.okrs.store.changes import KEEP_LINES_FOR, prune_lines
from bot.outbox.ahead import open_dm_channels
from bot.outbox.pacing import OutboxLimits
from bot.outbox.sender import send_outbox
from bot.people.time_zones import refresh_time_zones
from bot.slack.clients import SlackClients
from bot.slack.receipts import KEEP_RECEIPTS_FOR, prune_receipts, prune_request_receipts
from bot.summaries.posting import PostTally, post_digests

log = logging.getLogger(__name__)

SEND_OUTBOX = "send-outbox"


@dataclass(frozen=True)
class Job:
    name: str
    summary: str
    # Fire times must not depend on when the trigger is built (give an interval trigger a
    # start_date): the scheduler, `jobs next` and `jobs list` build it at different times.
    trigger: Callable[[], BaseTrigger]
    run: Callable[[JobContext], str]  # returns a one-line account of what it did


def prune_event_receipts(context: JobContext) -> str:
    with transaction(context.session_factory) as session:
        now = context.now()
        events = prune_receipts(db_session=session, now=now)
        requests = prune_request_receipts(db_session=session, now=now)
        lines = prune_lines(session)
        keys = prune_api_keys(session, now=now)
    return (f"removed {events} event receipts and {requests} request receipts older than "
            f"{KEEP_RECEIPTS_FOR.days} day(s), {lines} change-log lines older than "
            f"{KEEP_LINES_FOR.days} day(s), and {keys} API Idempotency-Keys older than "
            f"{KEEP_API_KEYS_FOR.total_seconds() / 3600:g} hours")


def refresh_people_time_zones(context: JobContext) -> str:
    with transaction(context.session_factory) as session:
        planned = teams_with_plans(session)
    return refresh_time_zones(session_factory=context.session_factory, slack_team_ids=planned,
                              client=context.slack.client, now=context.now).line()


def run_checkins_job(context: JobContext) -> str:
    tally = run_checkins(context.session_factory, context.now(),
                         queued=context.outbox_wake.queued)
    return Outcome(str(tally), idle=tally == Tally())


def check_alerts_job(context: JobContext) -> str:
    tally = check_alerts(context.session_factory, context.chains, context.now())
    return Outcome(str(tally), idle=tally == AlertTally())


def post_digests_job(context: JobContext) -> str:
    tally = post_digests(context.session_factory, context.chains, context.now())
    return Outcome(str(tally), idle=tally == PostTally())


def purge_uninstalled_job(context: JobContext) -> str:
    purged = lifecycle_job.purge_uninstalled(context.session_factory, now=context.now(),
                                             retention=context.retention)
    return Outcome(lifecycle_job.line(purged, context.retention), idle=not purged)


class _Grid(IntervalTrigger):
    """An interval trigger that stays on its grid after a run moved off it: APScheduler
    counts the next fire time from the last one, and a run woken early (the sender,
    bot/outbox/wake.py) would otherwise shift every later tick by as much."""

    __slots__ = ()

    def get_next_fire_time(self, previous_fire_time: datetime | None,
                           now: datetime) -> datetime | None:
        if previous_fire_time is not None:
            # The first grid point after the previous fire time, even one already past (as
            # IntervalTrigger's own: APScheduler collects the ones it missed, then coalesces).
            now = previous_fire_time + timedelta(milliseconds=1)
        return super().get_next_fire_time(None, now)


def _every(interval: timedelta, *, past_the_hour: int = 0) -> IntervalTrigger:
    """Fire times on a fixed grid in UTC (from a fixed start, not from when the process
    started), so every replica's ticks fall on the same instants."""
    return _Grid(seconds=interval.total_seconds(), timezone=UTC,
                 start_date=datetime(2026, 1, 1, 0, past_the_hour, tzinfo=UTC))


JOBS: dict[str, Job] = {
    job.name: job
    for job in (
        Job("prune-event-receipts",
            "Forget Slack event ids and request trigger_ids old enough that Slack will not "
            "retry them nor their signatures still hold, measurement change-log lines "
            "every cached chain has applied, and API Idempotency-Keys older than a day.",
            # At half past, away from the minute on the hour check-ins fall due.
            lambda: _every(timedelta(hours=1), past_the_hour=30),
            prune_event_receipts),
        Job("refresh-time-zones",
            "Ask Slack for the time zone of everyone in a workspace with a plan, so each "
            "check-in follows its person's zone even when a user_change event was missed.",
            # 03:17 UTC: off the hour, when few check-ins fall due.
            lambda: CronTrigger(hour=3, minute=17, timezone=UTC),
            refresh_people_time_zones),
        Job("run-checkins",
            "Open each person's weekly check-in when their window opens (once: a round row and "
            "its DM in one transaction), send reminders and snoozed ones, close missed ones.",
            # On the minute: due times are whole minutes in each person's zone.
            lambda: _every(timedelta(minutes=1)),
            run_checkins_job),
        Job(SEND_OUTBOX,
            "Deliver the messages waiting in the outbox, paced under Slack's rate limits "
            "(`okr-bot outbox list` shows them).",
            lambda: _every(timedelta(seconds=5)),
            send_outbox),
        Job("check-alerts",
            "Tell each key result's and KPI's owner, by DM and once per crossing, that it "
            "turned yellow or red (again only after it was green): statuses move with time "
            "too, as a pace falls behind or a due date passes.",
            # Every five minutes, off the minute check-ins fall due on.
            lambda: _every(timedelta(minutes=5), past_the_hour=2),
            check_alerts_job),
        Job("post-digests",
            "Post each team's digest in its channel when its check-in window closes (once per "
            "team and cycle), its detail in the headline's thread once Slack has the "
            "headline, and answers that come late added to that thread.",
            lambda: _every(timedelta(minutes=1)),
            post_digests_job),
        Job("open-dm-channels",
            "Open the DM channel of everyone due for a check-in within "
            "OUTBOX_OPEN_AHEAD_DAYS who has none yet, paced under conversations.open's limit "
            "after the DMs due now, so a first week's DMs need no opens when they fall due.",
            # At 40 past the hour, away from the minute on the hour check-ins fall due.
            lambda: _every(timedelta(hours=1), past_the_hour=40),
            open_dm_channels),
        Job("purge-uninstalled",
            "Delete everything a workspace held once okr-bot has been uninstalled from it for "
            "OKR_BOT_RETENTION_DAYS (`okr-bot workspace export` writes it out before).",
            # 04:41 UTC: off the hour, away from the other daily job.
            lambda: CronTrigger(hour=4, minute=41, timezone=UTC),
            purge_uninstalled_job),
    )
}


def run_job(name: str, context: JobContext) -> str:
    # A failure propagates: APScheduler logs it with its traceback, the CLI reports it.
    outcome = JOBS[name].run(context)
    level = logging.DEBUG if getattr(outcome, "idle", False) else logging.INFO
    structured(log, level, "job_finished", job=name, outcome=outcome)
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
                      slack=slack if slack is not None else SlackClients(
                          settings, session_factory=session_factory),
                      chains=chains, outbox=outbox_limits(settings),
                      retention=timedelta(days=settings.okr_bot_retention_days))


def outbox_limits(settings: Settings) -> OutboxLimits:
    return OutboxLimits(messages_per_minute=settings.outbox_messages_per_minute,
                        opens_per_minute=settings.outbox_opens_per_minute,
                        max_attempts=settings.outbox_max_attempts,
                        open_ahead=timedelta(days=settings.outbox_open_ahead_days))


def run_once(settings: Settings, name: str, *, at: datetime | None = None) -> str:
    """`okr-bot jobs run NAME [--at INSTANT]`: the job, now or as of `at` (the app's clock
    starts there for the run, so what the job stores is stamped on it too), with a context
    built as the server builds its own, closed after."""
    release = clock.drive(clock.DrivenClock(at)) if at is not None else None
    engine = make_engine(settings.database_url)
    context = build_job_context(settings, engine)
    try:
        return run_job(name, replace(context, now=clock.now))
    finally:
        context.chains.close()
        engine.dispose()
        if release is not None:
            release()


def fire_times(trigger: BaseTrigger, after: datetime) -> Iterator[datetime]:
    """The trigger's fire times from `after` on (inclusive), as APScheduler would fire them."""
    fired: datetime | None = None
    while (fired := trigger.get_next_fire_time(fired, after if fired is None else fired)):
        yield fired


class OnAppClock(BaseTrigger):
    """A job's trigger read on a driven app clock; APScheduler gets back the real instant at
    which that clock will show each fire time, and waits for it on its own clock."""

    def __init__(self, trigger: BaseTrigger, driver: clock.DrivenClock) -> None:
        self.trigger, self.driver = trigger, driver
        # The app instant each real fire time handed out stands for, so the next one is read
        # from it exactly: mapping back through the speed would round, and a cron trigger
        # given an instant a microsecond early answers the same fire time again.
        self._issued: dict[datetime, datetime] = {}

    def get_next_fire_time(self, previous_fire_time: datetime | None,
                           now: datetime) -> datetime | None:
        app_now = self.driver.now()
        previous = None
        if previous_fire_time is not None:
            previous = self._issued.get(previous_fire_time) or (
                app_now - (now - previous_fire_time) * self.driver.speed)
        app_next = self.trigger.get_next_fire_time(previous, app_now)
        if app_next is None:
            return None
        real_next = now + (app_next - app_now) / self.driver.speed
        # APScheduler asks only about the last few it was given.
        self._issued = dict(list(self._issued.items())[-7:]) | {real_next: app_next}
        return real_next

    def __str__(self) -> str:
        return f"{self.trigger} on the app's clock"


def next_run(job: Job, after: datetime) -> datetime | None:
    return next(fire_times(job.trigger(), after), None)


def start_scheduler(context: JobContext, *, executors: dict[str, Any] | None = None,
                    driver: clock.DrivenClock | None = None) -> BackgroundScheduler:
    """APScheduler running every job; on `driver`'s time when a test drives the app clock
    (by default whichever drives it, if any)."""
    driver = driver if driver is not None else clock.driven()
    scheduler = BackgroundScheduler(
        timezone=UTC,
        executors=executors or {},
        # A job that missed its slot while we were down runs once on start, not once per miss.
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
    )
    for job in JOBS.values():
        trigger = job.trigger() if driver is None else OnAppClock(job.trigger(), driver)
        scheduler.add_job(_run_scheduled, trigger, args=[job.name, context],
                          id=job.name, name=job.summary, replace_existing=True)
    wake = context.outbox_wake

    def send_now() -> None:
        if scheduler.running:
            scheduler.modify_job(SEND_OUTBOX, next_run_time=clock.real_now())

    def send_in(seconds: float) -> None:
        """The sender again once a 429's hold is over: `seconds` on the app's clock, which a
        driven clock runs faster than the real one the scheduler waits on."""
        if not scheduler.running:
            return
        speed = driver.speed if driver is not None else 1.0
        when = clock.real_now() + timedelta(seconds=seconds / speed)
        job = scheduler.get_job(SEND_OUTBOX)
        if job is not None and job.next_run_time is not None and job.next_run_time <= when:
            return  # the next tick comes first anyway
        scheduler.modify_job(SEND_OUTBOX, next_run_time=when)

    def ended(event: JobExecutionEvent) -> None:
        if event.job_id == SEND_OUTBOX:
            wake.ended()  # the executor has stopped counting the run by now

    scheduler.add_listener(ended, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    scheduler.start()
    wake.attach(send_now, send_in)
    return scheduler


def _run_scheduled(name: str, context: JobContext) -> str:
    if name == SEND_OUTBOX:
        context.outbox_wake.began()  # a wake from now on is this run's, until it ends
    return run_job(name, context)

