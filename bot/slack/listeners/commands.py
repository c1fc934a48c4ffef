"""`/okr`: thin listener that routes a subcommand and acks with its reply."""

from __future__ import annotations

from slack_bolt import Ack, App

from bot.slack.blocks.help import help_message
from bot.slack.router import Route, Router, Subcommand

COMMAND = "/okr"


def okr_help(route: Route) -> dict:
    return help_message(ROUTER)


ROUTER = Router()
ROUTER.add(Subcommand(
    name="help",
    summary="Lists every okr-bot command with an example.",
    usage="/okr help",
    example="/okr help",
    handler=okr_help,
    aliases=("?", "commands"),
))


def answer_okr(ack: Ack, command: dict) -> None:
    route = ROUTER.resolve(command.get("text") or "")
    if route.subcommand is None:
        ack(**help_message(ROUTER, unknown=route.typed, suggestion=route.suggestion))
        return
    ack(**route.subcommand.handler(route))


def register(app: App) -> None:
    app.command(COMMAND)(answer_okr)
