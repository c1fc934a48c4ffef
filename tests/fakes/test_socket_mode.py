"""The fake's Socket Mode: slack_sdk's own client makes a round trip through it, and the
WebSocket server keeps RFC 6455 (pings, large and fragmented frames, refusals)."""

from __future__ import annotations

import base64
import json
import os
import socket
from collections.abc import Iterator
from typing import Any, BinaryIO

import pytest
from slack_sdk import WebClient
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.response import SocketModeResponse

from tests.fakes import FakeSlack
from tests.fakes import socket_mode as ws

pytestmark = pytest.mark.usefixtures("no_threads_left_behind")


def test_builtin_socket_mode_client_round_trip(fake: FakeSlack) -> None:
    client = SocketModeClient(
        app_token=fake.app_token, web_client=WebClient(base_url=fake.base_url)
    )
    messages: list[dict[str, Any]] = []
    client.message_listeners.append(lambda _client, message, _raw: messages.append(message))

    def ack(c: Any, request: Any) -> None:  # an ack longer than 125 bytes: a 16-bit length
        text = f"got {request.payload['text'][:5]}" + "!" * 200
        c.send_socket_mode_response(SocketModeResponse(request.envelope_id, {"text": text}))

    client.socket_mode_request_listeners.append(ack)
    try:
        client.connect()
        fake.socket_mode.wait_connected()
        big = "k" * 70_000  # more than 65535 bytes: a 64-bit length frame to the client
        envelope_id = fake.socket_mode.send_envelope("slash_commands", {"text": big})
        assert fake.socket_mode.wait_ack(envelope_id)["payload"]["text"].startswith("got kkkkk!")
    finally:
        client.close()
    assert messages[0]["type"] == "hello"
    [open_call] = fake.calls_to("apps.connections.open")
    assert open_call.headers["Authorization"] == f"Bearer {fake.app_token}"
    assert open_call.response["url"].startswith(f"ws://127.0.0.1:{fake.socket_mode.port}/link")


@pytest.fixture
def ws_server() -> Iterator[ws.SocketModeServer]:
    server = ws.SocketModeServer(ping_interval=0.05).start()
    yield server
    server.stop()


def _handshake(
    server: ws.SocketModeServer, key: str | None = None
) -> tuple[socket.socket, BinaryIO, bytes]:
    key = key or base64.b64encode(os.urandom(16)).decode()
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    request = (
        "GET /link/?ticket=t HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    sock.sendall(request.encode())
    rfile = sock.makefile("rb")
    status = rfile.readline()
    headers = {}
    while line := rfile.readline().strip():
        name, _, value = line.decode().partition(":")
        headers[name.lower()] = value.strip()
    if b" 101 " in status:
        assert headers["sec-websocket-accept"] == ws.accept_key(key)
    return sock, rfile, status


def _next_frame(rfile: BinaryIO) -> tuple[int, bytes]:
    while True:  # the server pings every 0.05 s here
        _fin, opcode, payload = ws.read_frame(rfile, require_mask=False)
        if opcode != ws.OP_PING:
            return opcode, payload


def test_websocket_protocol_details(ws_server: ws.SocketModeServer) -> None:
    sock, rfile, _ = _handshake(ws_server)
    with sock, rfile:
        assert json.loads(_next_frame(rfile)[1])["type"] == "hello"
        mask = os.urandom(4)
        sock.sendall(ws.encode_frame(ws.OP_PING, b"are you there", mask=mask))
        assert _next_frame(rfile) == (ws.OP_PONG, b"are you there")
        huge = json.dumps({"envelope_id": "e1", "payload": {"text": "z" * 70_000}}).encode()
        sock.sendall(ws.encode_frame(ws.OP_TEXT, huge, mask=mask))  # 64-bit length, masked
        assert ws_server.wait_ack("e1")["payload"]["text"] == "z" * 70_000
        part1, part2 = b'{"envelope_id": ', b'"e2"}'  # a fragmented message
        sock.sendall(
            ws.encode_frame(ws.OP_TEXT, part1, mask=mask, fin=False)
            + ws.encode_frame(0, part2, mask=mask)
        )
        assert ws_server.wait_ack("e2") == {"envelope_id": "e2"}
        sock.sendall(ws.encode_frame(ws.OP_CLOSE, (1000).to_bytes(2, "big"), mask=mask))
        assert _next_frame(rfile) == (ws.OP_CLOSE, (1000).to_bytes(2, "big"))


def test_websocket_refusals(ws_server: ws.SocketModeServer) -> None:
    sock, rfile, status = _handshake(ws_server, key="too-short")
    with sock, rfile:
        assert b" 400 " in status
    sock, rfile, _ = _handshake(ws_server)
    with sock, rfile:
        _next_frame(rfile)  # hello
        sock.sendall(ws.encode_frame(ws.OP_TEXT, b"{}"))  # unmasked: RFC 6455 says fail with 1002
        opcode, payload = _next_frame(rfile)
        assert (opcode, payload[:2]) == (ws.OP_CLOSE, (1002).to_bytes(2, "big"))
