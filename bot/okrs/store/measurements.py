"""Recording measurements: the one path every source (check-in, Slack, plan, API) goes through,
so old → new, the new health and the triggers that fire are worked out the same way; and taking
one back, which marks it (who, when) rather than deleting it."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    bindparam,
    func,
    insert,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from bot.db import one_of, run_core
from bot.errors import InvalidInput, NotFound
from bot.okrs.method.enums import Source
from bot.okrs.method.health import (
    Bands,
    Health,
    MetricSpec,
    format_value,
    metric_health,
    with_counter_metric,
)
from bot.okrs.method.health import Measurement as Point
from bot.okrs.method.names import LIKE_ESCAPE, like_escaped
from bot.okrs.method.recording import MetricRef, Recorded, Undone
from bot.okrs.method.triggers import TriggerRule, fired_by
from bot.okrs.store.models import (
    CounterMetric,
    Measurement,
    Metric,
    MetricChange,
    MetricThresholds,
    Objective,
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


# How long a measurement can be taken back: long enough to notice a slip the next morning,
# short enough that nobody rewrites a week-old report from Slack.
UNDO_WINDOW = timedelta(hours=24)


# The statements every update runs are built once per process (functools.cache, values bound
# per call): building one cost SQLAlchemy more than SQLite took to run it, inside the one
# write lock that 200 updates at once queue behind (docs/performance.md).
@functools.cache
def _points() -> Select:
    return (select(Measurement.value, Measurement.measured_at, Measurement.decimals)
            .where(Measurement.metric_id == bindparam("metric_id"),
                   Measurement.undone_at.is_(None))
            .order_by(Measurement.measured_at, Measurement.id))


def points(db_session: Session, metric_id: int) -> list[Point]:
    """The metric's measurements in force (none taken back), oldest first."""
    rows = run_core(db_session, _points(), {"metric_id": metric_id})
    return [Point(value=value, measured_at=at, decimals=decimals)
            for value, at, decimals in rows]


def _health(db_session: Session, metric: Metric, series: list[Point], now: datetime) -> Health:
    """The metric's health on `series`, made yellow by a red counter-metric."""
    counters = _counters_of(db_session, {metric.id}).get(metric.id, [])
    series_of = _latest(db_session, {c for c, _ in counters}, now) if counters else {}
    return _judged(metric, series, now, _counter_healths(counters, series_of, now))


def _counter_healths(counters: Sequence[tuple[int, MetricSpec]],
                     series: dict[int, list[Point]], now: datetime) -> list[tuple[Health, str]]:
    """Each counter-metric's own health and name, from its series (its latest at or before
    now is what health reads)."""
    return [(metric_health(spec, series[counter_id], now), spec.name)
            for counter_id, spec in counters]


def _judged(metric: Metric, series: list[Point], now: datetime,
            counters: list[tuple[Health, str]], spec: MetricSpec | None = None) -> Health:
    health = metric_health(spec or spec_of(metric), series, now)
    for counter_health, counter_name in counters:
        health = with_counter_metric(health, counter_health, counter_name)
    return health


@functools.cache
def _spec_rows() -> Select:
    return (select(Metric.id, Metric.key, Metric.name, Metric.direction, Metric.baseline,
                   Metric.target, Metric.unit, Metric.starts_on, Objective.starts_on,
                   Metric.due_on, Metric.frequency, MetricThresholds)
            .outerjoin(Objective, Objective.id == Metric.objective_id)
            .outerjoin(MetricThresholds, MetricThresholds.metric_id == Metric.id)
            .where(Metric.id.in_(bindparam("ids", expanding=True)))
            .order_by(Metric.position, Metric.id))


