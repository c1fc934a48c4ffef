"""Block actions: buttons in okr-bot's messages."""

from __future__ import annotations

from slack_bolt import App, BoltContext, Respond

from bot.slack import ids, response_url
from bot.slack.blocks.mrkdwn import context as context_block
from bot.slack.blocks.share import has_share_button
from bot.slack.errors import reported
from bot.slack.listeners.ack import acknowledge
from bot.slack.router import CommandRequest


@reported
def share_in_channel(body: dict, action: dict, respond: Respond, context: BoltContext) -> None:
    """Post what the person saw, freshly rendered, visibly in the channel."""
    route = context["router"].resolve(action.get("value") or "")
    # Only what reads the chain, never what writes, may be re-run by a Share button.
    if not route.reads_chain:
        return
    user = body["user"]["id"]
    # An org-wide install's clicks may come with no team: the person's is the workspace.
    team_id = (body.get("team") or {}).get("id") or body["user"].get("team_id")
    request = CommandRequest(args=route.args, user_id=user, team_id=team_id,
                             channel_id=(body.get("channel") or {}).get("id"),
                             unit_of_work=context["unit_of_work"], chains=context["chains"])
    request.unit_of_work.only_reads()
    reply = route.subcommand.handler(request)
    if not has_share_button(reply):
        # Not the content that was shown (the objective was renamed away, the plan is gone):
        # tell the person who clicked, not the channel.
        respond(replace_original=False, **reply)
        return
    blocks = [b for b in reply["blocks"] if b.get("type") != "actions"]
    blocks.append(context_block(f"Shared by <@{user}>"))
    shared = response_url.post(body.get("response_url") or "", {
        "response_type": "in_channel", "replace_original": False, "text": reply["text"],
        "blocks": blocks})
    if not shared:
        respond(replace_original=False, response_type="ephemeral",
                text="Sorry, this could not be shared in the channel: Slack did not take it. "
                     "Nothing was posted; please try again in a moment.")


def register(app: App) -> None:
    app.action(ids.SHARE_IN_CHANNEL)(ack=acknowledge, lazy=[share_in_channel])
