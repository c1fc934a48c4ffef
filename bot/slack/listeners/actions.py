"""Block actions: buttons in okr-bot's messages."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext, Respond

from bot.slack.blocks.mrkdwn import context as context_block
from bot.slack.blocks.status import SHARE_ACTION
from bot.slack.errors import reported
from bot.slack.listeners.commands import ROUTER
from bot.slack.router import CommandRequest

# Only what reads, never what writes, may be re-run by a Share button.
SHAREABLE = {"status", "tree", "why", "mine", "team", "at-risk", "blockers"}


def acknowledge(ack: Ack) -> None:
    ack()


@reported
def share_in_channel(body: dict, action: dict, respond: Respond, context: BoltContext) -> None:
    """Post what the person saw, freshly rendered, visibly in the channel."""
    route = ROUTER.resolve(action.get("value") or "")
    if route.subcommand is None or route.subcommand.name not in SHAREABLE:
        return
    user = body["user"]["id"]
    request = CommandRequest(args=route.args, user_id=user, team_id=body["team"]["id"],
                             channel_id=(body.get("channel") or {}).get("id"),
                             unit_of_work=context["unit_of_work"])
    reply = route.subcommand.handler(request)
    blocks = [b for b in reply["blocks"] if b.get("type") != "actions"]
    blocks.append(context_block(f"Shared by <@{user}>"))
    respond(response_type="in_channel", replace_original=False, text=reply["text"],
            blocks=blocks)


def register(app: App) -> None:
    app.action(SHARE_ACTION)(ack=acknowledge, lazy=[share_in_channel])
