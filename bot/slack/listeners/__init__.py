"""Listeners, one module per Slack surface, each with a `register(app)`."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.listeners import actions, commands, events, views

SURFACES = (commands, actions, events, views)


def register_listeners(app: App) -> None:
    for surface in SURFACES:
        surface.register(app)
