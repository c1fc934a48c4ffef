"""Fixtures for the fake Slack's own tests: a fake with two people, a client pointed at it,
and a check that no test leaves a server thread running."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from tests.fakes import FakeSlack
from tests.fakes.payloads import BOT_TOKEN


@pytest.fixture
def no_threads_left_behind() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 2
    while (extra := set(threading.enumerate()) - before) and time.monotonic() < deadline:
        time.sleep(0.02)  # request threads finish just after their reply
    assert not extra, f"threads left running: {sorted(t.name for t in extra)}"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(users={"U0ALICE": {"real_name": "Alice Example"}, "U0BOB": {}}) as fake:
        yield fake


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token=BOT_TOKEN, base_url=fake.base_url)
