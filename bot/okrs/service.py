"""Recording measurements: the one path every source (check-in, Slack, plan, API) goes through,
so old → new, the new health and the triggers that fire are worked out the same way."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.okrs.enums import Source
from bot.okrs.health import Bands, Health, MetricSpec, metric_health
from bot.okrs.health import Measurement as Point
from bot.okrs.models import Measurement, Metric
from bot.okrs.triggers import Firing, TriggerRule, fired_now


def spec_of(metric: Metric) -> MetricSpec:
    bands = None
    if metric.thresholds is not None:
        t = metric.thresholds
        green = (t.green_low, t.green_high)
        yellow = (t.yellow_low, t.yellow_high)
        bands = Bands(mode=t.mode, green=t.green, yellow=t.yellow, pace=t.pace,
                      green_range=green if None not in green else None,
                      yellow_range=yellow if None not in yellow else None)
    return MetricSpec(key=metric.key, name=metric.name, direction=metric.direction,
                      baseline=metric.baseline, target=metric.target, unit=metric.unit,
                      start=metric.starts_on, due=metric.due_on, frequency=metric.frequency,
                      bands=bands)


@dataclass(frozen=True)
class Recorded:
    metric: Metric
    old_value: float | None
    new_value: float
    health: Health
    fired: list[Firing]


def record_measurement(*, db_session: Session, metric: Metric, value: float, at: datetime,
                       source: Source, now: datetime, author: str | None = None,
                       note: str | None = None) -> Recorded:
    """Store one measurement and say what it changed. The caller owns the transaction."""
    history = list(db_session.scalars(
        select(Measurement).where(Measurement.metric_id == metric.id)
        .order_by(Measurement.measured_at, Measurement.id)))
    before = [m for m in history if m.measured_at <= at]
    old_value = before[-1].value if before else None
    db_session.add(Measurement(metric_id=metric.id, value=value, measured_at=at,
                               source=source, author=author, note=note))
    db_session.flush()
    points = [Point(value=m.value, measured_at=m.measured_at) for m in history]
    points.append(Point(value=value, measured_at=at))
    points.sort(key=lambda point: point.measured_at)
    spec = spec_of(metric)
    rules = [TriggerRule(kind=t.kind, action=t.action, value=t.value, periods=t.periods,
                         period=t.period) for t in metric.triggers]
    return Recorded(metric=metric, old_value=old_value, new_value=value,
                    health=metric_health(spec, points, now),
                    fired=fired_now(rules, points, metric.frequency, spec=spec))
