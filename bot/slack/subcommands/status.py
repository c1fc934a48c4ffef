"""`/okr status [objective]`: key results, health and the causal chain of one objective."""

from __future__ import annotations

from bot import clock
from bot.checkins import service as checkin_service
from bot.okrs.method.chain import Chain, ChainNode, NodeKind, first_broken_link
from bot.okrs.method.names import Candidate, Lookup
from bot.people import service as people_service
from bot.slack.blocks import update as replies
from bot.slack.blocks.mrkdwn import escape, section
from bot.slack.blocks.status import shown_nodes, status_message
from bot.slack.router import CommandRequest
from bot.slack.subcommands.common import chain_or_reply, workspace_or_reply


def _objective_choices(found: list[ChainNode], why: str) -> dict:
    lines = [f"• `{escape(n.key)}` — {escape(n.name)}" for n in found[:replies.CHOICES_SHOWN]]
    if len(found) > replies.CHOICES_SHOWN:
        lines.append(f"…and {len(found) - replies.CHOICES_SHOWN} more: type more of the name")
    return replies.ephemeral(why, [section(escape(why)), section("\n".join(lines))])


def _objectives_to_pick(request: CommandRequest, chain: Chain) -> dict:
    """For someone who owns no objective: the objectives of the people they manage, else every
    objective under the North Star, to pick from (a manager's first `/okr status`)."""
    workspace = workspace_or_reply(request)
    team = set()
    if not isinstance(workspace, dict):
        team = people_service.team_of(db_session=request.db_session,
                                      workspace_id=workspace.id,
                                      slack_user_id=request.user_id) - {request.user_id}
    objectives = chain.of_kind(NodeKind.OBJECTIVE)
    theirs = [n for n in objectives if n.owner in team]
    if theirs:
        return _objective_choices(theirs, "You own no objectives; the people you manage own "
                                          f"{len(theirs)}. Which one? /okr status <objective>")
    if not objectives:
        return replies.problem("The plan has no objectives yet.")
    return _objective_choices(list(objectives), "You own no objectives. The plan's "
                                                "objectives: which one? /okr status <objective>")


def objective_lookup(chain: Chain) -> Lookup[ChainNode]:
    return chain.memo("objective-lookup", lambda: Lookup(
        [Candidate(n.key, n.name, n) for n in chain.of_kind(NodeKind.OBJECTIVE)]))


def okr_status(request: CommandRequest) -> dict:
    chain = chain_or_reply(request)
    if isinstance(chain, dict):
        return chain
    now = clock.now()
    typed = request.args.strip()
    if not typed:
        mine = [n for n in chain.owned_by(request.user_id) if n.kind is NodeKind.OBJECTIVE]
        if not mine:
            return _objectives_to_pick(request, chain)
        if len(mine) > 1:
            return _objective_choices(mine, f"You own {len(mine)} objectives. Which one? "
                                                "/okr status <objective>")
        objective = mine[0]
    else:
        match = objective_lookup(chain).resolve(typed)
        if match.ambiguous:
            return _objective_choices([c.item for c in match.choices],
                                      f"“{typed}” fits {len(match.choices)} objectives. "
                                      "Which one?")
        if match.found is None:
            return replies.problem(f"No objective matches “{typed}”. Use its key or the start "
                                   "of its name, e.g. /okr status onboarding")
        objective = match.found
    # Blockers and confidence are not in the cached chain: two bounded queries, fresh each time.
    workspace = workspace_or_reply(request)  # the request's own, looked up once already
    assert not isinstance(workspace, dict)
    workspace_id = workspace.id
    key_results = [c.key for c in chain.children_of(objective.id)
                   if c.kind is NodeKind.KEY_RESULT]
    blockers = checkin_service.open_blockers(db_session=request.db_session,
                                             workspace_id=workspace_id,
                                             on=shown_nodes(chain, objective))
    confidences = checkin_service.latest_confidences(
        db_session=request.db_session,
        metric_ids=checkin_service.metric_ids(workspace_id=workspace_id, keys=key_results))
    return status_message(chain, objective, today=now.date(), now=now,
                          broken=first_broken_link(chain, objective.id),
                          shareable=f"status {objective.key}", blockers=blockers,
                          confidences={c.metric_key: c for c in confidences.values()})
