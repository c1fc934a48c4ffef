"""chat.postMessage for the sender, on a connection each worker thread keeps for the run.

slack_sdk's WebClient opens a connection per call (urllib) and wraps each in layers of its
own; for the sender's thousands of posts a minute that was most of its CPU per DM
(docs/performance.md). This sends the same JSON request with the same token and headers and
reads Slack's answer into the sender's Attempt; a connection Slack closes is opened again
for the next post. Everything else the sender asks (conversations.open, history) stays on
WebClient, and so does every post when WebClient goes through a proxy.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from slack_sdk import WebClient

from bot.outbox.pacing import Attempt, retry_after_seconds

# A kept connection idle longer than this is opened again before the next post.
IDLE_SECONDS = 5.0

Answer = tuple[dict[str, Any] | None, Attempt | None]


class Poster:
    """Posts for one workspace's token during one run; `close()` when the run ends."""

    def __init__(self, client: WebClient, *, timeout: float) -> None:
        url = urlsplit(client.base_url)
        self._https = url.scheme == "https"
        self._host, self._port = url.hostname or "", url.port
        self._path = url.path.rstrip("/") + "/chat.postMessage"
        self._ssl, self._timeout = client.ssl, timeout
        self._headers = {**client.headers, "Authorization": f"Bearer {client.token}",
                         "Content-Type": "application/json;charset=utf-8"}
        self._local = threading.local()
        self._opened: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    @staticmethod
    def usable(client: WebClient) -> bool:
        """Whether the client talks to Slack directly (no proxy to go through)."""
        return not client.proxy and urlsplit(client.base_url).scheme in ("http", "https")

    def _connection(self) -> http.client.HTTPConnection:
        connection = getattr(self._local, "connection", None)
        idle = time.monotonic() - getattr(self._local, "used", 0.0)
        if connection is not None and idle > IDLE_SECONDS:
            # Slack may have closed it meanwhile; found out only after a post was written
            # into it, that post's fate would be unknown (a 30-s wait and a look in the
            # channel): a fresh connection costs less.
            connection.close()
        if connection is None:
            if self._https:
                connection = http.client.HTTPSConnection(self._host, self._port,
                                                         timeout=self._timeout,
                                                         context=self._ssl)
            else:
                connection = http.client.HTTPConnection(self._host, self._port,
                                                        timeout=self._timeout)
            self._local.connection = connection
            with self._lock:
                self._opened.append(connection)
        return connection

    def post(self, params: dict[str, Any]) -> Answer:
        """Slack's answer, or the Attempt that says how the call failed (as the sender's
        `_call` words slack_sdk's errors)."""
        connection = self._connection()
        self._local.used = time.monotonic()
        try:
            connection.request("POST", self._path, json.dumps(params).encode(),
                               self._headers)
            response = connection.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as error:
            # A timeout, a dropped connection, a garbled answer: Slack may have posted it.
            connection.close()
            return None, Attempt(error=f"no answer from Slack: {error!r}"[:300], status=0)
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        data = data if isinstance(data, dict) else {}
        status = response.status
        if status == 200 and data.get("ok"):
            return data, None
        retry_after = None
        if status == 429:
            retry_after = retry_after_seconds(response.getheader("Retry-After"))
        reason = str(data.get("error") or "")
        if status >= 500 or not reason:
            reason = f"HTTP {status}"  # a 5xx page is not JSON
        return None, Attempt(error=reason, status=status, retry_after=retry_after)

    def close(self) -> None:
        with self._lock:
            opened, self._opened = self._opened, []
        for connection in opened:
            connection.close()
