"""The "Share in channel" button: re-runs a read-only command and posts it visibly."""

from __future__ import annotations

from bot.slack import ids

# Slack's limit on a button's value.
VALUE_LIMIT = 2000


def share_button(command: str) -> dict:
    return {"type": "actions", "block_id": ids.SHARE, "elements": [{
        "type": "button", "action_id": ids.SHARE_IN_CHANNEL, "value": command[:VALUE_LIMIT],
        "text": {"type": "plain_text", "text": "Share in channel"}}]}


def has_share_button(reply: dict) -> bool:
    return any(element.get("action_id") == ids.SHARE_IN_CHANNEL
               for block in reply.get("blocks", []) if block.get("type") == "actions"
               for element in block.get("elements", []))
