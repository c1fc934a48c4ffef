"""The HTTP face: `POST /slack/events` for everything Slack sends, `GET /healthz` for probes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from slack_bolt import App, BoltResponse
from slack_bolt.adapter.starlette.handler import to_starlette_response
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot import __version__
from bot.db import ping
from bot.slack.dispatch import SignatureCheck, dispatch, http_request

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
# Slack's payloads are a few kB; a view submission with many inputs stays well under this.
MAX_BODY_BYTES = 1_000_000


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
                   on_shutdown: Callable[[], None] | None = None) -> Starlette:
    """The ASGI app `okr-bot serve` runs; `bolt_app=None` serves only the health check."""
    if bolt_app is not None and not signing_secret:
        raise ValueError("serving Slack requests over HTTP needs the signing secret")
    signed_by_slack = SignatureCheck(signing_secret) if signing_secret else None

    async def slack_events(request: Request) -> Response:
        assert bolt_app is not None
        assert signed_by_slack is not None
        raw = await _bounded_body(request)
        if raw is None:
            return PlainTextResponse("request body too large", status_code=413)
        bolt_request = http_request(raw, query=request.url.query, headers=request.headers,
                                    signed_by_slack=signed_by_slack)
        if isinstance(bolt_request, BoltResponse):
            return to_starlette_response(bolt_request)
        # Bolt's Starlette adapter dispatches on the event loop, blocking every other request
        # while a listener runs; a worker thread keeps the loop free.
        bolt_response = await run_in_threadpool(dispatch, bolt_app, bolt_request,
                                                 transport="http")
        return to_starlette_response(bolt_response)

    async def healthz(request: Request) -> Response:
        try:
            await run_in_threadpool(ping, engine)
        except Exception as error:
            log.warning("health check: database unreachable (%s)", type(error).__name__)
            return JSONResponse({"status": "unavailable", "database": "unreachable",
                                 "mode": mode, "version": __version__}, status_code=503)
        return JSONResponse({"status": "ok", "database": "reachable", "mode": mode,
                             "version": __version__})

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        if on_startup is not None:
            await run_in_threadpool(on_startup)
        try:
            yield
        finally:
            if on_shutdown is not None:
                await run_in_threadpool(on_shutdown)

    routes = [Route("/healthz", healthz, methods=["GET"])]
    if bolt_app is not None:
        routes.append(Route(EVENTS_PATH, slack_events, methods=["POST"]))
    return Starlette(routes=routes, lifespan=lifespan)
