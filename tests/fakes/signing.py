"""Send requests to the app the way Slack does: same bodies, same headers, signed (v0).

Slack signs `v0:{timestamp}:{raw body}` with HMAC-SHA256 and the app's signing secret, and
rejects nothing itself: it is the app (Bolt) that must refuse a bad or stale signature. The
kwargs `signing_secret=` and `timestamp=` on every method exist to test that refusal.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .web_api_contract import slack_view

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"


def sign_request(body: bytes, signing_secret: str, timestamp: int | None = None) -> dict[str, str]:
    """The two headers Slack adds: X-Slack-Request-Timestamp and X-Slack-Signature."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + ts.encode() + b":" + body
    digest = hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


@dataclass
class SlackReply:
    status: int
    headers: dict[str, str]
    body: str
    json: Any | None
    elapsed: float  # seconds; Slack gives up after 3


_counter = itertools.count(1)


def new_trigger_id() -> str:
    """Shaped like Slack's ("13345224609.738474920.8088930838d88f008e0").

    The first part is the issue time in milliseconds, which FakeSlack reads to answer
    `expired_trigger_id` after 3 s, as Slack does.
    """
    return f"{int(time.time() * 1000)}.{next(_counter)}.{secrets.token_hex(10)}"


class SlackSender:
    """Posts slash commands, events and interactivity payloads to an app's request URL."""

    def __init__(
        self,
        url: str,
        signing_secret: str,
        *,
        team_id: str = "T0TEST",
        api_app_id: str = "A0TEST",
        team_domain: str = "fake-workspace",
        bot_user_id: str = "UBOT",
        verification_token: str = "legacy-verification-token",  # noqa: S107 (a fake)
        timeout: float = 10,
        response_urls: Callable[[str], str] | None = None,
        enterprise_id: str | None = None,
        is_enterprise_install: bool = False,
    ) -> None:
        """`enterprise_id`: the workspace is in that Enterprise Grid org; with
        `is_enterprise_install` okr-bot is installed org-wide there, and every request says
        so (in `authorizations` for events), as Slack does."""
        self.url = url
        self.enterprise_id = enterprise_id
        self.is_enterprise_install = is_enterprise_install
        self.signing_secret = signing_secret
        self.team_id = team_id
        self.api_app_id = api_app_id
        self.team_domain = team_domain
        self.bot_user_id = bot_user_id
        self.verification_token = verification_token  # deprecated by Slack, still sent
        self.timeout = timeout
        # Where response_urls point: pass FakeSlack.response_url so respond() lands in the fake.
        # Otherwise they point at a closed local port, so a stray respond() fails fast instead
        # of reaching the internet.
        self.response_urls = response_urls or (lambda kind: f"http://127.0.0.1:9/{kind}/unused")

    # -- raw -----------------------------------------------------------------------------
    def post(
        self,
        body: bytes,
        headers: dict[str, str] | None = None,
        *,
        signing_secret: str | None = None,
        timestamp: int | None = None,
        sign: bool = True,
    ) -> SlackReply:
        """POST `body` as is; signed unless `sign=False`, with any header overridden."""
        all_headers = {"Content-Type": FORM, "User-Agent": USER_AGENT}
        if sign:
            secret = self.signing_secret if signing_secret is None else signing_secret
            all_headers |= sign_request(body, secret, timestamp)
        all_headers |= headers or {}
        request = urllib.request.Request(self.url, data=body, headers=all_headers, method="POST")
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status, raw, got = response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as e:  # 4xx/5xx are answers too
            status, raw, got = e.code, e.read(), dict(e.headers)
            e.close()
        elapsed = time.perf_counter() - started
        text = raw.decode("utf-8", errors="replace")
        try:
            parsed = json.loads(text) if text.strip() else None
        except ValueError:
            parsed = None
        return SlackReply(status, got, text, parsed, elapsed)

    def _post_form(self, fields: dict[str, str], **sign: Any) -> SlackReply:
        return self.post(urllib.parse.urlencode(fields).encode(), {"Content-Type": FORM}, **sign)

    def _post_json(
        self, payload: dict[str, Any], headers: dict[str, str], **sign: Any
    ) -> SlackReply:
        body = json.dumps(payload).encode()
        return self.post(body, {"Content-Type": JSON} | headers, **sign)

    # -- slash commands ----------------------------------------------------------------------
    def command(
        self,
        text: str,
        *,
        user_id: str = "U0ALICE",
        user_name: str | None = None,
        command: str = "/okr",
        channel_id: str = "C0GENERAL",
        channel_name: str = "general",
        response_url: str | None = None,
        trigger_id: str | None = None,
        **sign: Any,
    ) -> SlackReply:
        """A slash command, form-encoded with the fields (and in the order) Slack sends."""
        fields = {
            "token": self.verification_token,
            "team_id": self.team_id,
            "team_domain": self.team_domain,
            "channel_id": channel_id,
            "channel_name": channel_name,
            "user_id": user_id,
            "user_name": user_name or user_id.lower(),
            "command": command,
            "text": text,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "true" if self.is_enterprise_install else "false",
            "response_url": response_url or self.response_urls("commands"),
            "trigger_id": trigger_id or new_trigger_id(),
        }
        if self.enterprise_id:
            fields |= {"enterprise_id": self.enterprise_id,
                       "enterprise_name": f"{self.enterprise_id} Grid"}
        return self._post_form(fields, **sign)

    # -- Events API ------------------------------------------------------------------------
    def event_envelope(
        self, event: dict[str, Any], *, event_id: str | None = None
    ) -> dict[str, Any]:
        """The `event_callback` wrapper (valid against slack_common_event_wrapper_schema.json)."""
        now = time.time()
        org = {"enterprise_id": self.enterprise_id} if self.enterprise_id else {}
        return org | {
            "token": self.verification_token,
            "team_id": self.team_id,
            "api_app_id": self.api_app_id,
            "event": {"event_ts": f"{now:.6f}"} | event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{secrets.token_hex(5).upper()}",
            "event_time": int(now),
            "authorizations": [
                {
                    "enterprise_id": self.enterprise_id,
                    "team_id": self.team_id,
                    "user_id": self.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": self.is_enterprise_install,
                }
            ],
            "is_ext_shared_channel": False,
            "authed_users": [self.bot_user_id],  # deprecated, but the schema requires it
        }

    def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str | None = None,
        **sign: Any,
    ) -> SlackReply:
        """An Events API delivery; Slack marks redeliveries with X-Slack-Retry-* headers."""
        headers = {}
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
        if retry_reason is not None:
            headers["X-Slack-Retry-Reason"] = retry_reason
        return self._post_json(self.event_envelope(event, event_id=event_id), headers, **sign)

    def url_verification(self, challenge: str, **sign: Any) -> SlackReply:
        payload = {"token": self.verification_token, "challenge": challenge}
        return self._post_json(payload | {"type": "url_verification"}, {}, **sign)

    # -- interactivity (form-encoded `payload=<json>`) ---------------------------------------
    def _user(self, user_id: str) -> dict[str, str]:
        name = user_id.lower()
        return {"id": user_id, "username": name, "name": name, "team_id": self.team_id}

    def _team_and_org(self) -> dict[str, Any]:
        """An interaction's team and org. Installed org-wide, Slack may send no team: the
        person's (`user.team_id`) is the workspace."""
        team = {"id": self.team_id, "domain": self.team_domain}
        if self.enterprise_id:
            team["enterprise_id"] = self.enterprise_id
        org = {"id": self.enterprise_id, "name": f"{self.enterprise_id} Grid"} \
            if self.enterprise_id else None
        return {"team": None if self.is_enterprise_install else team, "enterprise": org,
                "is_enterprise_install": self.is_enterprise_install}

    def _interaction(self, payload: dict[str, Any], **sign: Any) -> SlackReply:
        return self._post_form({"payload": json.dumps(payload)}, **sign)

    def block_actions(
        self,
        actions: list[dict[str, Any]],
        *,
        user_id: str = "U0ALICE",
        response_url: str | None = None,
        channel_id: str = "C0GENERAL",
        message: dict[str, Any] | None = None,
        view: dict[str, Any] | None = None,
        state: dict[str, Any] | None = None,
        trigger_id: str | None = None,
        **sign: Any,
    ) -> SlackReply:
        """A click in a message (default) or, with `view=`, in a modal or the Home tab."""
        now = f"{time.time():.6f}"
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": self._user(user_id),
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "trigger_id": trigger_id or new_trigger_id(),
            "state": {"values": state or {}},
            # Slack generates a block_id when the app set none
            "actions": [{"action_ts": now, "block_id": secrets.token_hex(3)} | a for a in actions],
        }
        payload |= self._team_and_org()
        if view is not None:  # no channel and no response_url for actions in a view
            view = self._complete_view(view)
            payload["container"] = {"type": "view", "view_id": view["id"]}
            payload["view"] = view
        else:
            msg = {"type": "message", "ts": "1700000000.000100", "text": ""} | (message or {})
            payload["container"] = {
                "type": "message",
                "message_ts": msg["ts"],
                "channel_id": channel_id,
                "is_ephemeral": False,
            }
            payload["channel"] = {"id": channel_id, "name": "general"}
            payload["message"] = msg
            payload["response_url"] = response_url or self.response_urls("actions")
        return self._interaction(payload, **sign)

    def view_submission(
        self, view: dict[str, Any], *, user_id: str = "U0ALICE", **sign: Any
    ) -> SlackReply:
        """A modal submitted; put the inputs in `view["state"]["values"]`."""
        payload = {
            "type": "view_submission",
            "team": {"id": self.team_id, "domain": self.team_domain},
            "user": self._user(user_id),
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "trigger_id": new_trigger_id(),
            "view": self._complete_view(view),
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
        return self._interaction(payload, **sign)

    def _complete_view(self, view: dict[str, Any]) -> dict[str, Any]:
        view_id = view.get("id") or f"V{secrets.token_hex(5).upper()}"
        return slack_view(view, view_id=view_id, team_id=self.team_id, app_id=self.api_app_id)
