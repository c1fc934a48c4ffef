"""Alerts on the database: a row per crossing, claimed before its DM is queued in the same
transaction (the outbox sends it), so it is told once whatever runs twice; and what an
owner's buttons do to it. The rules for when are bot/alerts/rules.py."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.access.policy import Action, Actor, Item
from bot.access.roles import require
from bot.alerts.models import STATUS, TRIGGER, MetricAlert
from bot.alerts.rules import status_change
from bot.errors import NotFound
from bot.okrs.method.chain import Chain, ChainNode, NodeKind
from bot.okrs.method.enums import MetricKind
from bot.okrs.method.proposals import Proposal, proposals
from bot.okrs.method.recording import Recorded
from bot.okrs.method.triggers import TriggerRule
from bot.okrs.store.models import Metric
from bot.outbox.queue import enqueue
from bot.people.models import Workspace
from bot.slack.blocks.alert_dm import AlertNotice, alert_dm

SNOOZE = timedelta(days=7)
LABELS = {MetricKind.KEY_RESULT: "Key result", MetricKind.KPI: "KPI",
          MetricKind.GOAL: "Goal metric", MetricKind.NORTH_STAR: "North Star"}
WATCHED = (NodeKind.KEY_RESULT, NodeKind.KPI)  # what has an owner to tell, week to week


def _claimed(db_session: Session, alert: MetricAlert) -> bool:
    """Insert the alert unless the same crossing was claimed already (by an earlier check, a
    replay, another replica): True if this transaction claimed it."""
    try:
        with db_session.begin_nested():
            db_session.add(alert)
    except IntegrityError:
        return False
    return True


def _snoozed(db_session: Session, metric_ids: list[int], now: datetime) -> set[int]:
    if not metric_ids:
        return set()
    return set(db_session.scalars(select(MetricAlert.metric_id).where(
        MetricAlert.metric_id.in_(metric_ids), MetricAlert.snoozed_until > now)))


def _tell(db_session: Session, workspace: Workspace, alert: MetricAlert,
          notice: AlertNotice) -> None:
    message = alert_dm(notice)
    enqueue(db_session, team_id=workspace.slack_team_id, kind="alert",
            dedupe_key=f"alert:{alert.id}", text=message["text"], blocks=message["blocks"],
            user_id=notice.owner, now=alert.opened_at)


# -- a trigger met, when a value is recorded -----------------------------------------------
def tell_triggers(db_session: Session, workspace: Workspace, metric: Metric,
                  recorded: Recorded, now: datetime) -> int:
    """The triggers a new measurement met (Recorded.fired: once per crossing, re-armed after
    recovery, over the whole series), each claimed and told to the metric's owner. The
    caller's transaction is the measurement's."""
    if not recorded.fired or metric.owner is None:
        return 0
    rules = [TriggerRule(kind=t.kind, action=t.action, value=t.value, periods=t.periods,
                         period=t.period) for t in metric.triggers]
    muted = metric.id in _snoozed(db_session, [metric.id], now)
    told = 0
    for firing in recorded.fired:
        trigger = metric.triggers[rules.index(firing.rule)]
        alert = MetricAlert(
            workspace_id=workspace.id, metric_id=metric.id, kind=TRIGGER,
            level=recorded.health.status.value, trigger_id=trigger.id, value=firing.value,
            measured_at=firing.measured_at, reason=recorded.health.reason,
            action=firing.rule.action, owner=metric.owner, opened_at=now, muted=muted)
        if not _claimed(db_session, alert) or muted:
            continue
        _tell(db_session, workspace, alert, AlertNotice(
            alert_id=alert.id, owner=metric.owner, label=LABELS[metric.kind],
            name=metric.name, key=metric.key, level=alert.level, reason=alert.reason,
            trigger=firing.reason, action=firing.rule.action))
        told += 1
    return told


# -- a status crossed, as the chain stands now --------------------------------------------
@dataclass(frozen=True)
class Checked:
    told: int  # alerts opened and queued to their owners
    muted: int  # opened while the owner had snoozed the metric: recorded, not sent
    recovered: int  # metrics green again: their alerts closed and re-armed


def check_statuses(db_session: Session, workspace: Workspace, chain: Chain,
                   now: datetime) -> Checked:
    """Open an alert for each key result and KPI that turned yellow or red since it was last
    green, and close those of every one green again (bot/alerts/rules.py)."""
    ids = dict(db_session.execute(select(Metric.key, Metric.id).where(
        Metric.workspace_id == workspace.id,
        Metric.kind.in_((MetricKind.KEY_RESULT, MetricKind.KPI)))).all())
    open_levels: dict[int, set[str]] = defaultdict(set)
    for metric_id, level in db_session.execute(select(MetricAlert.metric_id, MetricAlert.level)
                                               .where(MetricAlert.workspace_id == workspace.id,
                                                      MetricAlert.kind == STATUS,
                                                      MetricAlert.recovered_at.is_(None))):
        open_levels[metric_id].add(level)
    called_for = {p.kpi.key: p for p in proposals(chain, now.date())}
    nodes = [n for kind in WATCHED for n in chain.of_kind(kind) if n.key in ids]
    snoozed = _snoozed(db_session, [ids[n.key] for n in nodes], now)
    told = muted = recovered = 0
    for node in nodes:
        metric_id = ids[node.key]
        change = status_change(node.health.status, node.health.stale, open_levels[metric_id])
        if change.recover:
            db_session.execute(update(MetricAlert).where(
                MetricAlert.metric_id == metric_id, MetricAlert.kind == STATUS,
                MetricAlert.recovered_at.is_(None)).values(recovered_at=now))
            recovered += 1
        if change.open is None or node.owner is None:
            continue
        alert = MetricAlert(workspace_id=workspace.id, metric_id=metric_id, kind=STATUS,
                            level=change.open, value=node.health.value,
                            reason=node.health.reason, owner=node.owner, opened_at=now,
                            muted=metric_id in snoozed)
        if not _claimed(db_session, alert):
            continue
        if alert.muted:
            muted += 1
            continue
        _tell(db_session, workspace, alert, _notice(alert, node, called_for.get(node.key)))
        told += 1
    return Checked(told, muted, recovered)


def _notice(alert: MetricAlert, node: ChainNode, proposal: Proposal | None) -> AlertNotice:
    return AlertNotice(alert_id=alert.id, owner=node.owner or "", label=node.label,
                       name=node.name, key=node.key, level=alert.level, reason=alert.reason,
                       proposal=proposal.name if proposal else None)


# -- what the owner's buttons do -----------------------------------------------------------
def alert_for(db_session: Session, workspace: Workspace, actor: str,
              alert_id: int) -> tuple[MetricAlert, Metric]:
    """The alert a button names, if it is this workspace's and the actor may act on it: its
    owner, the owner's manager or a workspace admin (the button's value is never trusted)."""
    found = db_session.execute(
        select(MetricAlert, Metric).join(Metric, Metric.id == MetricAlert.metric_id)
        .where(MetricAlert.id == alert_id, MetricAlert.workspace_id == workspace.id)
        .with_for_update(of=MetricAlert)).one_or_none()
    if found is None:
        raise NotFound("That alert is no longer there: its metric may have left the plan.",
                       kind="alert", typed=str(alert_id))
    alert, metric = found
    require(db_session, workspace.id, Action.ACT_ON_ALERT, Actor(actor),
            Item(metric.name, (metric.owner,) if metric.owner else ()))
    return alert, metric


def acknowledge(db_session: Session, workspace: Workspace, actor: str, alert_id: int,
                now: datetime) -> tuple[MetricAlert, Metric, bool]:
    """Mark it seen; False when it was already."""
    alert, metric = alert_for(db_session, workspace, actor, alert_id)
    if alert.acknowledged_at is not None:
        return alert, metric, False
    alert.acknowledged_at, alert.acknowledged_by = now, actor
    return alert, metric, True


def snooze(db_session: Session, workspace: Workspace, actor: str, alert_id: int,
           now: datetime) -> tuple[MetricAlert, Metric]:
    """No alert DM about this metric for a week from now: what crosses meanwhile is recorded
    (and listed where alerts are listed), not sent."""
    alert, metric = alert_for(db_session, workspace, actor, alert_id)
    alert.snoozed_until = now + SNOOZE
    if alert.acknowledged_at is None:
        alert.acknowledged_at, alert.acknowledged_by = now, actor
    return alert, metric
