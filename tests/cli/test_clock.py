"""OKR_BOT_CLOCK_START and OKR_BOT_CLOCK_SPEED: a served app on a driven clock, for end-to-end
tests only, and refused with one line anywhere else."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.db import make_engine, make_session_factory
from bot.slack.models import SlackEventReceipt
from tests.cli.test_main import Serving, fake, run  # noqa: F401 (fake is a fixture)
from tests.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.fakes import FakeSlack
from tests.support.cli import okr_bot
from tests.support.server import get

TESTS_ONLY = "is for tests only: it moves the app's clock, so it is refused unless OKR_BOT_ENV=test"


@pytest.mark.parametrize(("env", "message"), [
    ({"OKR_BOT_CLOCK_START": "2027-03-26T08:55:00+13:00"},
     f"OKR_BOT_CLOCK_START {TESTS_ONLY} (got '2027-03-26T08:55:00+13:00')"),
    ({"OKR_BOT_CLOCK_SPEED": "60", "OKR_BOT_ENV": "production"},
     f"OKR_BOT_CLOCK_SPEED {TESTS_ONLY} (got '60')"),
    ({"OKR_BOT_CLOCK_START": "2027-03-26T08:55:00", "OKR_BOT_ENV": "test"},
     "OKR_BOT_CLOCK_START has no offset, so names no single instant (got "
     "'2027-03-26T08:55:00'): use an ISO 8601 instant with its offset, e.g. "
     "2027-03-26T08:55:00+13:00, or unset it for the real time"),
    ({"OKR_BOT_CLOCK_SPEED": "0", "OKR_BOT_ENV": "test"},
     "OKR_BOT_CLOCK_SPEED must be a number above 0 (got '0'): use a factor above 0, e.g. 60 "
     "for an hour a minute, or unset it for 1"),
    ({"OKR_BOT_ENV": "staging"},
     "OKR_BOT_ENV must be one of production, development, test (got 'staging')"),
])
def test_the_clock_settings_are_refused_outside_tests_with_one_line(
        tmp_path: Path, env: dict[str, str], message: str) -> None:
    result = okr_bot("serve", cwd=tmp_path, env={
        "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, **env})
    assert (result.returncode, result.stderr) == (2, f"okr-bot: {message}\n")
    assert not (tmp_path / "okr-bot.db").exists(), "nothing is created before settings are good"


def test_a_served_app_on_a_driven_clock(tmp_path: Path, fake: FakeSlack) -> None:  # noqa: F811
    """Started a year and a half from now, 7200 times as fast (two hours a real second):
    /healthz tells that time, and the hourly prune job runs on it, twice a real second, and
    prunes what is old only on that clock."""
    speed = 7200
    start = (datetime.now(UTC) + timedelta(days=540)).replace(microsecond=0)
    assert run("migrate", cwd=tmp_path).returncode == 0
    engine = make_engine(f"sqlite:///{tmp_path / 'okr-bot.db'}")
    try:
        with make_session_factory(engine).begin() as session:
            session.add(SlackEventReceipt(event_id="Ev0OLD", event_type="app_home_opened",
                                          received_at=start - timedelta(days=2)))
        began = time.monotonic()
        serving = Serving(tmp_path, {
            "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": fake.base_url, "PORT": "0", "OKR_BOT_ENV": "test",
            "OKR_BOT_CLOCK_START": start.isoformat(), "OKR_BOT_CLOCK_SPEED": str(speed)})
        try:
            url = serving.url()
            before_first = time.monotonic()
            first = app_now(url)
            after_first = time.monotonic()
            time.sleep(1)
            before_second = time.monotonic()
            second = app_now(url)
            after_second = time.monotonic()
            deadline = time.monotonic() + 10
            while pruned(serving.log) < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
            left = remaining(engine)
        finally:
            serving.stop()
    finally:
        engine.dispose()

    assert start <= first <= start + timedelta(seconds=(after_first - began) * speed)
    elapsed = second - first
    assert timedelta(seconds=(before_second - after_first) * speed) <= elapsed
    assert elapsed <= timedelta(seconds=(after_second - before_first) * speed)
    assert "the app's clock is driven: it starts at" in serving.log
    assert pruned(serving.log) >= 2, serving.log
    assert left == []


def app_now(url: str) -> datetime:
    health = get(f"{url}/healthz")
    assert health.status == 200
    return datetime.fromisoformat(health.json["now"])


def pruned(log: str) -> int:
    return len(re.findall(r"event=job_finished job=prune-event-receipts", log))


def remaining(engine) -> list[str]:
    with make_session_factory(engine)() as session:
        return list(session.scalars(select(SlackEventReceipt.event_id)))
