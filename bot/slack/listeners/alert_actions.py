"""An alert DM's buttons: Acknowledge, Open a blocker (a modal, opened at once: a trigger_id
lives 3 s), Snooze a week, and the proposed objective as a plan snippet. Each is parse (the
button's value, never trusted: the alert is looked up in the clicker's workspace and their
right to act on it checked) → flow → the DM updated in place or answered beside."""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot import clock
from bot.alerts import service
from bot.checkins import flows as checkin_flows
from bot.errors import DomainError, InvalidInput
from bot.okrs import flows
from bot.okrs.plans.proposals import snippet
from bot.slack import ids
from bot.slack.blocks.alert_dm import blocker_modal
from bot.slack.blocks.mrkdwn import context as context_block
from bot.slack.blocks.mrkdwn import escape, section
from bot.slack.errors import reported
from bot.slack.listeners.ack import acknowledge
from bot.slack.problems import modal_errors, reply_for


def _alert_id(text: str) -> int:
    if not text.isdigit():
        raise InvalidInput("That button no longer matches an alert.", field="value")
    return int(text)


def _team(body: dict) -> str:
    return (body.get("team") or {}).get("id") or body["user"].get("team_id")


def _with_note(body: dict, note: str) -> list[dict]:
    """The DM as it was, its buttons replaced by what was done."""
    kept = [b for b in (body.get("message") or {}).get("blocks", [])
            if b.get("block_id") != ids.ALERT_ACTIONS and b.get("type") != "context"]
    return [*kept, context_block(escape(note))]


def _later(work: Callable[..., str]) -> Callable[..., None]:
    """A button's work in its own transaction, committed before the DM is updated in place."""

    @reported
    def run(body: dict, action: dict, context: BoltContext, respond: Respond) -> None:
        try:
            with context["unit_of_work"] as session:
                workspace = flows.workspace(session, _team(body))
                said = work(session, workspace, body["user"]["id"], _alert_id(action["value"]))
        except DomainError as error:
            respond(replace_original=False, **reply_for(error))
            return
        respond(replace_original=True, text=said, blocks=_with_note(body, said))

    run.__name__ = work.__name__
    return run


def _acknowledge(session, workspace, actor: str, alert_id: int) -> str:  # type: ignore[no-untyped-def]
    alert, _metric, changed = service.acknowledge(session, workspace, actor, alert_id,
                                                  clock.now())
    when = f"{alert.acknowledged_at:%a %d %b %H:%M} UTC"
    return (f"Acknowledged by you, {when}." if changed
            else f"Acknowledged already, {when}.")


def _snooze(session, workspace, actor: str, alert_id: int) -> str:  # type: ignore[no-untyped-def]
    alert, metric = service.snooze(session, workspace, actor, alert_id, clock.now())
    return (f"Snoozed: no alert about {metric.name} until "
            f"{alert.snoozed_until:%a %d %b %H:%M} UTC. What crosses meanwhile is still "
            "recorded.")


@reported
def send_snippet(body: dict, action: dict, context: BoltContext, respond: Respond) -> None:
    """The objective the method calls for, as plan-file YAML, beside the DM."""
    try:
        with context["unit_of_work"] as session:
            workspace = flows.workspace(session, _team(body))
            _alert, metric = service.alert_for(session, workspace, body["user"]["id"],
                                               _alert_id(action["value"]))
            read = flows.Reading(session, context["chains"], workspace, clock.now())
            called_for = next((p for p in flows.objectives_called_for(read)
                               if p.kpi.key == metric.key), None)
    except DomainError as error:
        respond(replace_original=False, **reply_for(error))
        return
    text = snippet(called_for) if called_for else ""
    if not text:
        said = (f"{metric.name} needs no new objective now: it is green again, or an objective "
                "works on it.")
        respond(replace_original=False, text=said, blocks=[section(escape(said))])
        return
    respond(replace_original=False, text=f"Plan snippet for {called_for.name}", blocks=[
        section(f"Edit it, add it to the plan file, then `okr-bot plan import` it:\n"
                f"```{escape(text)}```")])


def open_blocker(ack: Ack, body: dict, action: dict, context: BoltContext,
                 client: WebClient, respond: Respond) -> None:
    """Open the modal in the ack's own time: the trigger_id expires after 3 seconds."""
    session = context["unit_of_work"].session
    try:
        workspace = flows.workspace(session, _team(body))
        alert, metric = service.alert_for(session, workspace, body["user"]["id"],
                                          _alert_id(action["value"]))
    except DomainError as error:
        context["unit_of_work"].finish(commit=False)
        ack()
        respond(replace_original=False, **reply_for(error))
        return
    client.views_open(trigger_id=body["trigger_id"], view=blocker_modal(alert.id, metric.name))
    ack()


def submit_blocker(ack: Ack, body: dict, view: dict, context: BoltContext) -> None:
    """The blocker, on the alert's metric (private_metadata re-checked, never trusted)."""
    session = context["unit_of_work"].session
    try:
        workspace = flows.workspace(session, _team(body))
        _alert, metric = service.alert_for(session, workspace, body["user"]["id"],
                                          _alert_id(view.get("private_metadata") or ""))
        typed = (view["state"]["values"].get(ids.ALERT_BLOCKER_TEXT, {})
                 .get(ids.INPUT, {}).get("value") or "").strip()
        if not typed:
            raise InvalidInput("Say what is in the way.", field=ids.ALERT_BLOCKER_TEXT,
                               expected="the blocker, in a sentence")
        entry = checkin_flows.raise_blocker(session, workspace, flows.Actor(body["user"]["id"]),
                                            typed=metric.key, text=typed, now=clock.now())
    except DomainError as error:
        context["unit_of_work"].finish(commit=False)
        ack(**modal_errors(error, block_ids={"text": ids.ALERT_BLOCKER_TEXT,
                                             ids.ALERT_BLOCKER_TEXT: ids.ALERT_BLOCKER_TEXT}))
        return
    said = f"{entry.label} is open on {metric.name}. It shows in /okr blockers and /okr status."
    ack(response_action="update", view={
        "type": "modal", "title": {"type": "plain_text", "text": "Blocker opened"},
        "close": {"type": "plain_text", "text": "Done"}, "blocks": [section(escape(said))]})


def register(app: App) -> None:
    app.action(ids.ALERT_BLOCKER)(open_blocker)
    app.action(ids.ALERT_SNIPPET)(ack=acknowledge, lazy=[send_snippet])
    for action_id, work in ((ids.ALERT_ACKNOWLEDGE, _acknowledge),
                            (ids.ALERT_SNOOZE, _snooze)):
        app.action(action_id)(ack=acknowledge, lazy=[_later(work)])
    app.view_submission(ids.ALERT_BLOCKER_MODAL)(submit_blocker)
