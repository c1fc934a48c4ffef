"""Safe mrkdwn: user text can never become a mention, a broadcast or a disguised link."""

from __future__ import annotations

SECTION_TEXT_LIMIT = 3000
# A message's top-level `text`; Slack truncates past it.
MESSAGE_TEXT_LIMIT = 40_000


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int = SECTION_TEXT_LIMIT) -> str:
    """Cut text to Slack's limit, marking the cut, without splitting an escape sequence."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"


def fallback(text: str) -> str:
    """A message's `text` (what notifications and screen readers say), escaped: escaping can
    grow typed text fivefold ("&" becomes "&amp;"), so it is cut after, on an entity boundary."""
    return truncate(escape(text), MESSAGE_TEXT_LIMIT)


def section(text: str, **extra: object) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text)}, **extra}


def context(*texts: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(t)}
                                             for t in texts]}


def header(text: str) -> dict:
    return {"type": "header", "text": {"type": "plain_text", "text": truncate(text, 150)}}


def button(text: str, action_id: str, value: str, style: str | None = None) -> dict:
    """A button element: `style` primary or danger, or none."""
    element = {"type": "button", "action_id": action_id, "value": value,
               "text": {"type": "plain_text", "text": text}}
    if style:
        element["style"] = style
    return element