def _specs(db_session: Session, ids: list[int]) -> list[tuple[int, MetricSpec]]:
    """spec_of for these metrics, from one statement."""
    return [(metric_id, MetricSpec(key=key, name=name, direction=direction, baseline=baseline,
                                   target=target, unit=unit, start=starts or objective_starts,
                                   due=due, frequency=frequency, bands=bands_of(thresholds)))
            for (metric_id, key, name, direction, baseline, target, unit, starts,
                 objective_starts, due, frequency, thresholds)
            in db_session.execute(_spec_rows(), {"ids": ids})]


def note_changed(db_session: Session, metric: Metric) -> None:
    """Tell cached chains that this metric moved: one new line in the change log (no shared
    row to wait on), and the session remembers the workspace so that a server brings its
    chain up to date once the write commits (ChainCache.refresh_after_commit)."""
    notes_changed(db_session, [metric])


def notes_changed(db_session: Session, metrics: Sequence[Metric]) -> None:
    """note_changed for each, in one statement."""
    run_core(db_session, insert(MetricChange.__table__),
             [{"workspace_id": m.workspace_id, "metric_id": m.id} for m in metrics])
    db_session.info.setdefault(BUMPED, set()).update(m.workspace_id for m in metrics)


@dataclass(frozen=True)
class NewValue:
    """One measurement to record. `decimals`: as many as were typed (ParsedValue.decimals), to
    show it back that way; `countered`: whether the metric has counter-metrics, if the caller
    read it already (None: look)."""

    metric: Metric
    value: float
    at: datetime
    source: Source
    author: str | None = None
    note: str | None = None
    decimals: int | None = None
    countered: bool | None = None


def record_measurement(*, db_session: Session, metric: Metric, value: float, at: datetime,
                       source: Source, now: datetime, author: str | None = None,
                       note: str | None = None, decimals: int | None = None,
                       countered: bool | None = None) -> Recorded:
    """Store one measurement and say what it changed (record_measurements for one)."""
    return record_measurements(db_session=db_session, now=now, values=[NewValue(
        metric=metric, value=value, at=at, source=source, author=author, note=note,
        decimals=decimals, countered=countered)])[0]


@functools.cache
def _series_of(dialect: str) -> Select:
    return (select(Measurement.metric_id, Measurement.value, Measurement.measured_at,
                   Measurement.decimals)
            .where(one_of(Measurement.metric_id, "metric_ids", dialect),
                   Measurement.undone_at.is_(None))
            .order_by(Measurement.metric_id, Measurement.measured_at, Measurement.id))


def _series(db_session: Session, metric_ids: set[int]) -> dict[int, list[Point]]:
    """points() of several metrics, from one statement."""
    statement = _series_of(db_session.get_bind().dialect.name)
    return _by_metric(metric_ids, run_core(db_session, statement,
                                           {"metric_ids": sorted(metric_ids)}).all())


@functools.cache
def _latest_of(dialect: str) -> CompoundSelect:
    """Each metric's latest measurement at or before `now`, and any after it."""
    in_force = (Measurement.undone_at.is_(None),
                one_of(Measurement.metric_id, "metric_ids", dialect))
    columns = (Measurement.metric_id, Measurement.value, Measurement.measured_at,
               Measurement.decimals, Measurement.id)
    ranked = (select(*columns, func.row_number().over(
        partition_by=Measurement.metric_id,
        order_by=(Measurement.measured_at.desc(), Measurement.id.desc())).label("newest"))
        .where(*in_force, Measurement.measured_at <= bindparam("now")).subquery())
    latest = select(*(ranked.c[c.key] for c in columns)).where(ranked.c.newest == 1)
    later = select(*columns).where(*in_force, Measurement.measured_at > bindparam("now"))
    return union_all(latest, later).order_by("metric_id", "measured_at", "id")


def _latest(db_session: Session, metric_ids: set[int],
            now: datetime) -> dict[int, list[Point]]:
    """What judging a value measured `now` reads of a metric without triggers: its latest
    measurement (the old value, and what its health was), and any dated after now, in order."""
    statement = _latest_of(db_session.get_bind().dialect.name)
    rows = run_core(db_session, statement, {"metric_ids": sorted(metric_ids), "now": now})
    return _by_metric(metric_ids, [row[:4] for row in rows])


