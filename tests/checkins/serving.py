"""`okr-bot serve` processes on a driven clock against the fake Slack, a plan of many people
due at one instant, and what Slack and the database then hold: shared by the exactly-once
test (tests/checkins/test_exactly_once_processes.py) and its benchmark (bench/exactly_once.py).
"""

from __future__ import annotations

import re
import signal
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from bot import schema
from bot.db import make_engine, make_session_factory
from bot.okrs.plans.files import parse_plan
from bot.okrs.store.importer import import_plan
from bot.outbox.models import OutboxMessage
from tests.cli.test_main import Serving
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, TEAM_ID
from tests.fakes import FakeSlack

# Monday 7 December 2026, 09:00 in London (UTC in winter): everyone's check-in falls due here.
DUE = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
CHECKIN_TEXT = "Time for your weekly check-in"


def people(count: int) -> list[str]:
    return [f"U{n:07d}" for n in range(1, count + 1)]


def plan_text(count: int) -> str:
    """One team whose check-in falls due for everyone at DUE: Monday 09:00 in London."""
    members = people(count)
    listed = "\n".join(f"  - {{slack_user_id: {u}, time_zone: Europe/London}}" for u in members)
    return f"""
workspace: {TEAM_ID}
people:
{listed}
teams:
  - key: everyone
    name: Everyone
    members: [{", ".join(members)}]
    checkin: {{weekday: monday, time: "09:00"}}
north_star:
  key: weekly-active-teams
  name: Weekly active teams
goals:
  - key: grow
    name: Grow
    owner: {members[0]}
"""


def prepare(database_url: str, count: int) -> None:
    """Migrated, with the plan of `count` people imported."""
    schema.upgrade(database_url)
    import_text(database_url, plan_text(count))


def import_text(database_url: str, text: str) -> None:
    """A plan file's text imported, in one transaction."""
    loaded = parse_plan(text)
    assert loaded.ok, loaded.errors
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine).begin() as session:
            import_plan(db_session=session, plan=loaded.plan)
    finally:
        engine.dispose()


class Bots:
    """`okr-bot serve` processes on one database and one fake Slack; all stopped at the end."""

    def __init__(self, cwd: Path, database_url: str, slack: FakeSlack, *, speed: float) -> None:
        self.cwd, self.database_url, self.slack, self.speed = cwd, database_url, slack, speed
        self.running: list[Serving] = []
        self.logs: list[str] = []

    def start(self, clock_start: datetime) -> Serving:
        serving = Serving(self.cwd, {
            "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": self.slack.base_url, "DATABASE_URL": self.database_url,
            "PORT": "0", "OKR_BOT_ENV": "test", "OKR_BOT_CLOCK_START": clock_start.isoformat(),
            "OKR_BOT_CLOCK_SPEED": str(self.speed),
            # Above the fake's rate (budgets are on the app's clock, `speed` times as fast), so
            # Slack answers 429 too: holds, and claims released untried, are in play as well.
            "OUTBOX_MESSAGES_PER_MINUTE": "6000",
            "OUTBOX_OPENS_PER_MINUTE": "1000"})
        self.running.append(serving)
        return serving

    def kill(self, serving: Serving) -> None:
        serving.process.send_signal(signal.SIGKILL)
        assert serving.process.wait(timeout=10) == -signal.SIGKILL
        serving.reader.join(timeout=5)

    def stop_all(self) -> None:
        for serving in self.running:
            serving.stop()
            self.logs.append(serving.log)

    def wait_until(self, done: Callable[[], bool], *, within: float, what: str) -> float:
        """Real seconds it took; fails with every process's log if it does not happen."""
        began = time.monotonic()
        while not done():
            alive = [s for s in self.running if s.process.poll() is None]
            if not alive or time.monotonic() - began > within:
                raise AssertionError(f"{what}: not within {within} s; posts "
                                     f"{dict(checkin_posts(self.slack).most_common(3))}…\n"
                                     + "\n---\n".join(s.log[-4000:] for s in self.running))
            time.sleep(0.05)
        return time.monotonic() - began


SENT = re.compile(r"event=job_finished job=send-outbox outcome=.?sent (\d+),")


def sent_by(serving: Serving) -> int:
    """Messages this process's sender runs reported sent."""
    return sum(int(m.group(1)) for line in serving.lines if (m := SENT.search(line)))


def outbox_statuses(database_url: str) -> Counter[str]:
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session:
            return Counter(session.scalars(select(OutboxMessage.status)))
    finally:
        engine.dispose()


def claim_holders(database_url: str) -> Counter[int]:
    """Messages being sent, by the pid of the process holding them (claims are named
    host:pid:run)."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            names = connection.scalars(select(OutboxMessage.claimed_by).where(
                OutboxMessage.status == "sending")).all()
    finally:
        engine.dispose()
    return Counter(int(name.split(":")[-2]) for name in names if name)


def sending_span(slack: FakeSlack) -> str:
    posts = [c.received_at for c in slack.calls_to("chat.postMessage") if c.ok]
    return f"posts from first to last {max(posts) - min(posts):.1f} s"


def checkin_posts(slack: FakeSlack) -> Counter[str]:
    """Check-in DMs Slack accepted, by the channel they went to."""
    return Counter(call.params["channel"] for call in slack.calls_to("chat.postMessage")
                   if call.ok and CHECKIN_TEXT in str(call.params.get("text")))


def calls_in(slack: FakeSlack, channel: str) -> str:
    """What the bot asked Slack about one DM, in order: evidence for a duplicate or a loss."""
    lines = [f"\n  {channel}:"]
    for call in slack.calls:
        if call.params.get("channel") != channel:
            continue
        answer = call.response or {}
        found = [(m.get("ts"), (m.get("metadata") or {}).get("event_payload"))
                 for m in answer.get("messages", [])]
        lines.append(f"    {call.received_at:.3f} {call.method} {call.status} "
                     f"oldest={call.params.get('oldest')} "
                     f"metadata={(call.params.get('metadata') or {}).get('event_payload')} "
                     f"ts={answer.get('ts')} found={found}")
    return "\n".join(lines)
