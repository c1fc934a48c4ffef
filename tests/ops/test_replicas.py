"""Issue 11's deployment on real processes: two web replicas (`serve --role web`) and a worker
on one PostgreSQL. A burst of slash commands spread over both replicas is answered while the
worker sends a Monday fan-out of check-ins; the worker is killed (SIGKILL) halfway and another
takes over: every person ends with exactly one check-in DM, and no web replica ran a job."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.checkins.serving import (
    DUE,
    checkin_posts,
    claim_holders,
    outbox_statuses,
    people,
    prepare,
)
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, TEAM_ID
from tests.fakes import FakeSlack, SlackSender
from tests.ops.processes import Process
from tests.support.postgres import PostgresServer
from tests.support.server import get

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(300)]

PEOPLE = 200
SPEED = 20
RATE = 100  # posts a second the fake Slack takes; 429 above
START = DUE - timedelta(seconds=20)
COMMANDS = 120


@pytest.fixture
def database(postgres: PostgresServer) -> Iterator[str]:
    url = postgres.create_database()
    prepare(url, PEOPLE)
    yield url
    postgres.drop_database(url)


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(bot_token=BOT_TOKEN, team_id=TEAM_ID) as fake:
        fake.rate_limits.limit("chat.postMessage", RATE)
        yield fake


def environment(database: str, slack: FakeSlack, after: float) -> dict[str, str]:
    return {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.base_url, "DATABASE_URL": database, "PORT": "0",
            "OKR_BOT_ENV": "test", "OKR_BOT_CLOCK_SPEED": str(SPEED),
            "OKR_BOT_CLOCK_START": (START + timedelta(seconds=after * SPEED)).isoformat(),
            "OUTBOX_MESSAGES_PER_MINUTE": "6000", "OUTBOX_OPENS_PER_MINUTE": "1000"}


def commands_counted(url: str) -> float:
    families = text_string_to_metric_families(get(f"{url}/metrics").body)
    return sum(s.value for f in families for s in f.samples
               if s.name == "okrbot_slack_requests_total" and s.labels["type"] == "command")


def wait_until(done, *, within: float, what: str, running: list[Process]) -> None:
    deadline = time.monotonic() + within
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {within} s\n" + "\n---\n".join(
                "\n".join(p.lines[-30:]) for p in running))
        time.sleep(0.05)


def test_two_web_replicas_and_a_worker_killed_halfway(
        tmp_path: Path, database: str, slack: FakeSlack) -> None:
    began = time.monotonic()
    running: list[Process] = []
    try:
        # The replicas run on the real clock (they run no job, and Bolt checks signatures on
        # real time); the worker's is driven, so Monday's fan-out comes within seconds.
        web_env = {k: v for k, v in environment(database, slack, 0).items()
                   if not k.startswith("OKR_BOT_CLOCK")}
        webs = [Process(tmp_path, web_env, "serve", "--role", "web") for _ in range(2)]
        worker = Process(tmp_path, environment(database, slack, 0), "worker")
        running += [*webs, worker]
        urls = [web.url() for web in webs]
        worker.url()
        senders = [SlackSender(f"{url}/slack/events", SIGNING_SECRET, team_id=TEAM_ID)
                   for url in urls]

        with ThreadPoolExecutor(max_workers=8) as pool:
            replies = list(pool.map(
                lambda n: senders[n % 2].command("status" if n % 3 else "help",
                                                 user_id=people(PEOPLE)[n % PEOPLE]),
                range(COMMANDS)))
        wait_until(lambda: sum(checkin_posts(slack).values()) >= PEOPLE // 4
                   and worker.process.pid in claim_holders(database), within=90,
                   what="a quarter of the check-ins out, the worker holding claims",
                   running=running)
        worker.process.send_signal(signal.SIGKILL)
        worker.process.wait(timeout=10)
        sent_before = sum(checkin_posts(slack).values())
        second = Process(tmp_path, environment(database, slack, time.monotonic() - began),
                         "worker")
        running.append(second)
        second.url()
        wait_until(lambda: sum(checkin_posts(slack).values()) >= PEOPLE, within=120,
                   what="every check-in sent once the second worker took over",
                   running=running)
        time.sleep(2)  # time for a duplicate to show
        counted = [commands_counted(url) for url in urls]
    finally:
        for process in running:
            process.stop()
    assert sent_before < PEOPLE, "the kill came after everything was sent: nothing was tested"
    assert [r.status for r in replies] == [200] * COMMANDS, replies[0]
    assert all("okr-bot commands" in r.body for r in replies[::3])
    # Status read the imported plan (a North Star and a goal, no objective yet) on each.
    statuses = [r for n, r in enumerate(replies) if n % 3]
    assert all("The plan has no objectives yet" in r.body for r in statuses)
    assert sum(counted) == COMMANDS and all(counted), counted  # both replicas took some
    posts = checkin_posts(slack)
    assert set(posts) == {slack.dm_channel(user) for user in people(PEOPLE)}
    assert sorted(set(posts.values())) == [1], "a person got more than one check-in DM"
    assert outbox_statuses(database) == {"sent": PEOPLE}
    for web in webs:
        assert not any("event=job_finished" in line for line in web.lines), web.log[-2000:]
    assert second.ran("send-outbox") > 0
