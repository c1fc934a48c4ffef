"""A team's week on real processes, for tests/ops/test_week.py: its plan, the web replicas'
clock and signer, and the worker pairs started just before each of the week's events."""

from __future__ import annotations

import json
import signal
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.alerts.models import MetricAlert
from bot.checkins.rounds import CheckinAnswer
from bot.db import make_engine, make_session_factory
from bot.outbox.models import OutboxMessage
from bot.outbox.sender import EVENT_TYPE
from bot.summaries.models import TeamDigest
from tests.checkins.serving import import_text
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, TEAM_ID
from tests.fakes import FakeSlack, SlackSender
from tests.fakes.signing import SlackReply
from tests.ops.processes import Process

# Monday 7 December 2026, 09:01 in London (UTC in winter): the squad's check-in falls due,
# a minute before the alerts' check (every five minutes from 09:02), so one worker start
# sees both.
DUE = datetime(2026, 12, 7, 9, 1, tzinfo=UTC)
WINDOW, REMINDER = timedelta(hours=2), timedelta(hours=1)
CHANNEL = "C0SQUAD"
MEMBERS = [f"U{n:07d}" for n in range(1, 13)]
MANAGER = "U0000099"  # checks in with the squad too
EVERYONE = [*MEMBERS, MANAGER]
KR_OWNER, KPI_OWNER = MEMBERS[0], MEMBERS[1]
SPEED = 20  # the workers' clock: app seconds a real second
LEAD = timedelta(seconds=20)  # workers start this long (1 s real) before the event they serve

PLAN = f"""
workspace: {TEAM_ID}
people:
{chr(10).join(f"  - {{slack_user_id: {u}, time_zone: Europe/London, manager: {MANAGER}}}"
              for u in MEMBERS)}
  - {{slack_user_id: {MANAGER}, time_zone: Europe/London}}
teams:
  - key: squad
    name: Squad
    channel: {CHANNEL}
    members: [{", ".join([*MEMBERS, MANAGER])}]
    managers: [{MANAGER}]
    checkin: {{weekday: monday, time: "09:01", window_hours: {WINDOW.seconds // 3600},
               reminder_after_hours: {REMINDER.seconds // 3600}}}
north_star: {{key: weekly-active-teams, name: Weekly active teams}}
goals:
  - {{key: grow, name: Grow, owner: {MANAGER}}}
objectives:
  - key: onboarding
    name: Make onboarding reliable
    goal: grow
    owner: {KR_OWNER}
    team: squad
    start: 2026-11-02
    end: 2027-01-29
    key_results:
      - {{key: activation, name: First-week activation, unit: "%", baseline: 10, target: 30,
          due: 2027-01-29, frequency: weekly}}
      - {{key: setup-time, name: Setup time, unit: min, direction: lower_is_better,
          baseline: 30, target: 10, due: 2027-01-29, frequency: weekly}}
kpis:
  - key: signup-success
    name: Signup success rate
    owner: {KPI_OWNER}
    unit: "%"
    baseline: 80
    target: 95
    start: 2026-11-02
    due: 2027-01-29
    frequency: weekly
    indicator: leading
    measures: {{objectives: [onboarding]}}
    thresholds: {{mode: share_of_target, green: 0.9, yellow: 0.7, pace: false}}
    triggers:
      - {{when: below, value: 60, action: Page the signup on-call}}
"""


def import_the_plan(database_url: str) -> None:
    import_text(database_url, PLAN)


def environment(database: str, slack: FakeSlack, clock: datetime, speed: float) -> dict[str, str]:
    return {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.base_url, "DATABASE_URL": database, "PORT": "0",
            "OKR_BOT_ENV": "test", "OKR_BOT_CLOCK_START": clock.isoformat(),
            "OKR_BOT_CLOCK_SPEED": str(speed)}


class Timed(SlackSender):
    """Signs with the replicas' clock, not the test machine's: their clock is driven."""

    def __init__(self, url: str, now: Callable[[], datetime]) -> None:
        super().__init__(url, SIGNING_SECRET, team_id=TEAM_ID)
        self.now = now

    def post(self, body: bytes, headers: dict[str, str] | None = None, *,
             timestamp: int | None = None, **kwargs: Any) -> SlackReply:
        stamp = int(self.now().timestamp()) if timestamp is None else timestamp
        return super().post(body, headers, timestamp=stamp, **kwargs)


