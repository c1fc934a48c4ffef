"""`/okr`: thin listener that routes a subcommand and acks with its reply."""

from __future__ import annotations

import copy

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.slack.blocks.help import help_message
from bot.slack.blocks.working import working
from bot.slack.errors import reported
from bot.slack.router import CommandRequest, Router, Subcommand
from bot.slack.subcommands.blocker_commands import okr_blocker, okr_blockers
from bot.slack.subcommands.checkin import okr_checkin
from bot.slack.subcommands.common import answerable_now
from bot.slack.subcommands.status import okr_status
from bot.slack.subcommands.summary import okr_summary
from bot.slack.subcommands.summary import posts as summary_posts
from bot.slack.subcommands.time_off import okr_ooo
from bot.slack.subcommands.update import TOGETHER, okr_update
from bot.slack.subcommands.views import (
    okr_at_risk,
    okr_mine,
    okr_team,
    okr_tree,
    okr_why,
)

COMMAND = "/okr"


# Immutable descriptions; each runtime's router is built from them (build_router), so two
# runtimes in one process share no registry.
SUBCOMMANDS = (
    Subcommand(
        name="status",
        summary="An objective's key results and health, with its causal chain: the goal and North "
                "Star it moves, the activities and KPIs that drive it, and the first broken link. "
                "Without a name: your own objective.",
        usage="/okr status [objective]",
        example="/okr status onboarding",
        handler=okr_status,
        reads_chain=True,
    ),
    Subcommand(
        name="tree",
        summary="The causal chain from the North Star (or any node) down to activities and KPIs, "
                "with a status at every node.",
        usage="/okr tree [node]",
        example="/okr tree trial-conversion",
        handler=okr_tree,
        reads_chain=True,
    ),
    Subcommand(
        name="summary",
        summary="Your team's week in OKRs (or a team's you manage or lead, or an @person's "
                "whole reporting line): who checked in, how its key results and KPIs stand and "
                "what moved, what is blocked, what needs a decision, and each person's "
                "answers. With `preview`, shown to you alone; without, a team's managers post "
                "it in its channel.",
        usage="/okr summary [team | @person] [preview]",
        example="/okr summary preview",
        handler=okr_summary,
        reads_chain=True,
        writes_with=summary_posts,
    ),
    Subcommand(
        name="why",
        summary="Top-down diagnosis: the goal that lags most, its worst objective, and the "
                "activity or KPI that explains it, with the evidence at each step.",
        usage="/okr why [node]",
        example="/okr why",
        handler=okr_why,
        reads_chain=True,
    ),
    Subcommand(
        name="mine",
        summary="Everything you own, with its status.",
        usage="/okr mine",
        example="/okr mine",
        handler=okr_mine,
        reads_chain=True,
    ),
    Subcommand(
        name="team",
        summary="What a team owns, with its status: yours (you and your whole reporting line), an "
                "@person's, a #channel's team or a team by name.",
        usage="/okr team [@person | #channel | team name]",
        example="/okr team #ai-launch",
        handler=okr_team,
        reads_chain=True,
    ),
    Subcommand(
        name="at-risk",
        summary="Everything yellow, red or stale, closest to the North Star first.",
        usage="/okr at-risk",
        example="/okr at-risk",
        handler=okr_at_risk,
        aliases=("risks",),
        reads_chain=True,
    ),
    Subcommand(
        name="update",
        summary="Records a new value for a key result, KPI, goal or the North Star you own (or "
                "manage). Shows old → new, the new status and any action a threshold calls "
                "for. `undo` instead of a value takes back your own last one (within a day).",
        usage="/okr update <key result or KPI> <value> [note] | /okr update <item> undo",
        example="/okr update first-week-activation 14.5% tours live for all trials",
        handler=okr_update,
        together=TOGETHER,
    ),
    Subcommand(
        name="checkin",
        summary="Opens the check-in form: what you did, your priorities, a blocker, and a new "
                "value and confidence for each key result and KPI you own, recorded together. "
                "Each submission is kept: nothing earlier is overwritten.",
        usage="/okr checkin",
        example="/okr checkin",
        handler=okr_checkin,
        aliases=("check-in",),
    ),
    Subcommand(
        name="ooo",
        summary="Time off: no check-in comes while you are away and those weeks count as "
                "excused. `/okr ooo off` when you are back early, `/okr ooo` alone lists it.",
        usage="/okr ooo <first day> [last day] [reason] | /okr ooo off",
        example="/okr ooo 2026-12-24 2027-01-02 holidays",
        handler=okr_ooo,
        aliases=("away", "time-off"),
    ),
    Subcommand(
        name="blockers",
        summary="Open blockers with their number, age, author and what they block: everyone's, "
                "`mine` (raised by you or on something you own) or `team` (you and your "
                "whole reporting line). Blockers on objectives first, then key results, "
                "activities and KPIs; the oldest first.",
        usage="/okr blockers [mine | team] [page]",
        example="/okr blockers team",
        handler=okr_blockers,
        reads_chain=True,
    ),
    Subcommand(
        name="blocker",
        summary="Raises a blocker on an objective, key result, KPI or activity (`-` instead of a "
                "name: a general one), or resolves one by its number — its author, the blocked "
                "item's owner, either one's manager or a workspace admin may. "
                "`/okr blocker resolve B-12 legal said yes` closes B-12.",
        usage="/okr blocker add <objective, key result, KPI or activity> <what blocks it> | "
              "/okr blocker resolve <number> [note]",
        example="/okr blocker add onboarding-tours waiting on the design review",
        handler=okr_blocker,
    ),
)


