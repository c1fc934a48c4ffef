"""Listeners, one module per Slack surface, each with a `register(app)`."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.listeners import (
    actions,
    alert_actions,
    checkin_actions,
    commands,
    events,
    views,
)

SURFACES = (commands, actions, checkin_actions, alert_actions, events, views)


def register_listeners(app: App) -> None:
    for surface in SURFACES:
        surface.register(app)
