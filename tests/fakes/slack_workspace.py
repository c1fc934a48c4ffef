"""The workspace behind the fake Slack Web API: its users, DMs, views, and how Slack answers.

FakeSlack (slack_api.py) owns the HTTP side, the recording and the injected failures; it
calls FakeWorkspace.answer() only for calls that passed the contract, holding its lock.
"""

from __future__ import annotations

import base64
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from .web_api_contract import slack_view

TRIGGER_TTL = 3.0  # seconds a trigger_id lives (NOTES.md)


def default_user(user_id: str, team_id: str, **fields: Any) -> dict[str, Any]:
    """A users.info `user` object as Slack returns it, with `fields` merged over it."""
    name = fields.get("name", user_id.lower())
    real_name = fields.get("real_name", name.replace(".", " ").title())
    tz = fields.get("tz", "America/New_York")
    now = datetime.now(ZoneInfo(tz))
    offset = now.utcoffset()
    user = {
        "id": user_id, "team_id": team_id, "name": name, "deleted": False, "color": "9f69e7",
        "real_name": real_name, "tz": tz, "tz_label": now.tzname(),
        "tz_offset": int(offset.total_seconds()) if offset else 0,
        "is_admin": False, "is_owner": False, "is_primary_owner": False,
        "is_restricted": False, "is_ultra_restricted": False, "is_bot": False,
        "is_app_user": False, "updated": 1700000000, "is_email_confirmed": True,
    }  # fmt: skip
    profile = {
        "real_name": real_name, "real_name_normalized": real_name, "display_name": name,
        "display_name_normalized": name, "email": f"{name}@example.com", "title": "",
        "status_text": "", "status_emoji": "", "image_72": "https://example.com/a.png",
        "team": team_id,
    }  # fmt: skip
    return user | fields | {"profile": profile | fields.get("profile", {})}


