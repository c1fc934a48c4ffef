"""Every Slack request, from HTTP or Socket Mode, goes through `dispatch`: one log line each."""

from __future__ import annotations

import logging
import time

from slack_bolt import App, BoltRequest, BoltResponse

from bot.logs import structured
from bot.slack.request_info import describe

log = logging.getLogger("bot.slack.requests")


def dispatch(app: App, request: BoltRequest, *, transport: str) -> BoltResponse:
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
