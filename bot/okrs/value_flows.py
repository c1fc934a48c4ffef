"""Recording values, the flow every surface shares: `/okr update`, a check-in's numbers, the
API and the CLI record a measurement here, and take one back.

`update_metrics` records several people's values at once, each checked on its own (one
person's typo or refusal is theirs alone) and read and written together: one statement finds
the named metrics, one reads their series, one inserts the values. The Slack edge groups the
updates that arrive together this way (bot/slack/grouped_updates.py); `update_metric` is the
same flow for one value. The caller owns the transaction.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Select, bindparam, exists, or_, select
from sqlalchemy.orm import Session, joinedload

from bot.access.policy import Action, Actor, Item
from bot.access.roles import require
from bot.alerts.service import tell_triggers
from bot.audit import service as audit
from bot.db import one_of
from bot.errors import Ambiguous, DomainError, InvalidInput, NotFound
from bot.okrs.flows import CANDIDATES, choices_of
from bot.okrs.method.enums import MetricKind, Source
from bot.okrs.method.names import Candidate, resolve
from bot.okrs.method.plausibility import check_value
from bot.okrs.method.recording import Recorded, Undone
from bot.okrs.method.typed_values import ParsedValue, parse_value
from bot.okrs.store.measurements import (
    NewValue,
    could_be_named,
    record_measurements,
    undo_last_measurement,
)
from bot.okrs.store.models import CounterMetric, Metric, Objective
from bot.people.models import Workspace

# Every measured number can be updated: key results and KPIs every week, a goal's metric and
# the North Star as often as they are read.
UPDATABLE = tuple(MetricKind)
WEEKLY = (MetricKind.KEY_RESULT, MetricKind.KPI)


@dataclass(frozen=True)
class ValueUpdate:
    """One person's new value: the words that name the metric and the value as typed."""

    actor: Actor
    typed: str
    value_text: str
    note: str | None = None
    at: datetime | None = None  # when it was measured; None: now
    source: Source = Source.SLACK


def updatable(db_session: Session, workspace_id: int, typed: str) -> list[Candidate]:
    """Metrics whose key or name could be what was typed (a bounded query)."""
    rows = db_session.scalars(select(Metric).where(
        Metric.workspace_id == workspace_id, Metric.kind.in_(UPDATABLE),
        could_be_named(Metric.key, Metric.name, typed)).limit(CANDIDATES))
    return [Candidate(key=m.key, name=m.name, item=m) for m in rows]


@functools.cache
def _metrics_by_key(dialect: str) -> Select:
    """Built once per backend, like flows._planned_workspace. Every kind is updatable
    (UPDATABLE), so the key alone picks the row."""
    countered = or_(exists().where(CounterMetric.metric_id == Metric.id),
                    exists().where(CounterMetric.counter_metric_id == Metric.id))
    return (select(Metric, countered).where(Metric.workspace_id == bindparam("workspace_id"),
                                            one_of(Metric.key, "keys", dialect))
            .options(joinedload(Metric.thresholds),
                     # Only its start date is read (spec_of); a whole Objective cost the ORM
                     # more than the lookup (anything else is loaded on first use).
                     joinedload(Metric.objective).load_only(Objective.starts_on),
                     joinedload(Metric.triggers)))


def _keyed(db_session: Session, workspace_id: int,
           typed: Sequence[str]) -> dict[str, tuple[Metric, bool]]:
    """The metrics whose key is one of the typed words, with whether each has counter-metrics,
    by key: one indexed statement however many were typed."""
    keys = sorted({words.strip().casefold() for words in typed})
    statement = _metrics_by_key(db_session.get_bind().dialect.name)
    rows = db_session.execute(statement, {"workspace_id": workspace_id, "keys": keys}).unique()
    return {metric.key: (metric, bool(countered)) for metric, countered in rows}


def find_metric(db_session: Session, workspace_id: int, typed: str) -> Metric:
    return _find_metric(db_session, workspace_id, typed)[0]


def _find_metric(db_session: Session, workspace_id: int, typed: str,
                 keyed: dict[str, tuple[Metric, bool]] | None = None
                 ) -> tuple[Metric, bool | None]:
    """The metric, and whether it has counter-metrics (None: not looked at)."""
    # A key, as people copy it from a status or a DM, is found by its index; a key wins over
    # every other reading of the words (resolve's first rule), so this is the same answer.
    # Only other words need the prefix search, which reads every metric's name.
    # What judging the new value reads (bands, the objective's dates, triggers) comes with it,
    # and whether it has counter-metrics (most have none: then no statement asks for them).
    if keyed is None:
        keyed = _keyed(db_session, workspace_id, [typed])
    exact = keyed.get(typed.strip().casefold())
    if exact is not None:
        return exact
    match = resolve(typed, updatable(db_session, workspace_id, typed))
    if match.ambiguous:
        weekly = all(c.item.kind in WEEKLY for c in match.choices)
        what = "key results and KPIs" if weekly else "metrics"
        raise Ambiguous(f"“{typed}” fits {len(match.choices)} {what}. Which one?", typed=typed,
                        choices=choices_of(match.choices, labelled=not weekly), kind="metric")
    if match.found is None:
        raise NotFound(f"No key result or KPI matches “{typed}”, nor a goal's metric or the "
                       "North Star. Use its key or the start of its name.", kind="metric",
                       typed=typed)
    return match.found, None


