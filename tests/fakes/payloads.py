"""Small Block Kit payloads and credentials the fake Slack's tests send."""

from __future__ import annotations

from typing import Any

BOT_TOKEN = "xoxb-test-token"
SECRET = "test-signing-secret"


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": mrkdwn(text)}


def button(text: str, action_id: str = "go", value: str = "kr-1") -> dict[str, Any]:
    return {"type": "button", "text": plain(text), "action_id": action_id, "value": value}


CHECK_IN_MODAL = {
    "type": "modal", "callback_id": "checkin", "title": plain("Weekly check-in"),
    "submit": plain("Save"), "close": plain("Cancel"), "private_metadata": '{"kr": 1}',
    "blocks": [
        section("*KR 1* Ship the pilot"),
        {"type": "input", "block_id": "value", "label": plain("Progress"),
         "element": {"type": "number_input", "action_id": "v", "is_decimal_allowed": True}},
        {"type": "input", "block_id": "confidence", "label": plain("Confidence"),
         "element": {"type": "static_select", "action_id": "c",
                     "options": [{"text": plain("High"), "value": "high"}]}},
    ],
}  # fmt: skip
