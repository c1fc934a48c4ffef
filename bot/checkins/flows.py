"""Blocker and confidence flows, the same for `/okr blocker`, the check-in modal and the CLI.

Parse at the surface, call a flow, render what it returns. Permission checks live here; errors a
person can act on are `bot.errors`. The caller owns the transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.access.policy import Action, Item
from bot.access.roles import require
from bot.audit import service as audit
from bot.checkins import service
from bot.checkins.blocker_rules import GENERAL, BlockerEntry, Resolution
from bot.checkins.confidence import Confidence
from bot.errors import Ambiguous, Choice, NotFound
from bot.okrs.flows import Actor
from bot.okrs.method.chain import NodeKind
from bot.okrs.method.enums import Source
from bot.okrs.method.names import resolve
from bot.okrs.value_flows import find_metric, metric_item
from bot.people import service as people_service
from bot.people.models import Workspace

# Which column of `blockers` holds the item, by the kind of item.
COLUMN = {NodeKind.OBJECTIVE: "objective_id", NodeKind.KEY_RESULT: "metric_id",
          NodeKind.KPI: "metric_id", NodeKind.ACTIVITY: "activity_id"}
SCOPES = ("all", "mine", "team")


def list_blockers(db_session: Session, workspace: Workspace, actor: Actor,
                  scope: str = "all") -> list[BlockerEntry]:
    """Open blockers, in the order they are listed: everyone's, `mine` (raised by the actor or
    on something they own) or `team` (the actor and their whole reporting line)."""
    people = None
    if scope == "mine":
        people = {actor.slack_user_id or ""}
    elif scope == "team":
        people = people_service.team_of(db_session=db_session, workspace_id=workspace.id,
                                        slack_user_id=actor.slack_user_id or "")
    return service.open_blockers(db_session=db_session, workspace_id=workspace.id,
                                 people=people)


def raise_blocker(db_session: Session, workspace: Workspace, actor: Actor, *, typed: str,
                  text: str, now: datetime, source: Source = Source.SLACK) -> BlockerEntry:
    """A blocker on the objective, key result, KPI or activity the words name (`-`: on nothing
    in particular), under the workspace's next number. Anyone in the workspace may raise one."""
    require(db_session, workspace.id, Action.RAISE_BLOCKER, actor, Item("a blocker"))
    on: dict[str, int] = {}
    if typed != GENERAL:
        match = resolve(typed, service.blockable(db_session=db_session,
                                                 workspace_id=workspace.id, typed=typed))
        if match.ambiguous:
            raise Ambiguous(f"“{typed}” fits {len(match.choices)} objectives, key results, "
                            "KPIs and activities. Which one?", typed=typed, kind="blockable",
                            choices=[Choice(c.key, c.name, c.item, c.item.label)
                                     for c in match.choices])
        if match.found is None:
            raise NotFound(f"No objective, key result, KPI or activity matches “{typed}”. Use "
                           "its key, the start of its name, or its name in quotes (or - for a "
                           "blocker on nothing in particular). Nothing was raised.",
                           kind="blockable", typed=typed)
        on = {COLUMN[match.found.kind]: match.found.row_id}
    entry = service.raise_blocker(db_session=db_session, workspace_id=workspace.id,
                                  author=actor.slack_user_id or "okr-bot", text=text,
                                  source=source, now=now, **on)
    audit.record(db_session, workspace.id, actor=actor.name, action=audit.BLOCKER_RAISED,
                 kind="blocker", key=entry.label, after={
                     "on": entry.item.key if entry.item else None, "text": entry.text}, at=now)
    return entry


def resolve_blocker(db_session: Session, workspace: Workspace, actor: Actor, *, number: int,
                    now: datetime, note: str | None = None) -> Resolution:
    """Close blocker `number`: its author, the blocked item's owner, either one's manager or a
    workspace admin may (service.NotAllowed names who, otherwise)."""
    resolution = service.resolve_blocker(
        db_session=db_session, workspace_id=workspace.id, number=number, now=now, note=note,
        actor=actor.slack_user_id or "", operator=actor.is_operator)
    if resolution.changed:
        audit.record(db_session, workspace.id, actor=actor.name, action=audit.BLOCKER_RESOLVED,
                     kind="blocker", key=resolution.blocker.label, before={"open": True},
                     after={"open": False, "note": resolution.blocker.resolution}, at=now)
    return resolution


def record_confidence(db_session: Session, workspace: Workspace, actor: Actor, *, typed: str,
                      confidence: int, now: datetime, source: Source = Source.SLACK,
                      note: str | None = None) -> Confidence:
    """The actor's confidence (1–10) that the key result or KPI the words name will reach its
    target: its owner, their manager or an admin reports it."""
    metric = find_metric(db_session, workspace.id, typed)
    require(db_session, workspace.id, Action.RECORD_CONFIDENCE, actor, metric_item(metric))
    recorded = service.record_confidence(db_session=db_session, metric=metric,
                                         confidence=confidence,
                                         reported_by=actor.slack_user_id or "okr-bot", at=now,
                                         source=source, note=note)
    audit.record(db_session, workspace.id, actor=actor.name, action=audit.CONFIDENCE_RECORDED,
                 kind=metric.kind.value, key=metric.key, after={"confidence": confidence},
                 at=now)
    return recorded
