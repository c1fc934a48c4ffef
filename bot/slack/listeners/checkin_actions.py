"""The check-in DM's buttons: Start check-in (the modal, opened at once: a trigger_id lives
3 s), Skip this week, Snooze, and Still blocked / Resolved on last week's blockers. Each is
parse (the button's value, never trusted) → flow → the DM updated in place."""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot import clock
from bot.checkins import answering, round_actions
from bot.checkins import flows as checkin_flows
from bot.errors import DomainError, InvalidInput
from bot.okrs import flows
from bot.slack import ids
from bot.slack.blocks.checkin_modal import checkin_modal
from bot.slack.blocks.mrkdwn import escape, section
from bot.slack.errors import reported
from bot.slack.listeners.ack import acknowledge
from bot.slack.problems import reply_for


def _number(text: str) -> int:
    if not text.isdigit():
        raise InvalidInput("That button no longer matches a check-in.", field="value")
    return int(text)


def _team(body: dict) -> str:
    return (body.get("team") or {}).get("id") or body["user"].get("team_id")


def start_checkin(ack: Ack, body: dict, action: dict, context: BoltContext,
                  client: WebClient, respond: Respond) -> None:
    """Open the modal in the ack's own time: the trigger_id expires after 3 seconds."""
    session = context["unit_of_work"].session
    try:
        workspace = flows.workspace(session, _team(body))
        form = answering.checkin_form(session, workspace, flows.Actor(body["user"]["id"]),
                                      now=clock.now(), round_id=_number(action["value"]))
    except DomainError as error:
        context["unit_of_work"].finish(commit=False)
        ack()
        respond(replace_original=False, **reply_for(error))
        return
    client.views_open(trigger_id=body["trigger_id"], view=checkin_modal(form))
    ack()


def _later(work: Callable[..., str]) -> Callable[..., None]:
    """A DM button's lazy work: the flow in its own transaction, committed before the DM is
    updated in place with what happened (or told what went wrong, the DM left as it was)."""

    @reported
    def run(body: dict, action: dict, context: BoltContext, respond: Respond) -> None:
        actor = flows.Actor(body["user"]["id"])
        try:
            with context["unit_of_work"] as session:
                workspace = flows.workspace(session, _team(body))
                said = work(session, workspace, actor, action)
        except DomainError as error:
            respond(replace_original=False, **reply_for(error))
            return
        respond(replace_original=True, text=said, blocks=[section(escape(said))])

    run.__name__ = work.__name__
    return run


def _skip(session, workspace, actor, action) -> str:  # type: ignore[no-untyped-def]
    change = round_actions.skip_round(session, workspace, actor,
                                      round_id=_number(action["value"]), now=clock.now())
    return ("Skipped this week: it counts as excused, and no reminder follows. See you next "
            "week." if change.changed else "This week is skipped already.")


def _snooze(session, workspace, actor, action) -> str:  # type: ignore[no-untyped-def]
    round_id, _, choice = (action.get("selected_option") or {}).get("value", "").partition(":")
    change = round_actions.snooze_round(session, workspace, actor,
                                        round_id=_number(round_id), choice=choice,
                                        now=clock.now())
    return (f"Snoozed: it comes back {change.snoozed_until:%a %H:%M} UTC "
            f"(answers are collected until {change.closes_at:%a %d %b %H:%M} UTC).")


def _still_blocked(session, workspace, actor, action) -> str:  # type: ignore[no-untyped-def]
    blocker = round_actions.confirm_still_blocked(session, workspace, actor,
                                                  number=_number(action["value"]),
                                                  now=clock.now())
    return (f"Noted: {blocker.label} still blocks. It stays open and in your team's list."
            if blocker.is_open else f"{blocker.label} was resolved already.")


def _resolved(session, workspace, actor, action) -> str:  # type: ignore[no-untyped-def]
    resolution = checkin_flows.resolve_blocker(session, workspace, actor,
                                               number=_number(action["value"]),
                                               now=clock.now())
    return (f"{resolution.blocker.label} is resolved." if resolution.changed
            else f"{resolution.blocker.label} was resolved already.")


def register(app: App) -> None:
    app.action(ids.CHECKIN_START)(start_checkin)
    for action_id, work in ((ids.CHECKIN_SKIP, _skip), (ids.CHECKIN_SNOOZE, _snooze),
                            (ids.BLOCKER_STILL, _still_blocked),
                            (ids.BLOCKER_RESOLVED, _resolved)):
        app.action(action_id)(ack=acknowledge, lazy=[_later(work)])
