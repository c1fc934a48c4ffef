"""One error handler: roll back, log with a reference id, apologise to the person."""

from __future__ import annotations

import functools
import json
import logging
import secrets
import threading
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext, BoltResponse

from bot.logs import structured
from bot.slack.blocks.errors import apology_message
from bot.slack.request_info import describe

log = logging.getLogger(__name__)


def new_reference() -> str:
    return secrets.token_hex(4)


def _log_failure(error: BaseException, body: Any, reference: str) -> None:
    info = describe(body)
    structured(log, logging.ERROR, "listener_error", exc_info=error, reference=reference,
               type=info.kind, name=info.name, team=info.team, error=type(error).__name__)


def handle_error(error: Exception, body: dict, context: BoltContext,
                 response: BoltResponse | None) -> BoltResponse | None:
    """Bolt's global error handler for listeners and middleware."""
    unit_of_work = context.get("unit_of_work")
    if unit_of_work is not None:
        unit_of_work.finish(commit=False)
    reference = new_reference()
    _log_failure(error, body, reference)
    info = describe(body)
    if info.kind == "command":
        # Nothing has reached Slack yet (we answer after the listener returns), so the
        # apology can be the slash command's own ephemeral reply.
        return BoltResponse(status=200, body=json.dumps(apology_message(reference)),
                            headers={"content-type": "application/json;charset=utf-8"})
    if _respond_later(context, body, reference):
        return BoltResponse(status=200, body="")
    return None  # events keep Bolt's 500, so Slack retries them


def _respond_later(context: BoltContext, body: Any, reference: str) -> bool:
    """Apologise through the request's response_url, if it has one, off the request thread
    so the ack is not held up by a call to Slack."""
    respond = context.get("respond")
    has_url = isinstance(body, dict) and (body.get("response_url") or body.get("response_urls"))
    if respond is None or not has_url:
        return False

    def send() -> None:
        try:
            respond(**apology_message(reference))
        except Exception:  # the apology failing must not hide the original error
            log.exception("could not send the apology for reference %s", reference)

    threading.Thread(target=send, name=f"apology-{reference}", daemon=True).start()
    return True


def reported(lazy_listener: Callable[..., None]) -> Callable[..., None]:
    """Wrap a lazy listener: Bolt only logs its errors; we roll back, log and apologise."""

    @functools.wraps(lazy_listener)
    def run(*args: Any, **kwargs: Any) -> None:
        context = kwargs.get("context")
        try:
            lazy_listener(*args, **kwargs)
        except Exception as error:
            reference = new_reference()
            _log_failure(error, kwargs.get("body"), reference)
            if context is not None:
                _respond_later(context, kwargs.get("body"), reference)
        finally:
            # Whatever the listener left open (a session taken with db_session()) is undone;
            # a listener commits its own work with `with unit_of_work as session`.
            if context is not None and context.get("unit_of_work") is not None:
                context["unit_of_work"].finish(commit=False)

    return run
