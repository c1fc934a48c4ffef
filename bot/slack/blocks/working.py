"""The holding reply for a command answered through response_url a moment later. Pure."""

from __future__ import annotations

from bot.slack.blocks.mrkdwn import context

WORKING_TEXT = "Reading the plan… the answer follows in a few seconds."


def working() -> dict:
    return {"response_type": "ephemeral", "text": WORKING_TEXT,
            "blocks": [context(f":hourglass_flowing_sand: {WORKING_TEXT} (The first command "
                               "after a change to a large plan waits for it to be read.)")]}
