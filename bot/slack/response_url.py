"""Posting to a `response_url`, retried when Slack asks for it or has a bad moment.

A response_url takes five posts within 30 minutes: three tries leave room for telling the
person it did not work. Every wait is bounded, so a lazy listener's thread comes back.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable

from bot.logs import structured

log = logging.getLogger(__name__)

TRIES = 3
TIMEOUT_SECONDS = 5.0  # per try
BACKOFF_SECONDS = (0.5, 1.5)  # before the 2nd and 3rd try, after a 5xx or a timeout
# A 429 asking for a longer wait than this is given up on, not slept through.
MAX_RETRY_AFTER_SECONDS = 5.0


def _retry_after(headers: object) -> float | None:
    value = getattr(headers, "get", lambda _name: None)("Retry-After")
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None


def _post_once(url: str, body: bytes, timeout: float) -> tuple[int | None, float | None]:
    """HTTP status (None: no answer in time, or no connection; 0: not a URL we post to) and
    Retry-After."""
    # The URL comes from a request whose signature was checked; still, only ever HTTP(S).
    if not url.startswith(("https://", "http://")):
        return 0, None
    request = urllib.request.Request(url, data=body, method="POST", headers={  # noqa: S310
        "Content-Type": "application/json;charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, None
    except urllib.error.HTTPError as error:
        with error:
            return error.code, _retry_after(error.headers)
    except (OSError, ValueError):  # URLError, timeouts, resets; ValueError: a malformed URL
        return None, None


def post(url: str, payload: dict, *, tries: int = TRIES, timeout: float = TIMEOUT_SECONDS,
         sleep: Callable[[float], None] = time.sleep) -> bool:
    """POST `payload` as JSON to a response_url; True once Slack took it. Retries a 429
    (after its Retry-After), a 5xx or no answer; any other refusal is final."""
    body = json.dumps(payload).encode()
    status: int | None = None
    for attempt in range(tries):
        status, retry_after = _post_once(url, body, timeout)
        if status is not None and 200 <= status < 300:
            return True
        retryable = status is None or status == 429 or status >= 500
        if not retryable or attempt == tries - 1:
            break
        if status == 429:
            wait = 1.0 if retry_after is None else retry_after
            if wait > MAX_RETRY_AFTER_SECONDS:
                break
        else:
            wait = BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS) - 1)]
        sleep(wait)
    structured(log, logging.WARNING, "response_url_failed", status=status or "no answer",
               tries=attempt + 1)
    return False
