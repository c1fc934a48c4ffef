"""Recording measurements: the one path every source (check-in, Slack, plan, API) goes through,
so old → new, the new health and the triggers that fire are worked out the same way."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from bot.okrs.method.enums import Source
from bot.okrs.method.health import Bands, MetricSpec, metric_health, with_counter_metric
from bot.okrs.method.health import Measurement as Point
from bot.okrs.method.names import LIKE_ESCAPE, like_escaped
from bot.okrs.method.recording import MetricRef, Recorded
from bot.okrs.method.triggers import TriggerRule, firings
from bot.okrs.store.models import (
    CounterMetric,
    Measurement,
    Metric,
    MetricChange,
    MetricThresholds,
)
from bot.people.service import BUMPED


def bands_of(row: MetricThresholds | None) -> Bands | None:
    """A thresholds row as the health engine's Bands."""
    if row is None:
        return None
    green, yellow = (row.green_low, row.green_high), (row.yellow_low, row.yellow_high)
    return Bands(mode=row.mode, green=row.green, yellow=row.yellow, pace=row.pace,
                 green_range=green if None not in green else None,
                 yellow_range=yellow if None not in yellow else None)


def spec_of(metric: Metric) -> MetricSpec:
    bands = bands_of(metric.thresholds)
    # A key result runs from its objective's start unless it says otherwise: pace needs both.
    start = metric.starts_on or (metric.objective.starts_on if metric.objective else None)
    return MetricSpec(key=metric.key, name=metric.name, direction=metric.direction,
                      baseline=metric.baseline, target=metric.target, unit=metric.unit,
                      start=start, due=metric.due_on, frequency=metric.frequency,
                      bands=bands)


def points(db_session: Session, metric_id: int) -> list[Point]:
    rows = db_session.execute(
        select(Measurement.value, Measurement.measured_at)
        .where(Measurement.metric_id == metric_id)
        .order_by(Measurement.measured_at, Measurement.id))
    return [Point(value=value, measured_at=at) for value, at in rows]


def counter_metrics_of(db_session: Session, metric: Metric) -> list[Metric]:
    """Both sides of every pair the metric is in: a pair declared on either side guards both."""
    declared = select(CounterMetric.counter_metric_id).where(CounterMetric.metric_id == metric.id)
    declaring = select(CounterMetric.metric_id).where(CounterMetric.counter_metric_id == metric.id)
    return list(db_session.scalars(select(Metric).where(
        Metric.id.in_(declared.union(declaring)))))


def note_changed(db_session: Session, metric: Metric) -> None:
    """Tell cached chains that this metric moved: one new line in the change log (no shared
    row to wait on), and the session remembers the workspace so that a server brings its
    chain up to date once the write commits (ChainCache.refresh_after_commit)."""
    db_session.add(MetricChange(workspace_id=metric.workspace_id, metric_id=metric.id))
    db_session.info.setdefault(BUMPED, set()).add(metric.workspace_id)


def record_measurement(*, db_session: Session, metric: Metric, value: float, at: datetime,
                       source: Source, now: datetime, author: str | None = None,
                       note: str | None = None) -> Recorded:
    """Store one measurement and say what it changed. The caller owns the transaction."""
    before = [p for p in points(db_session, metric.id) if p.measured_at <= at]
    old_value = before[-1].value if before else None
    db_session.add(Measurement(metric_id=metric.id, value=value, measured_at=at,
                               source=source, author=author, note=note))
    note_changed(db_session, metric)
    db_session.flush()
    series = points(db_session, metric.id)
    spec = spec_of(metric)
    health = metric_health(spec, series, now)
    for counter in counter_metrics_of(db_session, metric):
        counter_health = metric_health(spec_of(counter), points(db_session, counter.id), now)
        health = with_counter_metric(health, counter_health, counter.name)
    rules = [TriggerRule(kind=t.kind, action=t.action, value=t.value, periods=t.periods,
                         period=t.period) for t in metric.triggers]
    # Only what this measurement set off: a backfill does not re-announce later crossings.
    fired = [f for f in firings(rules, series, metric.frequency, spec=spec)
             if f.measured_at == at and f.value == value]
    return Recorded(metric=MetricRef(metric.key, metric.name, metric.unit, metric.owner),
                    old_value=old_value, new_value=value, health=health,
                    fired=fired)


def could_be_named(key: ColumnElement[str], name: ColumnElement[str],
                   typed: str) -> ColumnElement[bool]:
    """Rows whose key, name or a word of the name starts with what was typed (LIKE's
    wildcards taken literally): the bounded pre-filter before `targets.resolve` picks."""
    pattern = like_escaped(typed.strip().lower())
    return or_(key.ilike(f"{pattern}%", escape=LIKE_ESCAPE),
               name.ilike(f"{pattern}%", escape=LIKE_ESCAPE),
               name.ilike(f"% {pattern}%", escape=LIKE_ESCAPE))

