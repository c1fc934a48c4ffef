"""Run the real okr-bot ASGI app (the one `okr-bot serve` runs) under uvicorn in a thread."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn
from starlette.applications import Starlette


@dataclass
class HttpReply:
    status: int
    body: str

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@contextmanager
def serving(app: Starlette) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 at a free port; yields the base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False,
                                           lifespan="on", timeout_graceful_shutdown=2))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("okr-bot's web app did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def get(url: str, timeout: float = 10) -> HttpReply:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return HttpReply(response.status, response.read().decode())
    except urllib.error.HTTPError as error:
        return HttpReply(error.code, error.read().decode())
