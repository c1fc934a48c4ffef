"""The OKR flows: where the method meets the database, the same for every surface.

A Slack command, a button, a modal, a scheduled job and the CLI each parse their input, call a
flow and render what it returns: plain dataclasses and the method's own types, never a reply.
A flow asks bot/access (one table of action × role) who may do what, and raises `bot.errors`
for anything a person can act on (nothing found, several found, not theirs, a bad value, no
plan). The caller owns the
transaction: a flow writes in the session it is given and never commits.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, exists, or_, select
from sqlalchemy.orm import Session

from bot.access.policy import Actor
from bot.checkins import service as checkin_service
from bot.errors import Ambiguous, Choice, InvalidInput, NoPlan, NotFound
from bot.okrs.method.chain import (
    Chain,
    ChainNode,
    NodeKind,
    path_up,
    subtree,
    walk_down,
)
from bot.okrs.method.diagnosis import diagnose, first_broken_link
from bot.okrs.method.enums import MetricKind, Status
from bot.okrs.method.explanations import descendants, early_warnings
from bot.okrs.method.health import severity
from bot.okrs.method.names import Candidate, Lookup
from bot.okrs.method.proposals import Proposal, proposals
from bot.okrs.store.models import Goal, NorthStar, Objective
from bot.okrs.views import (
    ChainFrom,
    Diagnosis,
    ObjectiveStatus,
    TreeView,
    shown_nodes,
)
from bot.people import service as people_service
from bot.people.models import Workspace

CANDIDATES = 200  # names that could fit what was typed: enough for a pick list, never the plan
TREE_DEPTH = 3
STATUS_DEPTH = 2  # a goal's status: its objectives and their key results
ABOVE_OBJECTIVES = (NodeKind.GOAL, NodeKind.NORTH_STAR)
# What someone owns is listed objectives first, then what measures and drives them.
OWNED_ORDER = [NodeKind.OBJECTIVE, NodeKind.KEY_RESULT, NodeKind.ACTIVITY, NodeKind.KPI,
               NodeKind.GOAL, NodeKind.NORTH_STAR]


@dataclass
class Reading:
    """What every flow that reads the plan needs: the session, the runtime's chain cache, the
    workspace asked about, and the instant health is computed for."""

    db_session: Session
    chains: Any  # bot.okrs.store.cache.ChainCache
    workspace: Workspace
    now: datetime
    _chain: Chain | None = field(default=None, repr=False)

    @property
    def chain(self) -> Chain:
        if self._chain is None:
            self._chain = self.chains.chain(self.db_session, self.workspace, self.now)
        return self._chain


# -- the workspace ---------------------------------------------------------------------------
def teams_with_plans(db_session: Session) -> list[str]:
    """Slack team ids of the workspaces that hold a plan (a North Star, goal or objective)."""
    planned = (select(NorthStar.workspace_id).union(select(Goal.workspace_id),
                                                    select(Objective.workspace_id)))
    return list(db_session.scalars(select(Workspace.slack_team_id)
                                   .where(Workspace.id.in_(planned))
                                   .order_by(Workspace.slack_team_id)))


def workspace(db_session: Session, team_id: str | None) -> Workspace:
    """The workspace of a Slack team; with no team id, the only one that has a plan (the CLI's
    default). NoPlan names the team that asked and the teams that have one."""
    if team_id is None:
        others = teams_with_plans(db_session)
        if len(others) != 1:
            raise InvalidInput(
                "several workspaces have a plan: " + ", ".join(others) if others
                else "no workspace has a plan yet", field="workspace",
                expected="the Slack team id of one of them" if others else "a plan imported")
        team_id = others[0]
    # One query on the hot path: the workspace, if it holds a plan. A workspace row exists as
    # soon as someone opens the Home tab; a plan is what was imported into it.
    found = db_session.scalar(_planned_workspace(), {"team_id": team_id})
    if found is None:
        raise NoPlan(team_id, [t for t in teams_with_plans(db_session) if t != team_id])
    return found


def _has_plan(workspace_id: Any) -> Any:
    return or_(*(exists().where(model.workspace_id == workspace_id)
                 for model in (Objective, Goal, NorthStar)))


@functools.cache
def _planned_workspace() -> Select:
    """Built once: on every request, building this statement cost more than running it."""
    return select(Workspace).where(Workspace.slack_team_id == bindparam("team_id"),
                                   _has_plan(Workspace.id))


# -- finding what was named ------------------------------------------------------------------
METRIC_LABELS = {MetricKind.NORTH_STAR: "North Star", MetricKind.GOAL: "Goal",
                 MetricKind.KEY_RESULT: "Key result", MetricKind.KPI: "KPI"}


def choices_of(candidates: Iterable[Candidate], *, labelled: bool = False) -> list[Choice]:
    """Choices to pick from; `labelled` when they mix kinds (a key result and a KPI...)."""
    found = []
    for c in candidates:
        label = ""
        if labelled:
            kind = getattr(c.item, "kind", None)
            label = METRIC_LABELS.get(kind, "") or str(getattr(c.item, "label", ""))
        found.append(Choice(c.key, c.name, c.item, label))
    return found


def find_node(chain: Chain, typed: str, *, kinds: Sequence[NodeKind] | None = None,
              what: str = "Nothing in the plan", plural: str = "nodes") -> ChainNode:
    """The node of `kinds` (any, by default) whose key or name the words fit. `what` begins
    the sentence when nothing does, `plural` names them when several do."""
    # Of node ids, not nodes: the plan's shape, kept while new measurements update the chain
    # (building it for a thousand objectives took ~20 ms, in the first command after each).
    name = "node-lookup" if kinds is None else "lookup:" + ",".join(sorted(kinds))
    lookup = chain.shape_memo(name, lambda: Lookup(
        [Candidate(n.key, n.name, n.id) for n in chain.nodes.values()
         if kinds is None or n.kind in kinds]))
    match = lookup.resolve(typed)
    if match.ambiguous:
        raise Ambiguous(f"“{typed}” fits {len(match.choices)} {plural}. Which one?",
                        typed=typed, choices=choices_of(
                            Candidate(c.key, c.name, chain.nodes[c.item])
                            for c in match.choices))
    if match.found is None:
        raise NotFound(f"{what} matches “{typed}”. Use its key or the start of its name.",
                       typed=typed)
    return chain.nodes[match.found]


def _north_star_or(chain: Chain, typed: str) -> ChainNode:
    """The North Star when nothing is typed, else the node the words name."""
    if typed:
        return find_node(chain, typed)
    if chain.north_star is None:
        raise InvalidInput("The plan has no North Star yet; name a node instead.",
                           field="node", expected="a key or the start of a name")
    return chain.north_star


# -- status ----------------------------------------------------------------------------------
def status(reading: Reading, actor: Actor, typed: str) -> ObjectiveStatus | TreeView:
    """An objective's status; a goal or the North Star named instead shows as the objectives
    and key results below it (a manager's view: `status trial-conversion`)."""
    try:
        return objective_status(reading, actor, typed)
    except NotFound:
        if not typed:
            raise
        try:
            above = find_node(reading.chain, typed, kinds=ABOVE_OBJECTIVES, what="")
        except NotFound:
            raise NotFound(f"No objective matches “{typed}”, nor a goal or the North Star. Use "
                           "its key or the start of its name.", kind="objective",
                           typed=typed) from None
        return tree(reading, above.key, depth=STATUS_DEPTH)


def objective_status(reading: Reading, actor: Actor, typed: str) -> ObjectiveStatus:
    """The objective the words name, or with none the actor's own. Someone who owns no
    objective is offered those of the people they manage, else every objective (Ambiguous)."""
    chain = reading.chain
    if typed:
        objective = find_node(chain, typed, kinds=[NodeKind.OBJECTIVE], what="No objective",
                              plural="objectives")
    else:
        objective = _own_objective(reading, actor)
    workspace_id = reading.workspace.id
    key_results = [c.key for c in chain.children_of(objective.id)
                   if c.kind is NodeKind.KEY_RESULT]
    db_session = reading.db_session
    # Blockers and confidence are not in the cached chain: two bounded queries, fresh each time.
    blockers = checkin_service.open_blockers(db_session=db_session, workspace_id=workspace_id,
                                             on=shown_nodes(chain, objective))
    confidences = checkin_service.latest_confidences_by_key(
        db_session=db_session, workspace_id=workspace_id, keys=key_results)
    return ObjectiveStatus(chain=chain, objective=objective,
                           broken=first_broken_link(chain, objective.id), blockers=blockers,
                           confidences=confidences,
                           now=reading.now)


def _own_objective(reading: Reading, actor: Actor) -> ChainNode:
    chain = reading.chain
    objectives = chain.of_kind(NodeKind.OBJECTIVE)
    mine = [n for n in objectives if actor.slack_user_id and n.owner == actor.slack_user_id]
    if len(mine) == 1:
        return mine[0]
    if mine:
        raise Ambiguous(f"You own {len(mine)} objectives. Which one?", typed="",
                        choices=choices_of(Candidate(n.key, n.name, n) for n in mine))
    team: set[str] = set()
    if actor.slack_user_id:
        team = people_service.team_of(db_session=reading.db_session,
                                      workspace_id=reading.workspace.id,
                                      slack_user_id=actor.slack_user_id) - {actor.slack_user_id}
    theirs = [n for n in objectives if n.owner in team]
    if theirs:
        raise Ambiguous(f"You own no objectives; the people you manage own {len(theirs)}. "
                        "Which one?", typed="",
                        choices=choices_of(Candidate(n.key, n.name, n) for n in theirs))
    if not objectives:
        raise NotFound("The plan has no objectives yet.", kind="objective")
    raise Ambiguous("You own no objectives. The plan's objectives: which one?", typed="",
                    choices=choices_of(Candidate(n.key, n.name, n) for n in objectives))


# -- views of the chain ----------------------------------------------------------------------
def tree(reading: Reading, typed: str, *, depth: int = TREE_DEPTH) -> TreeView:
    chain = reading.chain
    node = _north_star_or(chain, typed)
    return TreeView(node, walk_down(chain, node.id, max_depth=depth),
                    chain.memo(f"broken-link:{node.kind}:{node.key}",
                               lambda: first_broken_link(chain, node.id)))


def chain_from(reading: Reading, typed: str) -> ChainFrom:
    """The whole chain below the node the words name (the North Star by default), with the
    first broken link: what `okr-bot plan chain` prints."""
    chain = reading.chain
    node = _north_star_or(chain, typed)
    return ChainFrom(node, subtree(chain, node.id), first_broken_link(chain, node.id))


def find_root(reading: Reading, typed: str) -> ChainNode:
    """The node a view starts from: the one the words name, or the North Star."""
    return _north_star_or(reading.chain, typed)


def why(reading: Reading, typed: str | ChainNode) -> Diagnosis:
    """Top-down: the goal that lags most, its worst objective, the activity or KPI that
    explains it, with the evidence at each step. From the node named (or given)."""
    chain = reading.chain
    node = typed if isinstance(typed, ChainNode) else _north_star_or(chain, typed)
    below = None if node.kind is NodeKind.NORTH_STAR else descendants(chain, node.id)
    return Diagnosis(node, diagnose(chain, node.id), early_warnings(chain, below))


def objectives_called_for(reading: Reading) -> list[Proposal]:
    """For each KPI in yellow or red that no current objective works on, the objective the
    method calls for (bot/okrs/method/proposals.py)."""
    return proposals(reading.chain, reading.now.date())


def owned_by(chain: Chain, owners: set[str]) -> list[ChainNode]:
    """What these people own: objectives first, the worst first within each kind."""
    position = chain.shape_memo("positions",
                                lambda: {n: i for i, n in enumerate(chain.nodes)})
    return sorted((n for owner in owners for n in chain.owned_by(owner)),
                  key=lambda n: (OWNED_ORDER.index(n.kind), -severity(n.health.status),
                                 position[n.id]))


def at_risk(chain: Chain) -> list[ChainNode]:
    """Everything yellow, red or stale: closest to the North Star first, then the worst."""
    found = [n for n in chain.nodes.values()
             if n.health.status in (Status.YELLOW, Status.RED) or n.health.stale]
    found.sort(key=lambda n: (len(path_up(chain, n.id)), -severity(n.health.status)))
    return found
