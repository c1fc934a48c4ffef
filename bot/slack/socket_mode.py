"""Socket Mode: the same listeners, over a WebSocket Slack opens to us (no public URL needed)."""

from __future__ import annotations

import time
from collections.abc import Callable

from slack_bolt import BoltRequest
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.socket_mode.internals import build_headers, send_response
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.slack.dispatch import dispatch
from bot.slack.request_info import describe


class OkrSocketModeHandler(SocketModeHandler):
    """Bolt's built-in handler, routed through our dispatch so every request is logged."""

    # Told of each request's type, outcome and seconds to answer (the runtime's metrics).
    observe_request: Callable[[str | None, str, float], None] | None = None

    def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        started = time.time()
        request = BoltRequest(mode="socket_mode", body=req.payload, headers=build_headers(req))
        response = dispatch(self.app, request, transport="socket")
        send_response(client, req, response, started)
        if self.observe_request is not None:
            self.observe_request(describe(request.body).kind,
                                 "ok" if response.status < 400 else "error", time.time() - started)
