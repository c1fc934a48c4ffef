"""Every Slack request, from HTTP or Socket Mode, goes through `dispatch`: one log line each.

Over HTTP, `http_request` comes first: the signature is checked on the raw bytes before
anything is parsed, so a request nobody signed never reaches a parser, Bolt or the database.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Mapping
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.request.internals import parse_body

from bot import clock, deadline
from bot.logs import structured
from bot.slack.request_info import describe

log = logging.getLogger("bot.slack.requests")

# Slack gives up on an answer after 3 seconds: the database gets this long, which leaves
# room for the apology (a hung database is given up on, bot/deadline.py).
DATABASE_SECONDS = 2.5

# A Unix time in seconds has 10 digits until the year 2286; anything longer is not Slack's.
TIMESTAMP_DIGITS = 12
# Slack's rule: a request signed more than five minutes from now may be a replay.
MAX_SIGNATURE_AGE = 5 * 60


class SignatureCheck:
    """Slack's v0 signature over the raw bytes: HMAC-SHA256 of `v0:{timestamp}:{body}`.

    Done here rather than with slack_sdk's SignatureVerifier, which calls int() on the
    timestamp and decodes the body as UTF-8, raising on what a stranger may send."""

    def __init__(self, signing_secret: str) -> None:
        self._key = signing_secret.encode()

    def __call__(self, raw: bytes, headers: Mapping[str, str]) -> bool:
        timestamp = headers.get("x-slack-request-timestamp") or ""
        signature = headers.get("x-slack-signature") or ""
        if not (timestamp.isascii() and timestamp.isdigit()
                and len(timestamp) <= TIMESTAMP_DIGITS):
            return False
        if abs(clock.now().timestamp() - int(timestamp)) > MAX_SIGNATURE_AGE:
            return False
        base = b"v0:" + timestamp.encode() + b":" + raw
        expected = "v0=" + hmac.new(self._key, base, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))


# What Bolt and our listeners index into, with the shapes Slack always sends. Anything else
# would make them fail with a traceback deep inside; it is refused at the door instead.
_OBJECTS = ("event", "view", "message", "state", "container", "function_data")
_OBJECT_OR_ID = ("team", "user", "channel", "enterprise")
_TEXTS = ("type", "command", "text", "trigger_id", "response_url", "event_id", "team_id",
          "user_id", "channel_id", "callback_id", "action_id")


def well_formed(body: Any) -> bool:
    if not isinstance(body, dict):
        return False
    for key in _OBJECTS:
        if body.get(key) is not None and not isinstance(body[key], dict):
            return False
    for key in _OBJECT_OR_ID:
        if body.get(key) is not None and not isinstance(body[key], dict | str):
            return False
    for key in _TEXTS:
        if body.get(key) is not None and not isinstance(body[key], str):
            return False
    for key in ("actions", "authorizations", "response_urls"):
        items = body.get(key)
        if items is not None and not (isinstance(items, list)
                                      and all(isinstance(item, dict) for item in items)):
            return False
    return not ("actions" in body and not body["actions"])


def _refused(status: int, reason: str, level: int) -> BoltResponse:
    # One quiet line: a stranger's malformed or forged request is not our error.
    structured(log, level, "slack_request_refused", transport="http", status=status,
               reason=reason)
    return BoltResponse(status=status, body=reason)


def http_request(raw: bytes, *, query: str, headers: Mapping[str, str],
                 signed_by_slack: SignatureCheck) -> BoltRequest | BoltResponse:
    """The Bolt request for an HTTP delivery, or the response refusing it (401 unsigned or
    badly signed, 400 signed but unreadable). `headers` has lower-case names."""
    if not signed_by_slack(raw, headers):
        return _refused(401, "invalid request signature", logging.INFO)
    try:
        text = raw.decode("utf-8")
        content_type = (headers.get("content-type") or "").split(";")[0].strip() or None
        parsed = parse_body(text, content_type)
    except ValueError:  # not UTF-8, not JSON
        return _refused(400, "request body is not readable", logging.WARNING)
    if not well_formed(parsed):
        return _refused(400, "request body has an unexpected shape", logging.WARNING)
    return BoltRequest(body=text, query=query, headers=dict(headers))


def dispatch(app: App, request: BoltRequest, *, transport: str) -> BoltResponse:
    with deadline.within(DATABASE_SECONDS):
        return _dispatch(app, request, transport=transport)


def _dispatch(app: App, request: BoltRequest, *, transport: str) -> BoltResponse:
    started = time.perf_counter()
    status = 500
    try:
        response = app.dispatch(request)
        status = response.status
        return response
    finally:
        # Listener hooks finish the unit of work; this catches requests no listener took.
        unit_of_work = request.context.get("unit_of_work")
        if unit_of_work is not None:
            unit_of_work.finish(commit=False)
        info = describe(request.body)
        retry = (request.headers.get("x-slack-retry-num") or [None])[0]
        structured(
            log, logging.INFO if status < 400 else logging.WARNING, "slack_request",
            transport=transport, type=info.kind, name=info.name, team=info.team,
            status=status, latency_ms=f"{(time.perf_counter() - started) * 1000:.1f}",
            retry=retry,
        )