class FakeWorkspace:
    def __init__(self, *, team_id: str, bot_user_id: str, app_id: str, bot_id: str) -> None:
        self.team_id, self.bot_user_id, self.app_id, self.bot_id = (
            team_id, bot_user_id, app_id, bot_id)  # fmt: skip
        self.users: dict[str, dict[str, Any]] = {}
        self._last_ts = 0.0
        self.messages: dict[str, list[dict[str, Any]]] = {}  # by channel, oldest first
        self._opened_dms: set[str] = set()
        self._used_triggers: set[str] = set()
        self._views: dict[str, dict[str, Any]] = {}

    def add_user(self, user_id: str, **fields: Any) -> dict[str, Any]:
        self.users[user_id] = default_user(user_id, self.team_id, **fields)
        return self.users[user_id]

    def dm_channel(self, user_id: str) -> str:
        """The stable D… id conversations.open gives for a user."""
        return "D" + user_id[1:]

    def answer(self, method: str, p: dict[str, Any], problems: list[str]) -> dict[str, Any]:
        """The answer to a valid call; a refusal it explains is appended to `problems`."""
        ok: dict[str, Any] = {"ok": True}
        if method == "auth.test":
            return ok | {
                "url": "https://fake-workspace.slack.com/", "team": "Fake Workspace",
                "user": "okr-bot", "team_id": self.team_id, "user_id": self.bot_user_id,
                "bot_id": self.bot_id, "is_enterprise_install": False,
            }  # fmt: skip
        if method in ("chat.postMessage", "chat.update"):
            channel = p["channel"]
            if channel[:1] in ("U", "W"):  # posting to a user id lands in the app's DM
                channel = self.dm_channel(channel)
            ts = p.get("ts") or self._next_ts()
            message = {"type": "message", "text": p.get("text", ""), "user": self.bot_user_id,
                       "bot_id": self.bot_id, "app_id": self.app_id, "team": self.team_id,
                       "ts": ts} | ({"blocks": p["blocks"]} if "blocks" in p else {})  # fmt: skip
            message |= {"metadata": p["metadata"]} if "metadata" in p else {}
            if p.get("thread_ts") and method == "chat.postMessage":
                parent = next((m for m in self.messages.get(channel, [])
                               if m["ts"] == p["thread_ts"]), None)
                if parent is None:
                    return {"ok": False, "error": "thread_not_found"}
                message["thread_ts"] = p["thread_ts"]
            extra = {"text": message["text"]} if method == "chat.update" else {}
            if method == "chat.postMessage":
                self.messages.setdefault(channel, []).append(message)
            return ok | {"channel": channel, "ts": ts, "message": message} | extra
        if method == "chat.postEphemeral":
            return ok | {"message_ts": self._next_ts()}
        if method == "conversations.history":
            return self._history(p)
        if method == "conversations.replies":
            return self._replies(p)
        if method == "conversations.open":
            return self._conversations_open(p)
        if method == "users.info":
            user = self.users.get(p["user"])
            if user is None:
                return {"ok": False, "error": "user_not_found"}
            return ok | {"user": user | ({"locale": "en-US"} if p.get("include_locale") else {})}
        if method == "users.list":
            return self._users_list(p)
        if method.startswith("views."):
            return self._view(method, p, problems)
        return ok

    def _next_ts(self) -> str:
        # Slack's ts is the posting instant in microseconds, unique in its channel.
        self._last_ts = max(time.time(), self._last_ts + 0.000001)
        return f"{self._last_ts:.6f}"

    def _history(self, p: dict[str, Any]) -> dict[str, Any]:
        """Newest first, after `oldest` (exclusive); metadata only with include_all_metadata.
        One page: the fake's channels are short."""
        oldest = float(p.get("oldest") or 0)
        limit = int(p.get("limit") or 100)
        with_metadata = p.get("include_all_metadata") in (True, "1", "true")
        # Replies stay in their thread (conversations.replies), as in Slack.
        found = [m if with_metadata else {k: v for k, v in m.items() if k != "metadata"}
                 for m in reversed(self.messages.get(p["channel"], []))
                 if float(m["ts"]) > oldest and m.get("thread_ts", m["ts"]) == m["ts"]][:limit]
        return {"ok": True, "messages": found, "has_more": False,
                "response_metadata": {"next_cursor": ""}}

    def _replies(self, p: dict[str, Any]) -> dict[str, Any]:
        """A thread: its parent, then its replies oldest first, after `oldest` (exclusive);
        metadata only with include_all_metadata. One page."""
        oldest = float(p.get("oldest") or 0)
        with_metadata = p.get("include_all_metadata") in (True, "1", "true")
        thread = [m for m in self.messages.get(p["channel"], [])
                  if m["ts"] == p["ts"] or m.get("thread_ts") == p["ts"]]
        if not thread:
            return {"ok": False, "error": "thread_not_found"}
        found = [m if with_metadata else {k: v for k, v in m.items() if k != "metadata"}
                 for m in thread if m["ts"] == p["ts"] or float(m["ts"]) > oldest]
        return {"ok": True, "messages": found, "has_more": False,
                "response_metadata": {"next_cursor": ""}}

    def _conversations_open(self, p: dict[str, Any]) -> dict[str, Any]:
        users = [u for u in str(p.get("users") or "").split(",") if u]
        if not users:
            return {"ok": True, "channel": {"id": p["channel"]}}
        if any(u[:1] not in ("U", "W") for u in users):
            return {"ok": False, "error": "user_not_found"}
        channel_id = self.dm_channel(users[0]) if len(users) == 1 else "G" + "".join(users)[:10]
        answer: dict[str, Any] = {"ok": True, "channel": {"id": channel_id}}
        if channel_id in self._opened_dms:
            answer |= {"no_op": True, "already_open": True}
        self._opened_dms.add(channel_id)
        if p.get("return_im") in (True, "1", "true"):
            answer["channel"] |= {"is_im": True, "user": users[0], "created": 1700000000}
        return answer

    def _users_list(self, p: dict[str, Any]) -> dict[str, Any]:
        members = list(self.users.values())
        start = 0
        if cursor := p.get("cursor"):
            try:
                user_id = base64.b64decode(cursor).decode().removeprefix("user:")
                start = next(i for i, m in enumerate(members) if m["id"] == user_id)
            except (ValueError, StopIteration):
                return {"ok": False, "error": "invalid_cursor"}
        limit = min(int(p.get("limit") or 0) or len(members), 1000)
        page = members[start : start + limit]
        rest = members[start + limit :]
        next_cursor = base64.b64encode(f"user:{rest[0]['id']}".encode()).decode() if rest else ""
        return {"ok": True, "members": page, "cache_ts": int(time.time()),
                "response_metadata": {"next_cursor": next_cursor}}  # fmt: skip

    def _view(self, method: str, p: dict[str, Any], problems: list[str]) -> dict[str, Any]:
        trigger = p.get("trigger_id")
        if trigger and method in ("views.open", "views.push"):
            issued = trigger.split(".")[0]
            if trigger in self._used_triggers:
                error = "exchanged_trigger_id"
            elif issued.isdigit() and time.time() - int(issued) / 1000 > TRIGGER_TTL:
                error = "expired_trigger_id"
            else:
                error = ""
            self._used_triggers.add(trigger)
            if error:
                problems.append(f"{method}: {error} (a trigger_id works once, within 3 s)")
                return {"ok": False, "error": error}
        view_id = f"V{len(self._views) + 1:08d}"
        if method == "views.update":
            wanted = {p.get("view_id"), p.get("external_id")} - {None}
            match = [v for v in self._views.values() if {v["id"], v["external_id"]} & wanted]
            if not match:
                return {"ok": False, "error": "not_found"}
            view_id = match[0]["id"]
        if method == "views.publish":
            view_id = next((v["id"] for v in self._views.values()
                            if v.get("user_id") == p["user_id"]), view_id)  # fmt: skip
        view = slack_view(p["view"], view_id=view_id, team_id=self.team_id, app_id=self.app_id)
        self._views[view_id] = view | ({"user_id": p["user_id"]} if "user_id" in p else {})
        return {"ok": True, "view": view}