def _by_metric(metric_ids: set[int], rows: Sequence[Any]) -> dict[int, list[Point]]:
    found: dict[int, list[Point]] = {metric_id: [] for metric_id in metric_ids}
    for metric_id, value, at, decimals in rows:
        found[metric_id].append(Point(value=value, measured_at=at, decimals=decimals))
    return found


def record_measurements(*, db_session: Session, values: Sequence[NewValue],
                        now: datetime) -> list[Recorded]:
    """Store the measurements, in order, and say what each changed: as if recorded one after
    the other (a second value of a metric sees the first as its old value, a value of a
    counter-metric changes the health of the values after it that it counters), from one read
    of their series and their counter-metrics' and one insert of them all. The caller owns the
    transaction.

    A value measured now, of a metric without triggers, is judged by the latest measurement
    alone (health reads the latest at or before now): only that is read, not the history a
    trigger or a backfilled value needs (all of it, `_series`). A counter-metric's health is
    read the same way, from its latest measurement."""
    counters = _counters_of(db_session, {v.metric.id for v in values
                                         if v.countered is not False})
    whole = {v.metric.id for v in values if v.at < now or v.metric.triggers}
    series = _series(db_session, whole) if whole else {}
    wanted = {v.metric.id for v in values} | {c for cs in counters.values() for c, _ in cs}
    if latest := wanted - whole:
        series.update(_latest(db_session, latest, now))
    results = [_recorded(new, series, counters.get(new.metric.id, ()), now) for new in values]
    _insert(db_session, values)
    return results


def _counters_of(db_session: Session, metric_ids: set[int]
                 ) -> dict[int, list[tuple[int, MetricSpec]]]:
    """Each metric's counter-metrics (either side of the pair), with their specs, in the order
    of the plan: two statements for them all, none when no metric has one."""
    if not metric_ids:
        return {}
    statement = _counter_pairs(db_session.get_bind().dialect.name)
    pairs = run_core(db_session, statement, {"metric_ids": sorted(metric_ids)}).all()
    if not pairs:  # most metrics have no counter-metric: one indexed lookup and done
        return {}
    linked: dict[int, set[int]] = {}
    for metric_id, counter_id in pairs:
        linked.setdefault(metric_id, set()).add(counter_id)
        linked.setdefault(counter_id, set()).add(metric_id)
    specs = _specs(db_session, sorted({c for m in metric_ids for c in linked.get(m, ())}))
    return {m: [(c, spec) for c, spec in specs if c in linked[m]]
            for m in metric_ids if m in linked}


@functools.cache
def _counter_pairs(dialect: str) -> Select:
    return (select(CounterMetric.metric_id, CounterMetric.counter_metric_id)
            .where(or_(one_of(CounterMetric.metric_id, "metric_ids", dialect),
                       one_of(CounterMetric.counter_metric_id, "metric_ids", dialect))))


def _insert(db_session: Session, values: Sequence[NewValue]) -> None:
    """The measurements, and a line each in the change log (note_changed)."""
    if not values:
        return
    # Core inserts: the rows are only written, never read back as objects, and the ORM's
    # flush of new objects cost more than the statements.
    run_core(db_session, insert(Measurement.__table__),
             [{"metric_id": v.metric.id, "value": v.value, "measured_at": v.at,
               "source": v.source, "author": v.author, "note": v.note, "decimals": v.decimals}
              for v in values])
    notes_changed(db_session, [v.metric for v in values])


