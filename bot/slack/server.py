"""The HTTP face: `POST /slack/events` for everything Slack sends, `GET /healthz` for probes."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.starlette.handler import to_starlette_response
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot import __version__, clock, deadline
from bot.db import ping
from bot.logs import structured
from bot.slack.blocks.errors import apology_message
from bot.slack.dispatch import SignatureCheck, dispatch, http_request
from bot.slack.errors import new_reference
from bot.slack.middleware import ABANDONED
from bot.slack.request_info import describe

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
# Slack's payloads are a few kB; a view submission with many inputs stays well under this.
MAX_BODY_BYTES = 1_000_000
# A probe gets its answer within this, whatever the database does (a load balancer's probe
# typically times out at 2 to 5 seconds).
HEALTH_SECONDS = 1.5

# Threads that run Bolt for Slack's requests. More than the database pool (bot/db.py: 30),
# because many of them hold no connection: an `/okr update` queued for its group
# (bot/slack/grouped.py) only waits. With 40, the 40 queued updates of a burst held every
# thread, and the rest of the burst could not even be read until a group was answered: 200
# concurrent updates reached the queue over 360-450 ms instead of 230-290 ms, and the last was
# answered 420-550 ms after the first instead of 330-430 ms (docs/performance.md). A request
# that needs a connection waits for one within its deadline either way.
REQUEST_WORKERS = 100
# Slack gives up after 3 seconds: past this, the person gets an apology instead of silence.
ANSWER_SECONDS = 2.8


def too_slow(request: BoltRequest) -> BoltResponse:
    reference = new_reference()
    info = describe(request.body)
    structured(log, logging.WARNING, "answer_too_slow", reference=reference, type=info.kind,
               name=info.name, team=info.team, seconds=ANSWER_SECONDS)
    request.context[ABANDONED] = True  # a unit of work not made yet is abandoned at birth
    unit_of_work = request.context.get("unit_of_work")
    # Either it committed already (and the person is told so), or nothing of it ever will.
    saved = unit_of_work is not None and not unit_of_work.abandon()
    if info.kind == "command":
        return BoltResponse(status=200, body=apology_message(reference, saved=saved))
    # Events keep a 500, so Slack retries them; anything else is acknowledged.
    return BoltResponse(status=500 if info.kind == "event" else 200, body="")


def _ping_within(engine: Engine, seconds: float) -> None:
    with deadline.within(seconds):
        ping(engine)


async def _bounded_body(request: Request) -> bytes | None:
    """The body, or None past MAX_BODY_BYTES: read in chunks, since nothing is verified yet."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def create_web_app(*, engine: Engine, bolt_app: App | None, mode: str = "http",
                   signing_secret: str | None = None,
                   on_startup: Callable[[], None] | None = None,
                   on_shutdown: Callable[[], None] | None = None,
                   now: Callable[[], datetime] = clock.now,
                   extra_routes: Sequence[BaseRoute] = (),
                   observe_request: Callable[[str | None, str, float], None] | None = None
                   ) -> Starlette:
    """The ASGI app `okr-bot serve` runs; `bolt_app=None` serves only the health check, which
    also tells the app's time (`now`), so a test driving the clock can see where it is.
    `extra_routes` are what other parts of the runtime serve beside Slack's endpoint (the OAuth
    install pages, the measurements API, /metrics, /readyz), each built by its own package.
    `observe_request(type, outcome, seconds)` is told of each request Slack sent (metrics)."""
    if bolt_app is not None and not signing_secret:
        raise ValueError("serving Slack requests over HTTP needs the signing secret")
    signed_by_slack = SignatureCheck(signing_secret) if signing_secret else None
    # As many as Starlette's own thread pool would run at once.
    requests = ThreadPoolExecutor(max_workers=REQUEST_WORKERS, thread_name_prefix="okr-bot-http")

    def events_endpoint(app: App, signed: SignatureCheck) -> Callable[..., Any]:
        """The Events API endpoint: signature first, then Bolt in a worker thread."""

        async def slack_events(request: Request) -> Response:
            started = time.perf_counter()

            def observed(kind: str | None, outcome: str, response: Response) -> Response:
                if observe_request is not None:
                    observe_request(kind, outcome, time.perf_counter() - started)
                return response

            raw = await _bounded_body(request)
            if raw is None:
                return observed(None, "refused", PlainTextResponse(
                    "request body too large", status_code=413))
            bolt_request = http_request(raw, query=request.url.query, headers=request.headers,
                                        signed_by_slack=signed)
            if isinstance(bolt_request, BoltResponse):
                return observed(None, "refused", to_starlette_response(bolt_request))
            kind = describe(bolt_request.body).kind
            # Bolt's Starlette adapter dispatches on the event loop, blocking every other request
            # while a listener runs; a worker thread keeps the loop free.
            worker = asyncio.get_running_loop().run_in_executor(
                requests, functools.partial(dispatch, app, bolt_request, transport="http"))
            try:
                bolt_response = await asyncio.wait_for(asyncio.shield(worker), ANSWER_SECONDS)
            except TimeoutError:
                # The database waits ended at DATABASE_SECONDS; what is still running (opening a
                # connection) cannot commit any more. Slack will not wait for it.
                worker.add_done_callback(lambda done: done.cancelled() or done.exception())
                return observed(kind, "too_slow", to_starlette_response(too_slow(bolt_request)))
            return observed(kind, "ok" if bolt_response.status < 400 else "error",
                            to_starlette_response(bolt_response))

        return slack_events

    # The health check in flight, if any: while one waits on the database, the next probe is
    # answered at once instead of stacking up another thread behind it.
    pinging: asyncio.Future[None] | None = None

    def health(status: int, database: str) -> JSONResponse:
        return JSONResponse({"status": "ok" if status == 200 else "unavailable",
                             "database": database, "mode": mode, "version": __version__,
                             "now": now().isoformat()},
                            status_code=status)

    async def healthz(request: Request) -> Response:
        nonlocal pinging
        if pinging is None or pinging.done():
            # Its own thread, not the request pool, and never the event loop.
            pinging = asyncio.get_running_loop().run_in_executor(
                None, _ping_within, engine, HEALTH_SECONDS * 0.8)
            # Its outcome, once nobody waits for it any more, is dropped without a warning.
            pinging.add_done_callback(lambda done: done.cancelled() or done.exception())
        try:
            await asyncio.wait_for(asyncio.shield(pinging), HEALTH_SECONDS)
        except TimeoutError:
            log.warning("health check: database did not answer within %s s", HEALTH_SECONDS)
            return health(503, "unreachable")
        except Exception as error:
            log.warning("health check: database unreachable (%s)", type(error).__name__)
            return health(503, "unreachable")
        return health(200, "reachable")

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        if on_startup is not None:
            await run_in_threadpool(on_startup)
        try:
            yield
        finally:
            requests.shutdown(wait=False)
            if on_shutdown is not None:
                await run_in_threadpool(on_shutdown)

    routes = [Route("/healthz", healthz, methods=["GET"])]
    if bolt_app is not None and signed_by_slack is not None:
        routes.append(Route(EVENTS_PATH, events_endpoint(bolt_app, signed_by_slack),
                            methods=["POST"]))
    routes.extend(extra_routes)
    return Starlette(routes=routes, lifespan=lifespan)
