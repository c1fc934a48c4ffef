"""Figures read when Prometheus scrapes, not counted as they happen: the outbox's depth and the
age of its oldest waiting message (from the database, so every replica reports the same
queue), and the runtime's chain cache hits and misses."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot import clock
from bot.logs import structured
from bot.okrs.store.cache import ChainCache
from bot.outbox.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

STATUSES = (OutboxStatus.QUEUED, OutboxStatus.SENDING, OutboxStatus.FAILED)


class OutboxCollector:
    def __init__(self, session_factory: sessionmaker[Session],
                 now: Callable[[], datetime] = clock.now) -> None:
        self.session_factory, self.now = session_factory, now

    def describe(self) -> list[Metric]:
        return []  # nothing read at registration: the database may not be there yet

    def collect(self) -> Iterator[Metric]:
        depth = GaugeMetricFamily("okrbot_outbox_depth", "Messages in the outbox not sent "
                                  "yet, by status (queued, sending, failed).", labels=["status"])
        oldest = GaugeMetricFamily("okrbot_outbox_oldest_age_seconds", "Age of the oldest "
                                   "message waiting to be sent (queued or sending); 0 if none.")
        up = GaugeMetricFamily("okrbot_outbox_scrape_ok", "1 if the outbox could be read.")
        try:
            with self.session_factory() as db_session:
                rows = db_session.execute(
                    select(OutboxMessage.status, func.count(), func.min(OutboxMessage.created_at))
                    .where(OutboxMessage.status.in_(STATUSES))
                    .group_by(OutboxMessage.status)).all()
        except Exception as error:
            structured(log, logging.WARNING, "metrics_outbox_unreadable",
                       error=type(error).__name__)
            up.add_metric([], 0)
            yield up
            return
        counts = {str(status): (count, first) for status, count, first in rows}
        for status in STATUSES:
            depth.add_metric([str(status)], counts.get(str(status), (0, None))[0])
        firsts = [first for status, (_, first) in counts.items()
                  if status != OutboxStatus.FAILED and first is not None]
        oldest.add_metric([], max(0.0, (self.now() - min(firsts)).total_seconds())
                          if firsts else 0.0)
        up.add_metric([], 1)
        yield from (depth, oldest, up)


class ChainCacheCollector:
    def __init__(self, chains: ChainCache) -> None:
        self.chains = chains

    def collect(self) -> Iterator[Metric]:
        yield CounterMetricFamily("okrbot_chain_cache_hits", "Requests that found their "
                                  "workspace's chain ready in the cache.",
                                  value=self.chains.hits)
        yield CounterMetricFamily("okrbot_chain_cache_misses", "Requests whose chain had to "
                                  "be loaded or built first.", value=self.chains.misses)
        yield CounterMetricFamily("okrbot_chain_cache_builds", "Chains loaded or recomputed "
                                  "whole.", value=self.chains.builds)
