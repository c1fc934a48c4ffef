"""/readyz: whether this process should be sent work. Each check says what it found; the
answer is 503 with the failed checks named when any fails. /healthz stays plain liveness."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot import __version__, clock, deadline, schema
from bot.db import ping
from bot.process.heartbeat import fresh_workers, stale_after

READY_SECONDS = 2.0  # a load balancer's probe gives up at 2 to 5 seconds


@dataclass
class Readiness:
    engine: Engine
    session_factory: sessionmaker[Session]
    draining: threading.Event
    # Whether a scheduler runs in this process: a web-only replica needs some worker's beat.
    local_worker: Callable[[], bool]
    role: str
    now: Callable[[], datetime] = clock.now

    def checks(self) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        found["accepting"] = ({"ok": False, "detail": "stopping (SIGTERM): takes no new work"}
                              if self.draining.is_set() else {"ok": True, "detail": "yes"})
        try:
            with deadline.within(READY_SECONDS * 0.8):
                ping(self.engine)
                state, at = schema.state(self.engine)
                workers = None
                if not self.local_worker():
                    with self.session_factory() as db_session:
                        workers = fresh_workers(db_session, self.now())
        except Exception as error:
            found["database"] = {"ok": False, "detail": f"unreachable ({type(error).__name__})"}
            return found
        found["database"] = {"ok": True, "detail": "reachable"}
        # A schema newer than this code passes: migrations only add (docs/deploy.md), and the
        # release before a deploy keeps serving until the new one is ready.
        found["schema"] = {"ok": state is not schema.SchemaState.BEHIND,
                           "detail": f"{state} (revision {at}, this code's newest "
                                     f"{schema.head_revision()})"}
        if workers is None:
            found["worker"] = {"ok": True, "detail": "runs in this process"}
        else:
            within = int(stale_after().total_seconds())
            found["worker"] = {"ok": workers > 0,
                               "detail": f"{workers} worker(s) beat within {within} s"}
        return found

    def answer(self) -> tuple[int, dict[str, Any]]:
        checks = self.checks()
        failed = [name for name, check in checks.items() if not check["ok"]]
        return (503 if failed else 200), {
            "status": "unavailable" if failed else "ready", "failed": failed,
            "checks": checks, "role": self.role, "version": __version__}


def readyz_route(readiness: Readiness) -> Route:
    async def readyz(_request: Request) -> Response:
        work = asyncio.get_running_loop().run_in_executor(None, readiness.answer)
        work.add_done_callback(lambda done: done.cancelled() or done.exception())
        try:
            status, body = await asyncio.wait_for(asyncio.shield(work), READY_SECONDS)
        except TimeoutError:
            status, body = 503, {"status": "unavailable", "failed": ["database"],
                                 "checks": {"database": {"ok": False, "detail":
                                            f"no answer within {READY_SECONDS} s"}},
                                 "role": readiness.role, "version": __version__}
        return JSONResponse(body, status_code=status)

    return Route("/readyz", readyz, methods=["GET"])