def metric_item(metric: Metric) -> Item:
    return Item(metric.name, (metric.owner,) if metric.owner else ())


def _checked(db_session: Session, workspace: Workspace, update: ValueUpdate, now: datetime,
             keyed: dict[str, tuple[Metric, bool]]) -> tuple[Metric, bool | None, ParsedValue]:
    """The metric the words name, whether it has counter-metrics, and the value: if the actor
    may record it and the value fits the metric's unit; the DomainError saying why not."""
    at = update.at
    if at is not None and at > now:
        raise InvalidInput(f"{at.isoformat()} is in the future; a measurement is of the past",
                           field="at", expected="a time up to now")
    metric, countered = _find_metric(db_session, workspace.id, update.typed, keyed)
    require(db_session, workspace.id, Action.UPDATE_VALUE, update.actor, metric_item(metric))
    try:
        parsed = parse_value(update.value_text)
        check_value(parsed, unit=metric.unit, name=metric.name, declared=metric.value_range)
    except InvalidInput as error:  # its own words say what is expected; add what happened
        raise InvalidInput(f"{error.message.rstrip('.')}. Nothing was recorded.",
                           field=error.field, expected=error.expected) from None
    return metric, countered, parsed


def update_metrics(db_session: Session, workspace: Workspace, updates: Sequence[ValueUpdate],
                   *, now: datetime) -> list[Recorded | DomainError]:
    """Record each new value, in order, if its actor may and it fits its metric: for each,
    what it changed, or the DomainError that says why nothing of it was recorded. A value
    read as typed (`12%`, `1.2k`, `$3.5M`) is checked against the metric's unit. Two values
    of one metric are recorded one after the other, as if sent apart."""
    keyed = _keyed(db_session, workspace.id, [u.typed for u in updates])
    outcomes: list[Recorded | DomainError | None] = []  # None: accepted, not recorded yet
    accepted: list[tuple[int, ValueUpdate, Metric]] = []
    values: list[NewValue] = []
    for update in updates:
        try:
            metric, countered, parsed = _checked(db_session, workspace, update, now, keyed)
        except DomainError as error:
            outcomes.append(error)
            continue
        accepted.append((len(outcomes), update, metric))
        outcomes.append(None)
        values.append(NewValue(metric=metric, value=parsed.value, at=update.at or now,
                               source=update.source, author=update.actor.slack_user_id,
                               note=update.note or None, decimals=parsed.decimals,
                               countered=countered))
    if values:
        _record(db_session, workspace, accepted, values, outcomes, now)
    return cast(list[Recorded | DomainError], outcomes)


def _record(db_session: Session, workspace: Workspace,
            accepted: list[tuple[int, ValueUpdate, Metric]], values: list[NewValue],
            outcomes: list[Recorded | DomainError | None], now: datetime) -> None:
    recorded = record_measurements(db_session=db_session, values=values, now=now)
    events = []
    for (place, update, metric), result in zip(accepted, recorded, strict=True):
        tell_triggers(db_session, workspace, metric, result, now)  # the owner, by DM, once
        events.append(audit.Event(
            actor=update.actor.name, action=audit.VALUE_RECORDED, kind=metric.kind.value,
            key=metric.key, before={"value": result.old_value},
            after={"value": result.new_value, "measured_at": update.at or now,
                   "source": update.source.value, "note": update.note or None}))
        outcomes[place] = result
    audit.record_all(db_session, workspace.id, events, at=now)


def update_all(db_session: Session, workspace: Workspace, updates: Sequence[ValueUpdate], *,
               now: datetime) -> list[Recorded]:
    """update_metrics for one person's values, recorded all or none: the first DomainError is
    raised (the caller rolls back)."""
    recorded = []
    for outcome in update_metrics(db_session, workspace, updates, now=now):
        if isinstance(outcome, DomainError):
            raise outcome
        recorded.append(outcome)
    return recorded


def update_metric(db_session: Session, workspace: Workspace, actor: Actor, *, typed: str,
                  value_text: str, now: datetime, note: str | None = None,
                  at: datetime | None = None, source: Source = Source.SLACK) -> Recorded:
    """update_metrics for one value: what it changed, or the DomainError raised."""
    return update_all(db_session, workspace, [ValueUpdate(
        actor=actor, typed=typed, value_text=value_text, note=note, at=at, source=source)],
        now=now)[0]


def undo_update(db_session: Session, workspace: Workspace, actor: Actor, *, typed: str,
                now: datetime) -> Undone:
    """Take back the actor's own latest value of the metric the words name, recorded within
    the last day: kept in the history, marked undone, no longer counted."""
    metric = find_metric(db_session, workspace.id, typed)
    if actor.slack_user_id is None:
        raise InvalidInput("An undo takes back a person's own value; an operator records the "
                           "right value instead.", field="value", expected="a value")
    require(db_session, workspace.id, Action.UNDO_VALUE, actor, metric_item(metric))
    undone = undo_last_measurement(db_session=db_session, metric=metric,
                                   actor=actor.slack_user_id, now=now)
    audit.record(db_session, workspace.id, actor=actor.name, action=audit.VALUE_UNDONE,
                 kind=metric.kind.value, key=metric.key,
                 before={"value": undone.value, "measured_at": undone.measured_at},
                 after={"value": undone.now_value}, at=now)
    return undone
