"""What a scheduled job may use: the runtime's own (bot/serve.py `build_job_context`),
whether the scheduler or `okr-bot jobs run` runs it. Apart from bot/scheduler.py, so the jobs
it runs (the outbox's sender among them) can name it without importing the scheduler."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from bot import clock
from bot.okrs.store.cache import ChainCache
from bot.outbox.pacing import OutboxLimits
from bot.outbox.wake import SenderWake
from bot.process.heartbeat import runtime_claimant
from bot.slack.clients import SlackClients

if TYPE_CHECKING:
    from bot.metrics import Metrics


@dataclass(frozen=True)
class JobContext:
    """What a job may use, the runtime's own (bot/serve.py `build_job_context`), whether the
    scheduler or `okr-bot jobs run` runs it."""

    session_factory: sessionmaker[Session]
    slack: SlackClients  # the Web API client for a workspace: `slack.client(team_id)`
    chains: ChainCache
    now: Callable[[], datetime] = field(default=clock.now)
    outbox: OutboxLimits = field(default_factory=OutboxLimits)  # the sender's pacing
    # Runs send-outbox as soon as messages are committed, on the runtime's scheduler.
    outbox_wake: SenderWake = field(default_factory=SenderWake)
    # How long an uninstalled workspace's data is kept (OKR_BOT_RETENTION_DAYS).
    retention: timedelta = timedelta(days=30)
    # Set when the process stops (SIGTERM): the sender claims nothing more.
    stopping: threading.Event = field(default_factory=threading.Event)
    metrics: Metrics | None = None  # the runtime's, when it serves /metrics
    # What this runtime's outbox claims are named from: host:pid: and a mark of its own.
    claimant: str = field(default_factory=runtime_claimant)
