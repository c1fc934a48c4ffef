"""The sender's chat.postMessage against an HTTP/1.1 server that keeps connections open, as
Slack does (the fake Slack closes each one): posts share a thread's connection, one the server
closed is opened again, and each answer is read as the sender's Attempt."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from slack_sdk import WebClient

from bot.outbox.pacing import Attempt
from bot.outbox.posting import Poster

TOKEN = "xoxb-posting-test"


class _Slack(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Slack's
    seen: list[tuple[int, str, str, dict]]  # (client port, path, authorization, body)

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.seen.append((self.client_address[1], self.path,
                          self.headers["Authorization"], body))
        status, headers, answer = {
            "slow": lambda: (time.sleep(1.0), (200, {}, b'{"ok": true}'))[1],
            "limited": lambda: (429, {"Retry-After": "3"},
                                b'{"ok": false, "error": "ratelimited"}'),
            "gone": lambda: (200, {}, b'{"ok": false, "error": "channel_not_found"}'),
            "broken": lambda: (503, {}, b"<html>Service Unavailable</html>"),
            "bye": lambda: (200, {"Connection": "close"},
                            json.dumps({"ok": True, "ts": "2.0", "channel": "D1"}).encode()),
        }.get(body["text"], lambda: (200, {}, json.dumps(
            {"ok": True, "ts": "1.0", "channel": body["channel"]}).encode()))()
        try:
            self.send_response(status)
            for name, value in {"Content-Type": "application/json",
                                "Content-Length": str(len(answer)), **headers}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(answer)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the slow one: the caller gave up
            return
        if headers.get("Connection") == "close":
            self.close_connection = True

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def slack() -> Iterator[tuple[str, list]]:
    seen: list = []
    handler = type("Handler", (_Slack,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/", seen
    server.shutdown()
    server.server_close()


def post(poster: Poster, text: str) -> tuple[dict | None, Attempt | None]:
    return poster.post({"channel": "D1", "text": text})


def test_posts_share_a_connection_and_one_the_server_closed_is_opened_again(
        slack: tuple[str, list]) -> None:
    url, seen = slack
    poster = Poster(WebClient(token=TOKEN, base_url=url), timeout=2)
    try:
        answers = [post(poster, f"Hello {n}") for n in range(3)]
        assert answers == [({"ok": True, "ts": "1.0", "channel": "D1"}, None)] * 3
        assert post(poster, "bye") == ({"ok": True, "ts": "2.0", "channel": "D1"}, None)
        assert post(poster, "Hello again")[1] is None
    finally:
        poster.close()
    ports = [port for port, *_ in seen]
    assert len(set(ports[:4])) == 1 and ports[4] != ports[0]  # one connection, then another
    assert {(path, auth) for _, path, auth, _ in seen} == {
        ("/api/chat.postMessage", f"Bearer {TOKEN}")}
    assert [body["text"] for *_, body in seen] == [
        "Hello 0", "Hello 1", "Hello 2", "bye", "Hello again"]


def test_each_answer_is_read_as_the_sender_reads_slack_sdks_errors(
        slack: tuple[str, list]) -> None:
    url, _ = slack
    poster = Poster(WebClient(token=TOKEN, base_url=url), timeout=0.5)
    try:
        assert post(poster, "limited") == (None, Attempt(error="ratelimited", status=429,
                                                         retry_after=3.0))
        assert post(poster, "gone") == (None, Attempt(error="channel_not_found", status=200))
        assert post(poster, "broken") == (None, Attempt(error="HTTP 503", status=503))
        answer, failure = post(poster, "slow")  # no answer within the timeout
        assert answer is None and failure is not None and failure.status == 0
        assert failure.uncertain  # it may have been posted: looked for before a resend
        assert post(poster, "Hello")[1] is None  # and the next post gets through
    finally:
        poster.close()
