"""Fixtures for the operations tests: a runtime of a chosen role served over real HTTP, and
the scrape of its /metrics parsed into samples."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.config import Settings
from bot.process.roles import Role
from bot.serve import Runtime, build_runtime
from tests.conftest import SIGNING_SECRET, TEAM_ID
from tests.fakes import FakeSlack, SlackSender
from tests.outbox.conftest import app_clock, outbox  # noqa: F401 (their fixtures, here too)
from tests.support.server import HttpReply, get, serving


@dataclass
class Served:
    url: str
    runtime: Runtime
    slack: SlackSender

    def get(self, path: str) -> HttpReply:
        return get(f"{self.url}{path}")

    def samples(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """Every sample of a /metrics scrape, by name and sorted labels."""
        reply = self.get("/metrics")
        assert reply.status == 200, reply.body
        return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
                for family in text_string_to_metric_families(reply.body)
                for sample in family.samples}


@pytest.fixture
def serve(settings: Settings, fake_slack: FakeSlack) -> Callable[..., object]:
    """`serve(role=..., with_scheduler=...)` as a context manager yielding a Served."""

    @contextmanager
    def start(*, role: Role = Role.ALL, with_scheduler: bool | None = False) -> Iterator[Served]:
        runtime = build_runtime(settings, role=role)
        with serving(runtime.web_app(with_scheduler=with_scheduler)) as url:
            yield Served(url, runtime, SlackSender(
                f"{url}/slack/events", SIGNING_SECRET, team_id=TEAM_ID,
                response_urls=fake_slack.response_url))

    return start


def sample(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def planned() -> None:
    """The example plan imported (tests/conftest.py's `database_url` looks for this name)."""
