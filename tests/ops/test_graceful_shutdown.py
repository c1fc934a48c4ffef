"""SIGTERM on a real `okr-bot serve` process in the middle of a check-in fan-out: /readyz turns
503 while it drains, the sends in flight finish and are recorded, the claims it still holds go
back to the queue at once (no lease to wait out), and it exits within its bound. A process
started after it sends the rest: every person ends with exactly one check-in DM."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.checkins.serving import (
    DUE,
    checkin_posts,
    claim_holders,
    outbox_statuses,
    people,
    prepare,
)
from tests.cli.test_main import Serving
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, TEAM_ID
from tests.fakes import FakeSlack
from tests.support.server import get

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

PEOPLE = 150
SPEED = 20  # app seconds a real second: the check-ins fall due a second after the start
START = DUE - timedelta(seconds=20)
DRAIN_SECONDS = 1.5
TIMEOUT_SECONDS = 10


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(bot_token=BOT_TOKEN, team_id=TEAM_ID) as fake:
        yield fake


def start(tmp_path: Path, database_url: str, slack: FakeSlack, at: float, *,
          per_minute: int) -> Serving:
    return Serving(tmp_path, {
        "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.base_url, "DATABASE_URL": database_url, "PORT": "0",
        "OKR_BOT_ENV": "test", "OKR_BOT_CLOCK_START": (START + timedelta(seconds=at * SPEED))
        .isoformat(), "OKR_BOT_CLOCK_SPEED": str(SPEED),
        "OUTBOX_MESSAGES_PER_MINUTE": str(per_minute),
        "OUTBOX_OPENS_PER_MINUTE": str(min(per_minute, 1000)),
        "SHUTDOWN_DRAIN_SECONDS": str(DRAIN_SECONDS),
        "SHUTDOWN_TIMEOUT_SECONDS": str(TIMEOUT_SECONDS)})


def wait_until(done, *, within: float, what: str, serving: Serving) -> None:
    deadline = time.monotonic() + within
    while not done():
        if time.monotonic() > deadline or serving.process.poll() is not None:
            shown = "\n".join(line for line in serving.lines if "skipped: maximum" not in line)
            raise AssertionError(f"{what}: not within {within} s\n{shown[-6000:]}")
        time.sleep(0.02)


def test_sigterm_drains_finishes_in_flight_sends_and_gives_back_its_claims(
        tmp_path: Path, slack: FakeSlack) -> None:
    database_url = f"sqlite:///{tmp_path / 'okr-bot.db'}"
    prepare(database_url, PEOPLE)
    began = time.monotonic()
    # Slow enough that the fan-out takes seconds, so SIGTERM lands in the middle of it.
    first = start(tmp_path, database_url, slack, 0, per_minute=600)
    try:
        url = first.url()
        assert get(f"{url}/readyz").status == 200
        wait_until(lambda: sum(checkin_posts(slack).values()) >= PEOPLE // 5
                   and claim_holders(database_url)[first.process.pid] > 0, within=60,
                   what="the first process sending, with claims held", serving=first)
        first.process.send_signal(signal.SIGTERM)
        stopping = time.monotonic()
        draining = get(f"{url}/readyz", timeout=2)
        while draining.status == 200 and time.monotonic() - stopping < DRAIN_SECONDS / 2:
            draining = get(f"{url}/readyz", timeout=2)  # the signal is handled in a moment
        health = get(f"{url}/healthz", timeout=2)
        code = first.process.wait(timeout=DRAIN_SECONDS + TIMEOUT_SECONDS + 15)
        took = time.monotonic() - stopping
        first.reader.join(timeout=5)
    finally:
        first.stop()
    at_exit = outbox_statuses(database_url)
    posted = sum(checkin_posts(slack).values())
    stopped = [line for line in first.lines if "event=stopped" in line]

    assert draining.status == 503, draining.body
    assert draining.json["failed"] == ["accepting"]
    assert health.status == 200  # still alive while it drains
    assert code in (0, -signal.SIGTERM), first.log[-3000:]
    print(f"\n{posted} of {PEOPLE} sent before SIGTERM; stopped in {took:.1f} s: {stopped}")
    assert took < DRAIN_SECONDS + TIMEOUT_SECONDS + 5
    assert posted < PEOPLE, "everything was sent before SIGTERM: nothing was tested"
    # Nothing is left claimed: in-flight sends were recorded, the rest queued again.
    assert at_exit["sending"] == 0, at_exit
    assert at_exit["sent"] == posted, (at_exit, posted)
    assert at_exit["queued"] == PEOPLE - posted
    assert len(stopped) == 1, first.log[-3000:]
    assert "jobs_finished=True" in stopped[0]

    # A process started after it finds the rest due now and sends each once.
    second = start(tmp_path, database_url, slack, time.monotonic() - began, per_minute=6000)
    try:
        second.url()
        wait_until(lambda: sum(checkin_posts(slack).values()) >= PEOPLE, within=60,
                   what="every check-in sent by the second process", serving=second)
        time.sleep(1)  # time for a duplicate to show
    finally:
        second.stop()
    posts = checkin_posts(slack)
    assert sorted(posts.values()) == [1] * PEOPLE
    assert set(posts) == {slack.dm_channel(user) for user in people(PEOPLE)}
    assert outbox_statuses(database_url) == {"sent": PEOPLE}
