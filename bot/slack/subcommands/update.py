"""`/okr update <key result or KPI> <value> [note]`: record a measurement from Slack."""

from __future__ import annotations

from sqlalchemy import select

from bot import clock
from bot.okrs.method.enums import MetricKind, Source
from bot.okrs.method.names import Candidate, resolve
from bot.okrs.method.typed_values import parse_value, split_update_args
from bot.okrs.store.measurements import could_be_named, record_measurement
from bot.okrs.store.models import Metric
from bot.people.permissions import may_act_for
from bot.slack.blocks import update as blocks
from bot.slack.router import CommandRequest
from bot.slack.subcommands.common import workspace_or_reply

UPDATABLE = (MetricKind.KEY_RESULT, MetricKind.KPI)


def candidates(request: CommandRequest, workspace_id: int, typed: str) -> list[Candidate]:
    """Key results and KPIs whose key or name could be what was typed (a bounded query)."""
    rows = request.db_session.scalars(select(Metric).where(
        Metric.workspace_id == workspace_id, Metric.kind.in_(UPDATABLE),
        could_be_named(Metric.key, Metric.name, typed)).limit(200))
    return [Candidate(key=m.key, name=m.name, item=m) for m in rows]


def okr_update(request: CommandRequest) -> dict:
    try:
        typed, value_text, note = split_update_args(request.args)
    except ValueError as error:
        return blocks.problem(str(error))
    workspace = workspace_or_reply(request)
    if isinstance(workspace, dict):
        return workspace
    match = resolve(typed, candidates(request, workspace.id, typed))
    if match.ambiguous:
        return blocks.choices(typed, match.choices)
    metric: Metric | None = match.found
    if metric is None:
        return blocks.problem(f"No key result or KPI matches “{typed}”. Use its key or the "
                              "start of its name, e.g. /okr update first-week-activation 14.5")
    if not may_act_for(db_session=request.db_session, workspace_id=workspace.id,
                       actor_slack_id=request.user_id, owner_slack_id=metric.owner):
        return blocks.refusal(metric_name=metric.name, owner=metric.owner)
    try:
        parsed = parse_value(value_text)
    except ValueError as error:
        return blocks.problem(f"{error}. Nothing was recorded.")
    if parsed.percent and metric.unit not in ("%", ""):
        return blocks.problem(f"{metric.name} is measured in {metric.unit}, not %: "
                              f"send the number alone. Nothing was recorded.")
    now = clock.now()
    result = record_measurement(db_session=request.db_session, metric=metric,
                                value=parsed.value, at=now, now=now, source=Source.SLACK,
                                author=request.user_id, note=note or None)
    return blocks.recorded(result, author=request.user_id, note=note)
