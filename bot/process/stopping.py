"""A graceful stop: take no new work, let what is in flight finish within a bound, then give
back what this process still holds, so another process takes it up at once rather than when a
lease runs out."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime

from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from bot.db import transaction
from bot.logs import structured
from bot.outbox.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)


def release_claims(session_factory: sessionmaker[Session], now: datetime,
                   claimant: str) -> int:
    """Queue again, due now, every outbox message this runtime's senders still hold (their
    names start with `claimant`, bot/outbox/sender.py `worker_name`). A post
    keeps its `unconfirmed_since` (set when it was claimed), so the next attempt looks in the
    channel first in case this one reached Slack; its attempt stays counted."""
    with transaction(session_factory) as db_session:
        return db_session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.SENDING,
                   OutboxMessage.claimed_by.startswith(claimant, autoescape=True))
            .values(status=OutboxStatus.QUEUED, next_attempt_at=now, claimed_by=None,
                    claimed_until=None)
            .execution_options(synchronize_session=False)).rowcount


def stop_scheduler(scheduler: BaseScheduler, timeout: float) -> bool:
    """Stop firing at once; wait for running jobs at most `timeout` seconds. True if they
    finished."""
    if not scheduler.running:
        return True
    scheduler.pause()
    waiter = threading.Thread(target=scheduler.shutdown, kwargs={"wait": True},
                              name="okr-bot-scheduler-stop", daemon=True)
    waiter.start()
    waiter.join(timeout)
    return not waiter.is_alive()


def finish(*, scheduler: BaseScheduler | None, session_factory: sessionmaker[Session],
           now: Callable[[], datetime], timeout: float, claimant: str) -> None:
    """The stop's last steps, logged as one line: jobs waited for, claims released."""
    began = time.monotonic()
    finished = stop_scheduler(scheduler, timeout) if scheduler is not None else True
    try:
        released = release_claims(session_factory, now(), claimant)
    except Exception as error:  # the leases run out instead: slower, never lost
        structured(log, logging.WARNING, "claims_not_released", error=type(error).__name__)
        released = None
    structured(log, logging.INFO if finished else logging.WARNING, "stopped",
               jobs_finished=finished, claims_released=released,
               seconds=f"{time.monotonic() - began:.1f}")
