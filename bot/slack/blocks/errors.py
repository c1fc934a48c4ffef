"""What a person sees when something went wrong on our side."""

from __future__ import annotations

from bot.slack.blocks.mrkdwn import context, section

# The work was committed, its answer too late for Slack (bot/slack/server.py `too_slow`).
SAVED_ANYWAY = ("Sorry, the answer took too long to reach Slack, but what you asked for was "
                "saved: no need to send it again.")


def apology_message(reference: str, *, saved: bool = False) -> dict:
    """`saved`: the work was committed but its answer came too late for Slack."""
    text = ("Sorry, something went wrong on our side and nothing was changed. "
            "Please try again in a moment.")
    if saved:
        text = SAVED_ANYWAY
    return {
        "response_type": "ephemeral",
        "text": f"{text} (reference {reference})",
        "blocks": [
            section(f":warning: {text}"),
            context(f"If it keeps happening, give your admin this reference: `{reference}`"),
        ],
    }
