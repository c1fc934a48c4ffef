"""The API's HTTP face: read the token, the key and the body, call a flow in a worker thread,
answer JSON. Domain errors become 4xx here and nowhere else."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot import clock
from bot.api import flows, openapi, render
from bot.api.idempotency import KeyReused
from bot.errors import DomainError, InvalidFields, InvalidInput, NotAllowed, NotFound
from bot.logs import structured

log = logging.getLogger(__name__)

# 1,000 measurements with notes fit well within this.
MAX_BODY_BYTES = 2_000_000
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="okr-bot"'}


def _token(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def _problem(error: DomainError) -> JSONResponse:
    if isinstance(error, flows.Unauthenticated):
        return JSONResponse(render.problem("unauthorized", error.message), 401,
                            headers=CHALLENGE)
    if isinstance(error, InvalidFields):
        return JSONResponse(render.problem("invalid", error.message, error.errors), 400)
    if isinstance(error, InvalidInput):
        errors = {error.field: error.message} if error.field else None
        return JSONResponse(render.problem("invalid", error.message, errors), 400)
    if isinstance(error, KeyReused):
        return JSONResponse(render.problem("idempotency_key_reused", error.message), 422)
    if isinstance(error, NotFound):
        return JSONResponse(render.problem("not_found", error.message), 404)
    if isinstance(error, NotAllowed):
        return JSONResponse(render.problem("forbidden", error.message), 403)
    return JSONResponse(render.problem("refused", error.message), 400)


async def _answer(call: Callable[[], flows.Answer], what: str) -> Response:
    """The flow's answer as JSON, and one log line (never the token, the key or the body)."""
    started = time.perf_counter()
    try:
        answer = await run_in_threadpool(call)
    except DomainError as error:
        response = _problem(error)
        structured(log, logging.INFO, "api_request", request=what,
                   status=response.status_code, error=type(error).__name__,
                   latency_ms=round((time.perf_counter() - started) * 1000, 1))
        return response
    structured(log, logging.INFO, "api_request", request=what, status=answer.status_code,
               replayed=answer.replayed,
               latency_ms=round((time.perf_counter() - started) * 1000, 1))
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
    return JSONResponse(answer.body, answer.status_code, headers=headers)


def api_routes(session_factory: sessionmaker[Session], chains: Any,
               now: Callable[[], datetime] = clock.now) -> list[BaseRoute]:
    async def post_measurements(request: Request) -> Response:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            return JSONResponse(render.problem(
                "too_large", f"A request body is at most {MAX_BODY_BYTES:,} bytes; send "
                "at most 1,000 measurements at a time."), 413)
        chunks, size = [], 0
        async for chunk in request.stream():  # a body sent without a length is counted
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                return JSONResponse(render.problem("too_large", "request body too large"), 413)
            chunks.append(chunk)
        raw = b"".join(chunks)
        token, key = _token(request), request.headers.get("idempotency-key")
        return await _answer(lambda: flows.post_measurements(
            session_factory, token=token, raw=raw, idempotency_key=key, now=now()),
            "post_measurements")

    async def get_metric(request: Request) -> Response:
        token, key = _token(request), request.path_params["key"]
        return await _answer(lambda: flows.get_metric(session_factory, chains, token=token,
                                                      key=key, now=now()), "get_metric")

    async def openapi_json(_request: Request) -> Response:
        return JSONResponse(openapi.document())

    return [Route("/api/v1/measurements", post_measurements, methods=["POST"]),
            Route("/api/v1/metrics/{key}", get_metric, methods=["GET"]),
            Route("/api/v1/openapi.json", openapi_json, methods=["GET"])]
