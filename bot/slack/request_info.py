"""What kind of Slack request a body is, for logs and error handling. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RequestInfo:
    kind: str  # command, event, action, view, shortcut, options, url_verification, unknown
    name: str | None = None  # "/okr help", "app_home_opened", an action id, a callback id
    team: str | None = None
    user: str | None = None


def _team(body: Mapping[str, Any]) -> str | None:
    team = body.get("team_id") or body.get("team")
    if isinstance(team, Mapping):
        team = team.get("id")
    if team is None and isinstance(body.get("user"), Mapping):  # an org-wide install's click
        team = body["user"].get("team_id")
    return team if isinstance(team, str) else None


def _user(body: Mapping[str, Any]) -> str | None:
    user = body.get("user_id") or body.get("user")
    if isinstance(user, Mapping):
        user = user.get("id")
    return user if isinstance(user, str) else None


def describe(body: Mapping[str, Any] | None) -> RequestInfo:
    if not isinstance(body, Mapping) or not body:
        return RequestInfo("unknown")
    team, user = _team(body), _user(body)
    if "command" in body:
        # Only the subcommand word is logged: the rest is the person's own text.
        subcommand = str(body.get("text") or "").strip().partition(" ")[0][:32]
        name = f"{body['command']} {subcommand}".strip()
        return RequestInfo("command", name, team, user)
    kind = body.get("type")
    if kind == "event_callback":
        event = body.get("event") or {}
        return RequestInfo("event", event.get("type"), team, event.get("user") or user)
    if kind == "url_verification":
        return RequestInfo("url_verification")
    if kind == "block_actions":
        actions = body.get("actions") or [{}]
        return RequestInfo("action", actions[0].get("action_id"), team, user)
    if kind in ("view_submission", "view_closed"):
        return RequestInfo("view", (body.get("view") or {}).get("callback_id"), team, user)
    if kind in ("shortcut", "message_action"):
        return RequestInfo("shortcut", body.get("callback_id"), team, user)
    if kind == "block_suggestion":
        return RequestInfo("options", body.get("action_id"), team, user)
    return RequestInfo(str(kind or "unknown"), None, team, user)