def _recorded(new: NewValue, series: dict[int, list[Point]],
              counter_specs: Sequence[tuple[int, MetricSpec]], now: datetime) -> Recorded:
    """What `new` changes, its metric's series (`series`, which holds its counter-metrics'
    too) updated to hold it."""
    metric, value, at, decimals = new.metric, new.value, new.at, new.decimals
    earlier = series[metric.id]
    before = [p for p in earlier if p.measured_at <= at]
    old = before[-1] if before else None
    # The series with the new value in its place (points() orders by time, then by id, and
    # the new row's id is the highest), without reading it all back: writes hold SQLite's
    # one write lock, and every statement inside it holds up the next person's update.
    updated = [*before, Point(value=value, measured_at=at, decimals=decimals),
               *earlier[len(before):]]
    series[metric.id] = updated
    spec = spec_of(metric)
    counters = _counter_healths(counter_specs, series, now)
    health = _judged(metric, updated, now, counters, spec)
    # What people saw before this value, to say "turned yellow" (None: never measured).
    old_status = _judged(metric, earlier, now, counters, spec).status if earlier else None
    rules = [TriggerRule(kind=t.kind, action=t.action, value=t.value, periods=t.periods,
                         period=t.period) for t in metric.triggers]
    fired = fired_by(rules, updated, metric.frequency, Point(value, at), spec=spec)
    return Recorded(metric=_ref(metric), old_value=old.value if old else None,
                    new_value=value, health=health, fired=fired,
                    old_decimals=old.decimals if old else None, new_decimals=decimals,
                    old_status=old_status)


def undo_last_measurement(*, db_session: Session, metric: Metric, actor: str,
                          now: datetime) -> Undone:
    """Take back `actor`'s own latest measurement of `metric`, if recorded within UNDO_WINDOW
    and not taken back already: it is marked (undone_at, undone_by), never deleted, and every
    reader skips it from then on. Another undo takes back the one before, within the window.
    The caller owns the transaction (and checks that `actor` may update the metric)."""
    latest = db_session.scalar(
        select(Measurement)
        .where(Measurement.metric_id == metric.id, Measurement.author == actor,
               Measurement.undone_at.is_(None))
        .order_by(Measurement.created_at.desc(), Measurement.id.desc())
        .limit(1).with_for_update())  # two undos at once take back one measurement, not two
    if latest is None:
        raise NotFound(f"You have no measurement of {metric.name} to take back: none you "
                       "recorded stands.", kind="measurement", typed=metric.key)
    shown = format_value(latest.value, metric.unit, latest.decimals)
    if latest.created_at < now - UNDO_WINDOW:
        raise InvalidInput(
            f"Nothing of yours in the last 24 hours to take back on {metric.name}: your last "
            f"measurement ({shown}) was recorded {latest.created_at:%Y-%m-%d %H:%M} UTC. "
            "Record the right value instead.",
            field="value", expected="a measurement of yours from the last 24 hours")
    latest.undone_at, latest.undone_by = now, actor
    note_changed(db_session, metric)
    db_session.flush()
    series = points(db_session, metric.id)
    in_force = [p for p in series if p.measured_at <= now]
    current = in_force[-1] if in_force else None
    return Undone(metric=_ref(metric), value=latest.value, decimals=latest.decimals,
                  measured_at=latest.measured_at, recorded_at=latest.created_at,
                  now_value=current.value if current else None,
                  now_decimals=current.decimals if current else None,
                  health=_health(db_session, metric, series, now))


def _ref(metric: Metric) -> MetricRef:
    return MetricRef(metric.key, metric.name, metric.unit, metric.owner)


def could_be_named(key: ColumnElement[str], name: ColumnElement[str],
                   typed: str) -> ColumnElement[bool]:
    """Rows whose key, name or a word of the name starts with what was typed (LIKE's
    wildcards taken literally): the bounded pre-filter before `targets.resolve` picks."""
    pattern = like_escaped(typed.strip().lower())
    return or_(key.ilike(f"{pattern}%", escape=LIKE_ESCAPE),
               name.ilike(f"{pattern}%", escape=LIKE_ESCAPE),
               name.ilike(f"% {pattern}%", escape=LIKE_ESCAPE))

