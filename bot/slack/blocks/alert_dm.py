"""The DM that tells a metric's owner it turned yellow or red, or met a trigger: what
happened, what the plan says to do, the objective the method calls for when nobody works on
it, and buttons to acknowledge, open a blocker, snooze a week or get that objective as a
plan-file snippet. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from bot.slack import ids
from bot.slack.blocks.mrkdwn import button, context, escape, fallback, section

MARKS = {"red": ":red_circle:", "yellow": ":large_yellow_circle:"}


@dataclass(frozen=True)
class AlertNotice:
    """What one alert says, as plain data."""

    alert_id: int
    owner: str
    label: str  # "Key result", "KPI"
    name: str
    key: str
    level: str  # yellow or red
    reason: str  # the metric's health, as /okr status words it
    trigger: str | None = None  # the trigger's condition, e.g. "4.5% is below 5%"
    action: str | None = None  # what the plan says to do then
    proposal: str | None = None  # the objective the method calls for, if nobody works on it


def headline(notice: AlertNotice) -> str:
    if notice.trigger is not None:
        return f"{notice.label} {notice.name} met a trigger: {notice.trigger}"
    return f"{notice.label} {notice.name} turned {notice.level}"


def alert_dm(notice: AlertNotice) -> dict:
    """The message (text and blocks) for chat.postMessage."""
    mark = MARKS.get(notice.level, ":warning:")
    blocks = [section(f"{mark} *{escape(headline(notice))}* (`{escape(notice.key)}`)\n"
                      f"{escape(notice.reason)}")]
    if notice.action:
        blocks.append(section(f"*What the plan says to do:* {escape(notice.action)}"))
    buttons = [button("Acknowledge", ids.ALERT_ACKNOWLEDGE, str(notice.alert_id), "primary"),
               button("Open a blocker", ids.ALERT_BLOCKER, str(notice.alert_id)),
               button("Snooze a week", ids.ALERT_SNOOZE, str(notice.alert_id))]
    if notice.proposal:
        blocks.append(section("*No objective is working on it.* The method calls for one: "
                              f"“{escape(notice.proposal)}”"))
        buttons.append(button("Get it as a plan snippet", ids.ALERT_SNIPPET,
                               str(notice.alert_id)))
    blocks.append({"type": "actions", "block_id": ids.ALERT_ACTIONS, "elements": buttons})
    blocks.append(context("You own it, so you are told once; again only after it has been "
                          "green."))
    return {"text": fallback(headline(notice)), "blocks": blocks}


def blocker_modal(alert_id: int, name: str) -> dict:
    """The modal "Open a blocker" opens: one text field, on the alert's metric."""
    return {
        "type": "modal", "callback_id": ids.ALERT_BLOCKER_MODAL,
        "private_metadata": str(alert_id),
        "title": {"type": "plain_text", "text": "Open a blocker"},
        "submit": {"type": "plain_text", "text": "Open"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            section(f"What is in the way of *{escape(name)}*?"),
            {"type": "input", "block_id": ids.ALERT_BLOCKER_TEXT,
             "label": {"type": "plain_text", "text": "The blocker"},
             "element": {"type": "plain_text_input", "action_id": ids.INPUT,
                         "multiline": True, "max_length": 2000}},
        ],
    }
