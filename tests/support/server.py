"""Run the real okr-bot ASGI app (the one `okr-bot serve` runs) under uvicorn in a thread."""

from __future__ import annotations

import asyncio
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


class QuickServer(uvicorn.Server):
    """uvicorn as `okr-bot serve` runs it, minus two fixed waits that only matter under real
    traffic: it looks for an exit request every 0.1 s, and gives connections 0.1 s more to see
    the shutdown before it waits for them. A thousand test bots spent over two minutes of the
    suite in those waits; here the look is every 5 ms and the wait is for what is open. Whoever
    starts it is woken when it is up (`up`) instead of looking every 10 ms."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.up = threading.Event()  # set once serving, or once it gave up trying

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets=sockets)
        finally:
            self.up.set()

    async def main_loop(self) -> None:
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + 1) % 864000
            await asyncio.sleep(0.005)
            should_exit = await self.on_tick(counter)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.timeout_graceful_shutdown
        while (self.server_state.connections or self.server_state.tasks) \
                and loop.time() < deadline:
            await asyncio.sleep(0.005)
        for task in self.server_state.tasks:
            task.cancel(msg="the test server is stopping")
        for server in self.servers:
            await server.wait_closed()
        if not self.force_exit:
            await self.lifespan.shutdown()


@contextmanager
def serving(app: Starlette) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 at a free port; yields the base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = QuickServer(uvicorn.Config(app, log_config=None, access_log=False,
                                           lifespan="on", timeout_graceful_shutdown=2))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    # Woken when it is up (or gave up), not polled: a poll's sleep cost every test bot ~10 ms.
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("okr-bot's web app did not start")
        server.up.wait(timeout=0.1)
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