def build_router() -> Router:
    """The `/okr` registry of one runtime (bot/serve.py): the listeners, help and the Home tab
    read the router the request's context carries."""
    router = Router()

    def okr_help(request: CommandRequest) -> dict:
        return help_message(router)

    router.add(Subcommand(
        name="help",
        summary="Lists every okr-bot command with an example.",
        usage="/okr help",
        example="/okr help",
        handler=okr_help,
        aliases=("?", "commands"),
        only_says=True,
    ))
    for subcommand in SUBCOMMANDS:
        router.add(subcommand)
    return router


def _request(command: dict, context: BoltContext | dict, args: str) -> CommandRequest:
    return CommandRequest(args=args, user_id=command["user_id"], team_id=command["team_id"],
                          channel_id=command.get("channel_id"),
                          unit_of_work=context["unit_of_work"], chains=context["chains"])


def answer_okr(ack: Ack, command: dict, context: BoltContext, client: WebClient) -> None:
    """Route and answer in the ack, unless the chain must be built first: then say so at once
    and answer through response_url once it is built (answer_later)."""
    router = context["router"]
    route = router.resolve(command.get("text") or "")
    if route.subcommand is None:
        ack(**help_message(router, unknown=route.typed, suggestion=route.suggestion))
        return
    request = _request(command, context, route.args)
    if (together := route.together) is not None:
        ack(**context["grouped"].answer(request, trigger_id=command["trigger_id"],
                                        together=together))
        return
    if route.reads_chain:
        request.unit_of_work.only_reads()
        if not answerable_now(request):
            ack(**working())
            _defer(context, command, request.memo["workspace"].id)
            return
    reply = route.subcommand.handler(request)
    if reply.get("type") == "modal":  # a form: opened with this command's trigger_id (3 s)
        client.views_open(trigger_id=command["trigger_id"], view=reply)
        ack()
        return
    ack(**reply)


def _defer(context: BoltContext, command: dict, workspace_id: int) -> None:
    """Answer later on the listener pool, with a unit of work of its own (the request's ends
    with the ack). Only the few commands that wait for a chain come here: a Bolt lazy
    listener instead would copy every request for a thread that, nearly always, has nothing
    to do (a millisecond of each command's CPU, measured in bench.commands)."""
    later = {"router": context["router"], "chains": context["chains"],
             "unit_of_work": copy.deepcopy(context["unit_of_work"]),
             "respond": context.respond}
    context.listener_runner.listener_executor.submit(
        answer_later, command=command, body=command, context=later, workspace_id=workspace_id)


@reported
def answer_later(*, command: dict, body: dict, context: dict, workspace_id: int) -> None:
    """The answer to a command whose chain had to be built, in place of "working on it"."""
    route = context["router"].resolve(command.get("text") or "")
    unit_of_work = context["unit_of_work"]
    context["chains"].ensure(unit_of_work.engine, workspace_id)
    with unit_of_work:
        reply = route.subcommand.handler(_request(command, context, route.args))
    context["respond"](replace_original=True, **reply)


def register(app: App) -> None:
    app.command(COMMAND)(answer_okr)
