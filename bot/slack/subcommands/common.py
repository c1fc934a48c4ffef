"""What every subcommand shares: who asks, the workspace they ask about, and one mapping of the
errors a flow raises to the reply a person sees (bot/slack/problems.py)."""

from __future__ import annotations

import functools
from collections.abc import Callable

from bot import clock
from bot.errors import DomainError
from bot.okrs import flows
from bot.slack.problems import Pick, reply_for
from bot.slack.router import CommandRequest


def actor(request: CommandRequest) -> flows.Actor:
    return flows.Actor(request.user_id)


def workspace(request: CommandRequest):  # type: ignore[no-untyped-def]
    """The caller's workspace (looked up once per request); NoPlan if it has no plan."""
    if "workspace" not in request.memo:
        request.memo["workspace"] = flows.workspace(request.db_session, request.team_id)
    return request.memo["workspace"]


def reading(request: CommandRequest) -> flows.Reading:
    return flows.Reading(request.db_session, request.chains, workspace(request), clock.now())


def answerable_now(request: CommandRequest) -> bool:
    """Whether a command that reads the chain can answer within Slack's 3 seconds: the chain
    is built for the current data, or building it is quick (or there is no plan, which is just
    as quick to say)."""
    try:
        found = workspace(request)
    except DomainError:
        return True
    session = request.db_session
    return (request.chains.cached(session, found) is not None
            or request.chains.quick_to_build(session, found))


def answers(*, hint: str = "",
            pick: Pick | None = None) -> Callable[[Callable[..., dict]], Callable[..., dict]]:
    """Parse → flow → render, with what the flow refused said in words: `hint` follows "nothing
    matches" (a command that works), `pick` says how to type one of several candidates back."""

    def wrap(handler: Callable[..., dict]) -> Callable[..., dict]:
        @functools.wraps(handler)
        def run(request: CommandRequest, *args: str) -> dict:
            try:
                return handler(request, *args)
            except DomainError as error:
                request.unit_of_work.finish(commit=False)  # whatever it began is undone
                return reply_for(error, hint=hint, pick=pick)

        return run

    return wrap
