"""A minimal Socket Mode endpoint: an RFC 6455 WebSocket server on 127.0.0.1 (stdlib only).

Written against slack_sdk's builtin client (slack_sdk/socket_mode/builtin), which:
- uses plain TCP for any port other than 443, so `ws://127.0.0.1:PORT` works;
- sends the standard upgrade request and checks Sec-WebSocket-Accept;
- pings right after the handshake and then every `ping_interval` (5 s) and expects pongs
  echoing its payload; it answers our pings with pongs;
- masks its frames (as RFC 6455 demands) but can only *send* lengths up to 65535;
- reads server frames of any length (7-bit, 16-bit and 64-bit lengths), unmasked;
- blocks up to 3 s in recv() while holding the lock close() needs, so we ping every
  `ping_interval` (0.2 s here) to keep client shutdown fast, much as Slack pings its clients;
- misreads a frame of exactly 2 bytes (waits for more data), so our pings carry a payload.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import socket
import struct
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any, BinaryIO

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_CONTINUATION, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
MAX_MESSAGE = 16 * 1024 * 1024


def accept_key(key: str) -> str:
    return base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()  # noqa: S324


def _xor(data: bytes, mask: bytes) -> bytes:
    """Apply a 4-byte WebSocket mask (as one big-integer XOR: fast for large payloads)."""
    if not data:
        return data
    key = (mask * (len(data) // 4 + 1))[: len(data)]
    return (int.from_bytes(data, "big") ^ int.from_bytes(key, "big")).to_bytes(len(data), "big")


def encode_frame(
    opcode: int, payload: bytes, *, mask: bytes | None = None, fin: bool = True
) -> bytes:
    """One frame. Servers send unmasked frames; pass `mask` to build a client frame in tests."""
    head = bytes([(0x80 if fin else 0) | opcode])
    mask_bit = 0x80 if mask else 0
    n = len(payload)
    if n < 126:
        head += bytes([mask_bit | n])
    elif n < 1 << 16:
        head += struct.pack("!BH", mask_bit | 126, n)
    else:
        head += struct.pack("!BQ", mask_bit | 127, n)
    return head + mask + _xor(payload, mask) if mask else head + payload


def _is_websocket_key(key: str) -> bool:
    try:
        return len(base64.b64decode(key, validate=True)) == 16
    except ValueError:
        return False


class ProtocolError(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"{code} {reason}")
        self.code, self.reason = code, reason


def read_frame(rfile: BinaryIO, *, require_mask: bool) -> tuple[bool, int, bytes]:
    """(fin, opcode, unmasked payload); raises EOFError when the peer went away."""

    def exactly(n: int) -> bytes:
        data = rfile.read(n)
        if data is None or len(data) < n:
            raise EOFError
        return data

    b1, b2 = exactly(2)
    fin, opcode, masked, n = bool(b1 & 0x80), b1 & 0x0F, bool(b2 & 0x80), b2 & 0x7F
    if b1 & 0x70:
        raise ProtocolError(1002, "reserved bits set without an extension")
    if opcode not in (OP_CONTINUATION, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG):
        raise ProtocolError(1002, f"reserved opcode {opcode:#x}")
    if masked != require_mask:
        raise ProtocolError(1002, "client frames must be masked" if require_mask else "masked")
    if n == 126:
        (n,) = struct.unpack("!H", exactly(2))
    elif n == 127:
        (n,) = struct.unpack("!Q", exactly(8))
    if opcode >= OP_CLOSE and (n > 125 or not fin):
        raise ProtocolError(1002, "control frames must be short and unfragmented")
    if n > MAX_MESSAGE:
        raise ProtocolError(1009, "message too big")
    mask = exactly(4) if masked else b""
    payload = exactly(n)
    return fin, opcode, _xor(payload, mask) if masked else payload


@dataclass(eq=False)
class _Connection:
    sock: socket.socket
    rfile: BinaryIO
    path: str = ""
    open: bool = False
    send_lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, opcode: int, payload: bytes) -> None:
        with self.send_lock:
            self.sock.sendall(encode_frame(opcode, payload))

    def close(self, code: int = 1000, reason: str = "") -> None:
        if self.open:
            self.open = False
            with contextlib.suppress(OSError):
                self.send(OP_CLOSE, struct.pack("!H", code) + reason.encode())
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes our reader thread blocked in recv()
        self.sock.close()


class SocketModeServer:
    """Speaks to Socket Mode clients as Slack would; `FakeSlack.socket_mode` owns one."""

    def __init__(self, *, app_id: str = "A0TEST", ping_interval: float = 0.2) -> None:
        self.app_id = app_id
        self.ping_interval = ping_interval
        self.received: list[dict[str, Any]] = []  # every JSON message a client sent
        self.acks: dict[str, dict[str, Any]] = {}
        self._connections: list[_Connection] = []
        self._threads: list[threading.Thread] = []
        self._cond = threading.Condition()
        self._stopped = threading.Event()
        self._listener: socket.socket | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> SocketModeServer:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)  # so the accept loop notices stop() promptly
        self._spawn(self._accept_loop, "accept")
        self._spawn(self._ping_loop, "ping")
        return self

    def stop(self) -> None:
        self._stopped.set()
        for thread in self._threads[:2]:  # accept and ping loops: no new connections after this
            thread.join(timeout=2)
        with self._cond:
            connections = list(self._connections)
        for conn in connections:
            conn.close(1001, "going away")
        for thread in self._threads[2:]:
            thread.join(timeout=2)
        if self._listener is not None:
            self._listener.close()

    @property
    def port(self) -> int:
        assert self._listener is not None, "socket mode server not started"
        return self._listener.getsockname()[1]

    def new_url(self) -> str:
        """A fresh URL as apps.connections.open hands out (Slack's carry a one-off ticket)."""
        return f"ws://127.0.0.1:{self.port}/link/?ticket={uuid.uuid4()}&app_id={self.app_id}"

    # -- what tests use --------------------------------------------------------------------
    @property
    def connection_count(self) -> int:
        with self._cond:
            return sum(1 for c in self._connections if c.open)

    def wait_connected(self, timeout: float = 5) -> None:
        with self._cond:
            if not self._cond.wait_for(lambda: self.connection_count > 0, timeout):
                raise AssertionError(f"no Socket Mode client connected within {timeout} s")

    def send_envelope(
        self,
        type_: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool = True,
        retry_attempt: int = 0,
        retry_reason: str = "",
    ) -> str:
        """Deliver an events_api / slash_commands / interactive envelope; returns its id."""
        envelope_id = str(uuid.uuid4())
        self._send_json(
            {
                "envelope_id": envelope_id,
                "payload": payload,
                "type": type_,
                "accepts_response_payload": accepts_response_payload,
                "retry_attempt": retry_attempt,
                "retry_reason": retry_reason,
            }
        )
        return envelope_id

    def send_disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask the client to reconnect, as Slack does every few hours."""
        self._send_json({"type": "disconnect", "reason": reason, "debug_info": {"host": "fake"}})

    def wait_ack(self, envelope_id: str, timeout: float = 5) -> dict[str, Any]:
        with self._cond:
            if not self._cond.wait_for(lambda: envelope_id in self.acks, timeout):
                raise AssertionError(
                    f"no ack for envelope {envelope_id} within {timeout} s; got {self.received}"
                )
            return self.acks[envelope_id]

    def _send_json(self, message: dict[str, Any]) -> None:
        with self._cond:
            live = [c for c in self._connections if c.open]
        if not live:
            raise AssertionError("no Socket Mode client is connected")
        live[-1].send(OP_TEXT, json.dumps(message).encode())  # Slack picks one connection

    # -- threads ---------------------------------------------------------------------------
    def _spawn(self, target: Any, name: str, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, name=f"fake-socket-mode-{name}")
        thread.daemon = True
        self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stopped.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            sock.settimeout(None)
            conn = _Connection(sock, sock.makefile("rb"))
            with self._cond:
                self._connections.append(conn)
            self._spawn(self._serve, "conn", conn)

    def _ping_loop(self) -> None:
        while not self._stopped.wait(self.ping_interval):
            with self._cond:
                live = [c for c in self._connections if c.open]
            for conn in live:
                with contextlib.suppress(OSError):
                    conn.send(OP_PING, b"fake-slack-ping")

    def _serve(self, conn: _Connection) -> None:
        try:
            if self._handshake(conn):
                self._read_messages(conn)
        except ProtocolError as e:
            conn.close(e.code, e.reason)
        except (EOFError, OSError, ValueError):  # peer vanished, or we are stopping
            pass
        finally:
            conn.open = False
            conn.close()
            conn.rfile.close()
            with self._cond:
                self._cond.notify_all()

    def _handshake(self, conn: _Connection) -> bool:
        request_line = conn.rfile.readline(8192).decode("latin-1").strip()
        headers: dict[str, str] = {}
        while line := conn.rfile.readline(8192).decode("latin-1").strip():
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        method, _, rest = request_line.partition(" ")
        conn.path = rest.rpartition(" ")[0]
        key = headers.get("sec-websocket-key", "")
        valid = (
            method == "GET"
            and conn.path.startswith("/link")
            and headers.get("upgrade", "").lower() == "websocket"
            and "upgrade" in headers.get("connection", "").lower()
            and headers.get("sec-websocket-version") == "13"
            and _is_websocket_key(key)
        )
        if not valid:
            conn.sock.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            return False
        conn.sock.sendall(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Accept: {accept_key(key)}\r\n\r\n".encode()
        )
        with self._cond:
            conn.open = True
            hello = {
                "type": "hello",
                "num_connections": self.connection_count,
                "debug_info": {"host": "applink-fake", "approximate_connection_time": 18060},
                "connection_info": {"app_id": self.app_id},
            }
        conn.send(OP_TEXT, json.dumps(hello).encode())
        with self._cond:
            self._cond.notify_all()
        return True

    def _read_messages(self, conn: _Connection) -> None:
        fragments: list[bytes] = []
        fragment_opcode = OP_TEXT
        while True:
            fin, opcode, payload = read_frame(conn.rfile, require_mask=True)
            if opcode == OP_PING:
                conn.send(OP_PONG, payload)
                continue
            if opcode == OP_PONG:
                continue
            if opcode == OP_CLOSE:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1000
                conn.close(code)  # echo the close, then hang up
                return
            if opcode == OP_CONTINUATION:
                if not fragments:
                    raise ProtocolError(1002, "continuation without a first fragment")
            elif fragments:
                raise ProtocolError(1002, "new message inside a fragmented one")
            else:
                fragment_opcode = opcode
            fragments.append(payload)
            if fin:
                data, fragments = b"".join(fragments), []
                if fragment_opcode == OP_TEXT:
                    self._on_text(data)

    def _on_text(self, data: bytes) -> None:
        try:
            message = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise ProtocolError(1007, "invalid UTF-8 or JSON") from e
        with self._cond:
            self.received.append(message)
            if isinstance(message, dict) and "envelope_id" in message:
                self.acks[message["envelope_id"]] = message
            self._cond.notify_all()
