"""Many measurements in one transaction: the batch form of `/okr update` (okrs.flows
.update_metric), for the API and the CSV import.

Every item is checked first (its metric by key, its instant, its value against the metric's
unit and range, the actor's right to update it) and nothing is written unless all pass. Then,
per metric, the older values are inserted in one statement each for measurements and audit
rows, and the newest goes through update_metric itself: the health, the triggers and alerts it
calls for, the chain cache's change log and the audit row come out exactly as for one update.
A backfill therefore alerts on where the metric stands now, not on each past crossing.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from bot.access.policy import Action, Actor
from bot.access.roles import require
from bot.audit import service as audit
from bot.audit.models import AuditEvent
from bot.errors import InvalidFields, InvalidInput
from bot.okrs import value_flows
from bot.okrs.method.enums import Source
from bot.okrs.method.plausibility import check_value
from bot.okrs.method.recording import Recorded
from bot.okrs.method.typed_values import ParsedValue, parse_value
from bot.okrs.store.measurements import points
from bot.okrs.store.models import Measurement, Metric
from bot.people.models import Workspace

MAX_NOTE = 2000
# Keys asked for in one statement: well under SQLite's limit on bound parameters.
KEYS_PER_QUERY = 500


@dataclass(frozen=True)
class Incoming:
    """One measurement as received. `path` is how an error names it: `measurements[3]` in a
    JSON batch, `row 4` in a CSV file, empty for a single object."""

    metric: str
    value: str
    at: datetime | None = None
    note: str | None = None
    path: str = ""

    def field(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name


@dataclass(frozen=True)
class MetricUpdate:
    """What a batch did to one metric: how many values, and the newest one's outcome."""

    key: str
    count: int
    at: datetime
    recorded: Recorded


@dataclass(frozen=True)
class BatchRecorded:
    count: int
    metrics: list[MetricUpdate]


@dataclass(frozen=True)
class _Checked:
    incoming: Incoming
    metric: Metric
    parsed: ParsedValue
    at: datetime


def _metrics(db_session: Session, workspace: Workspace, keys: set[str]) -> dict[str, Metric]:
    ordered = sorted(keys)
    found: dict[str, Metric] = {}
    for start in range(0, len(ordered), KEYS_PER_QUERY):
        chunk = ordered[start:start + KEYS_PER_QUERY]
        found.update((m.key, m) for m in db_session.scalars(select(Metric).where(
            Metric.workspace_id == workspace.id, Metric.key.in_(chunk))))
    return found


def check(db_session: Session, workspace: Workspace, actor: Actor,
          items: Sequence[Incoming], *, now: datetime,
          found: Mapping[str, str] | None = None) -> list[_Checked]:
    """Every item read and judged; InvalidFields naming each wrong field, with those `found`
    wrong before (the JSON schema's), in the items' order, when any is wrong; NotAllowed when
    the actor may not update one of the metrics."""
    metrics = _metrics(db_session, workspace, {i.metric.strip().casefold() for i in items})
    errors: dict[str, str] = dict(found or {})
    checked: list[_Checked] = []
    allowed: set[int] = set()
    for item in items:
        key = item.metric.strip().casefold()
        metric = metrics.get(key)
        if metric is None:
            errors[item.field("metric")] = (f"no metric has the key “{item.metric}” in this "
                                            "workspace; expected the key of a key result, KPI, "
                                            "goal or the North Star")
            continue
        if item.at is not None and item.at > now:
            errors[item.field("at")] = (f"{item.at.isoformat()} is in the future; expected a "
                                        "time up to now")
            continue
        if item.note is not None and len(item.note) > MAX_NOTE:
            errors[item.field("note")] = f"expected a note of at most {MAX_NOTE} characters"
            continue
        try:
            parsed = parse_value(item.value)
            check_value(parsed, unit=metric.unit, name=metric.name,
                        declared=metric.value_range)
        except InvalidInput as error:
            errors[item.field("value")] = error.message
            continue
        if metric.id not in allowed:
            require(db_session, workspace.id, Action.UPDATE_VALUE, actor,
                    value_flows.metric_item(metric))
            allowed.add(metric.id)
        checked.append(_Checked(item, metric, parsed, item.at or now))
    if errors:
        raise InvalidFields(dict(sorted(errors.items(), key=lambda e: _in_order(e[0]))))
    return checked


def _in_order(path: str) -> list[Any]:
    """`measurements[10].value` after `measurements[9].at`; `row 12` after `row 9`."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path)]


def record_batch(db_session: Session, workspace: Workspace, actor: Actor,
                 items: Sequence[Incoming], *, now: datetime, source: Source = Source.API,
                 found: Mapping[str, str] | None = None) -> BatchRecorded:
    """Check every item, then record them all; the caller's transaction holds all or none.
    `found`: problems the caller's own reading found (the whole batch is refused with them)."""
    checked = check(db_session, workspace, actor, items, now=now, found=found)
    by_metric: dict[int, list[_Checked]] = {}
    for entry in checked:
        by_metric.setdefault(entry.metric.id, []).append(entry)
    updates = []
    for entries in by_metric.values():
        # Oldest first; of two at one instant, the later in the request counts as newer.
        entries.sort(key=lambda e: e.at)
        *older, newest = entries
        if older:
            _insert_older(db_session, workspace, actor, older, now=now, source=source)
        metric = newest.metric
        recorded = value_flows.update_metric(
            db_session, workspace, actor, typed=metric.key, value_text=newest.incoming.value,
            now=now, note=newest.incoming.note, at=newest.incoming.at, source=source)
        updates.append(MetricUpdate(metric.key, len(entries), newest.at, recorded))
    return BatchRecorded(len(checked), updates)


def _insert_older(db_session: Session, workspace: Workspace, actor: Actor,
                  entries: list[_Checked], *, now: datetime, source: Source) -> None:
    """All but a metric's newest value of the batch: one insert each for the measurements and
    their audit rows (before: the value in force just before each)."""
    metric = entries[0].metric
    earlier = points(db_session, metric.id)
    times = [p.measured_at for p in earlier]
    rows: list[dict] = []
    events: list[dict] = []
    for entry in entries:
        # In force just before: the latest stored value at or before it, or the batch's own
        # previous value when that is as late (entries come oldest first).
        stored = earlier[bisect_right(times, entry.at) - 1] if times and times[0] <= entry.at \
            else None
        previous = stored.value if stored else None
        if rows and (stored is None or rows[-1]["measured_at"] >= stored.measured_at):
            previous = rows[-1]["value"]
        note = entry.incoming.note or None
        rows.append({"metric_id": metric.id, "value": entry.parsed.value,
                     "measured_at": entry.at, "source": source, "author": actor.slack_user_id,
                     "note": note, "decimals": entry.parsed.decimals})
        events.append({"workspace_id": workspace.id, "at": now, "actor": actor.name[:80],
                       "action": audit.VALUE_RECORDED, "subject_kind": metric.kind.value,
                       "subject_key": metric.key, "before": {"value": previous},
                       "after": {"value": entry.parsed.value,
                                 "measured_at": entry.at.isoformat(), "source": source.value,
                                 "note": _cut(note)}})
    db_session.execute(insert(Measurement.__table__), rows)
    db_session.execute(insert(AuditEvent.__table__), events)


def _cut(note: str | None) -> str | None:
    """A note as the audit log keeps it (bot/audit/service.py cuts long text the same way)."""
    if note is None or len(note) <= audit.MAX_TEXT:
        return note
    return note[:audit.MAX_TEXT - 1] + "…"
