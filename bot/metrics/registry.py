"""What okr-bot counts: Slack's requests and how fast they were acknowledged, messages sent and
Slack's refusals, job runs; and, read at scrape, the outbox's depth and age and the chain
cache's hits. Label values come from short fixed lists, so no person's text becomes a series."""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING, Any

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MISSED,
    JobExecutionEvent,
)
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from bot import __version__
from bot.outbox.queue import OPEN_DM

if TYPE_CHECKING:
    from apscheduler.schedulers.base import BaseScheduler

    from bot.outbox.pacing import Attempt
    from bot.outbox.queue import Claim

REQUEST_TYPES = frozenset({"command", "event", "action", "view", "shortcut", "options",
                           "url_verification"})
# Slack answers within 3 seconds or not at all: the buckets crowd below that line.
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 2.8, 3.0, 5.0)
_SLACK_CODE = re.compile(r"^[a-z_]{2,40}$")
_SLACK_METHOD = re.compile(r"^[a-z]+(\.[a-zA-Z]+){1,3}$")
# Distinct error codes labelled per runtime: Slack's are a bounded set (a few hundred across
# the methods okr-bot calls, a handful seen in practice); any beyond this count as "other".
MAX_ERROR_CODES = 50


def request_type(kind: str | None) -> str:
    return kind if kind in REQUEST_TYPES else "other"


def slack_error(error: str | None, status: int) -> str:
    """A bounded label for a failed call: Slack's own error code, or the HTTP class."""
    if status == 0:
        return "no_answer"
    if status >= 500:
        return "http_5xx"
    if error and _SLACK_CODE.fullmatch(error):
        return error
    return f"http_{status}" if status else "other"


class Metrics:
    """The runtime's registry and every metric it holds."""

    def __init__(self, role: str = "all") -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        Gauge("okrbot_info", "This process: okr-bot's version and role.",
              ["version", "role"], registry=r).labels(__version__, role).set(1)
        self.draining = Gauge("okrbot_draining",
                              "1 once this process stopped taking work (SIGTERM).", registry=r)
        self.requests = Counter("okrbot_slack_requests", "Requests from Slack, by type and "
                                "outcome (ok, error, too_slow, refused).", ["type", "outcome"],
                                registry=r)
        self.ack_seconds = Histogram("okrbot_slack_ack_seconds", "Seconds from receiving a "
                                     "request from Slack to answering it.", ["type"],
                                     buckets=ACK_BUCKETS, registry=r)
        self.messages_sent = Counter("okrbot_slack_messages_sent", "Messages the outbox "
                                     "delivered, by kind and recipient (dm or channel).",
                                     ["kind", "to"], registry=r)
        self.rate_limited = Counter("okrbot_slack_rate_limited", "Calls Slack answered "
                                    "with 429, by method.", ["method"], registry=r)
        self.slack_errors = Counter("okrbot_slack_errors", "Calls to Slack that failed "
                                    "otherwise, by error.", ["method", "error"], registry=r)
        self._codes: set[str] = set()
        self._codes_lock = threading.Lock()
        self.job_runs = Counter("okrbot_job_runs", "Scheduled job runs, by job and outcome "
                                "(done, idle, error, missed).", ["job", "outcome"], registry=r)

    def observe_request(self, kind: str | None, outcome: str, seconds: float) -> None:
        label = request_type(kind)
        self.requests.labels(label, outcome).inc()
        self.ack_seconds.labels(label).observe(seconds)

    def observe_delivery(self, claim: Claim, outcome: Attempt, *, opened: bool) -> None:
        """One outbox message's attempt: sent (a DM or a channel post), or refused by Slack;
        `opened`: conversations.open got through first (so a failure was the post's)."""
        opening = claim.kind == OPEN_DM
        if outcome.through:
            if not opening:
                self.messages_sent.labels(claim.kind[:40],
                                          "dm" if claim.user_id else "channel").inc()
            return
        if claim.channel is None and not opened:
            method = "conversations.open"
        elif (outcome.error or "").startswith("checking whether"):
            method = "conversations.history"  # looking for an earlier attempt's post
        else:
            method = "chat.postMessage"
        if outcome.status == 429:
            self.rate_limited.labels(method).inc()
        else:
            code = outcome.code or outcome.error
            label = slack_error(code, outcome.status)
            self.slack_errors.labels(method, self._bounded(label) if label == code
                                     else label).inc()

    def observe_slack_failure(self, method: str, status: int,
                              error: str | None = None) -> None:
        """A Web API call okr-bot made while answering or in a job (the outbox counts its own
        above) that Slack refused: an HTTP failure, no answer (`status` 0), or an answer
        `ok: false` with Slack's error code (`error`)."""
        method = method if _SLACK_METHOD.fullmatch(method) else "other"
        if status == 429:
            self.rate_limited.labels(method).inc()
        elif status == 200:
            self.slack_errors.labels(method, self._bounded(error)).inc()
        else:
            self.slack_errors.labels(method, slack_error(None, status)).inc()

    def _bounded(self, error: str | None) -> str:
        """Slack's error code as a label: one shaped like Slack's, among the first
        MAX_ERROR_CODES this runtime met; "other" otherwise."""
        if not error or not _SLACK_CODE.fullmatch(error):
            return "other"
        with self._codes_lock:
            if error not in self._codes:
                if len(self._codes) >= MAX_ERROR_CODES:
                    return "other"
                self._codes.add(error)
        return error

    def watch_scheduler(self, scheduler: BaseScheduler) -> None:
        """Count every run the scheduler finishes, fails or misses."""

        def ended(event: JobExecutionEvent) -> None:
            if event.code == EVENT_JOB_MISSED:
                outcome = "missed"
            elif event.exception is not None:
                outcome = "error"
            else:
                outcome = "idle" if getattr(event.retval, "idle", False) else "done"
            self.job_runs.labels(str(event.job_id)[:40], outcome).inc()

        scheduler.add_listener(ended, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)

    def watch(self, collector: Any) -> None:
        """A collector whose figures are read at each scrape (bot/metrics/collectors.py)."""
        self.registry.register(collector)

    def exposition(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