class Week:
    """Two web replicas on one clock at real speed, and worker pairs on a faster one; every
    process stopped at the end, its log kept."""

    def __init__(self, cwd: Path, database: str, slack: FakeSlack, web_clock: datetime) -> None:
        self.cwd, self.database, self.slack = cwd, database, slack
        self.running: list[Process] = []
        began = time.monotonic()
        self.web_now = lambda: web_clock + timedelta(seconds=time.monotonic() - began)
        self.webs = [self._start(web_clock + timedelta(seconds=time.monotonic() - began), 1,
                                 "serve", "--role", "web") for _ in range(2)]
        self.senders = [Timed(f"{web.url()}/slack/events", self.web_now) for web in self.webs]
        self.workers: list[Process] = []
        self.pair: list[Process] = []  # the workers running now
        self.phases: list[float] = []  # real seconds each pair took to start, to be done
        # One engine for the test's many looks at the outbox while it waits (a new engine and
        # connection per look, every 50 ms, cost the run seconds of CPU).
        self.engine = make_engine(database)

    def sent(self) -> Counter[str]:
        """Outbox messages sent so far, by kind."""
        with self.engine.connect() as connection:
            return Counter(dict(connection.execute(
                select(OutboxMessage.kind, func.count()).where(OutboxMessage.status == "sent")
                .group_by(OutboxMessage.kind)).all()))

    def unsent(self) -> int:
        with self.engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(OutboxMessage)
                                      .where(OutboxMessage.status != "sent")).scalar_one()

    def _start(self, clock: datetime, speed: float, *args: str) -> Process:
        process = Process(self.cwd, environment(self.database, self.slack, clock, speed), *args)
        self.running.append(process)
        return process

    def workers_at(self, event: datetime, done: Callable[[], bool], *, what: str) -> None:
        """Two workers whose clock reads `event` - LEAD as they start, running until `done`.
        The pair before is stopped (SIGTERM) as they start, as in a rolling deploy: until
        then it kept running, time for a duplicate to show."""
        began = time.monotonic()
        before, self.pair = self.pair, []
        for worker in before:
            worker.process.send_signal(signal.SIGTERM)
        self.pair = [self._start(event - LEAD + timedelta(seconds=(time.monotonic() - began)
                                                          * SPEED), SPEED, "worker")
                     for _ in range(2)]
        self.workers += self.pair
        for worker in before:
            assert worker.stop() in (0, -signal.SIGTERM), worker.log[-3000:]
        for worker in self.pair:
            worker.url()
        up = time.monotonic() - began
        self.wait_until(done, within=30, what=what)
        self.phases.append((round(up, 1), round(time.monotonic() - began, 1)))

    def last_workers_stop(self) -> None:
        time.sleep(1)  # 20 s of the workers' clock, four outbox runs: time for a duplicate
        for worker in self.pair:
            assert worker.stop() in (0, -signal.SIGTERM), worker.log[-3000:]

    def wait_until(self, done: Callable[[], bool], *, within: float, what: str) -> None:
        deadline = time.monotonic() + within
        while not done():
            if time.monotonic() > deadline:
                queued = Counter((row.kind, row.status) for row in outbox_rows(self.database))
                raise AssertionError(f"{what}: not within {within} s; outbox {dict(queued)}\n"
                                     + "\n---\n".join(
                    p.log[-3000:] for p in self.running))
            time.sleep(0.1)

    def stop_all(self) -> None:
        for process in self.running:
            process.stop()
        self.engine.dispose()


def outbox_posts(slack: FakeSlack) -> Counter[int]:
    """Posts Slack accepted, by the outbox message each carries in its metadata."""
    found: Counter[int] = Counter()
    for call in slack.calls_to("chat.postMessage"):
        metadata = call.params.get("metadata") or {}
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        if call.ok and metadata.get("event_type") == EVENT_TYPE:
            found[metadata["event_payload"]["outbox_id"]] += 1
    return found


def outbox_rows(database: str) -> list[OutboxMessage]:
    engine = make_engine(database)
    try:
        with make_session_factory(engine)() as session:
            rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
            session.expunge_all()
            return list(rows)
    finally:
        engine.dispose()


def stored(database: str) -> dict[str, int]:
    """Check-in answers, team digests and metric alerts in the database."""
    engine = make_engine(database)
    try:
        with make_session_factory(engine)() as session:
            return {name: session.scalar(select(func.count()).select_from(model))
                    for name, model in (("answers", CheckinAnswer), ("digests", TeamDigest),
                                        ("alerts", MetricAlert))}
    finally:
        engine.dispose()


def posted(slack: FakeSlack, channel: str) -> list[dict[str, Any]]:
    """What Slack accepted in one channel, in order: text, thread and blocks as sent."""
    found = []
    for call in slack.calls_to("chat.postMessage"):
        if call.ok and call.params.get("channel") == channel:
            blocks = call.params.get("blocks")
            found.append({"text": call.params.get("text") or "",
                          "thread_ts": call.params.get("thread_ts"),
                          "blocks": json.loads(blocks) if isinstance(blocks, str) else blocks})
    return found
