"""Issue 9's acceptance, end to end on real processes: a thousand people fall due in the same
minute; `okr-bot serve` is killed with SIGKILL halfway through sending and started again, and
every one of them ends with exactly one check-in DM; so does running two `serve` processes side
by side on one PostgreSQL and killing one of them halfway. The fake Slack enforces a message
rate, so sending takes seconds and the kill lands mid-flight (and the bot meets 429s, as it
would in Slack).

Both processes run on a driven clock (OKR_BOT_CLOCK_SPEED): the check-in job ticks every
minute of it and a dead worker's lease (two minutes) runs out in seconds, not minutes.
bench/exactly_once.py runs the same with more people and prints figures.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.checkins.rounds import CheckinRound
from bot.db import make_engine, make_session_factory
from bot.outbox.models import OutboxMessage
from tests.checkins.serving import (
    DUE,
    Bots,
    calls_in,
    checkin_posts,
    claim_holders,
    outbox_statuses,
    people,
    prepare,
    sending_span,
    sent_by,
)
from tests.conftest import BOT_TOKEN, TEAM_ID
from tests.fakes import FakeSlack
from tests.support.postgres import PostgresServer

# Two real serve processes sending 1,000 DMs: about a minute since the sender's new pacing
# (docs/performance.md), so more room than the suite's 120 s for a slower machine.
pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(300)]

PEOPLE = 300
SPEED = 20  # app seconds a real second: a lease of two minutes runs out in 6 s
RATE = 100  # chat.postMessage a second the fake Slack accepts; 429 with Retry-After above
START = DUE - timedelta(seconds=20)


@pytest.fixture
def database(postgres: PostgresServer) -> Iterator[str]:
    """A fresh PostgreSQL database, migrated, with the thousand-person plan imported."""
    url = postgres.create_database()
    prepare(url, PEOPLE)
    yield url
    postgres.drop_database(url)


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(bot_token=BOT_TOKEN, team_id=TEAM_ID) as fake:
        fake.rate_limits.limit("chat.postMessage", RATE)
        yield fake


@pytest.fixture
def bots(tmp_path: Path, database: str, slack: FakeSlack) -> Iterator[Bots]:
    running = Bots(tmp_path, database, slack, speed=SPEED)
    try:
        yield running
    finally:
        running.stop_all()


def assert_each_person_has_exactly_one(slack: FakeSlack, database_url: str) -> None:
    posts = checkin_posts(slack)
    by_person = {user: posts.get(slack.dm_channel(user), 0) for user in people(PEOPLE)}
    wrong = {user: n for user, n in by_person.items() if n != 1}
    assert wrong == {}, f"{len(wrong)} people without exactly one check-in DM: " + str(
        dict(list(wrong.items())[:10])) + "".join(
        calls_in(slack, slack.dm_channel(user)) for user in list(wrong)[:3])
    assert sum(posts.values()) == PEOPLE
    # What is stored agrees with what Slack has: one round and one sent message each, with
    # the ts of the one post in that person's DM.
    landed = {call.params["channel"]: call.response["ts"]
              for call in slack.calls_to("chat.postMessage") if call.ok}
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session:
            rounds = session.scalars(select(CheckinRound)).all()
            messages = session.scalars(select(OutboxMessage).where(
                OutboxMessage.kind == "checkin")).all()
    finally:
        engine.dispose()
    assert sorted(r.slack_user_id for r in rounds) == people(PEOPLE)
    assert {r.due_at for r in rounds} == {DUE}
    assert sorted(m.user_id for m in messages) == people(PEOPLE)
    assert Counter(m.status for m in messages) == {"sent": PEOPLE}
    assert {m.sent_channel: m.ts for m in messages} == landed


def test_sigkill_halfway_through_sending_then_a_restart_sends_each_dm_once(
        bots: Bots, slack: FakeSlack, database: str) -> None:
    began = time.monotonic()
    first = bots.start(START)
    first.url()
    # Killed while its sender holds claims (rows marked sending), past a quarter of the way.
    bots.wait_until(lambda: sum(checkin_posts(slack).values()) >= PEOPLE // 4
                    and outbox_statuses(database)["sending"] > 0, within=60,
                    what="a quarter of the check-ins sent by the first process")
    killed_at = time.monotonic()
    bots.kill(first)
    sent_before = sum(checkin_posts(slack).values())
    assert sent_before < PEOPLE, "the kill came after everything was sent: nothing was tested"
    # The kill caught the sender holding claims: messages marked sending by a dead worker,
    # some of them maybe posted already (their answer never recorded).
    at_kill = outbox_statuses(database)
    assert at_kill["sending"] > 0, at_kill
    unrecorded = sent_before - at_kill["sent"]  # in Slack, not yet marked sent: looked for
    # Started again where the first one's clock had got to (at most), as a restart would be.
    second = bots.start(START + timedelta(seconds=(killed_at - began) * SPEED))
    second.url()
    recovered = bots.wait_until(lambda: sum(checkin_posts(slack).values()) >= PEOPLE,
                                within=90, what="every check-in sent after the restart")
    time.sleep(2)  # time for a duplicate to show: a second run, a lease running out
    print(f"\n{sent_before} of {PEOPLE} sent before SIGKILL ({unrecorded} of them not yet "
          f"recorded; rows then: {dict(at_kill)}); the rest {recovered:.1f} s after the restart "
          f"was healthy; {len(slack.calls_to('conversations.history'))} history checks; "
          f"{slack.rate_limits.refused['chat.postMessage']} posts refused with 429")
    assert_each_person_has_exactly_one(slack, database)


def test_two_processes_on_one_postgresql_send_each_dm_once_even_when_one_is_killed(
        bots: Bots, slack: FakeSlack, database: str) -> None:
    """Issue 11's acceptance too: killing one of two replicas during a Monday fan-out loses and
    duplicates nothing. The survivor takes over the dead one's claims when their lease ends."""
    began = time.monotonic()
    one = bots.start(START)
    two = bots.start(START)
    one.url()
    two.url()
    # Killed while it holds claims, a quarter of the way in.
    bots.wait_until(lambda: sum(checkin_posts(slack).values()) >= PEOPLE // 4
                    and one.process.pid in claim_holders(database), within=60,
                    what="a quarter of the check-ins out, the first process holding claims")
    bots.kill(one)
    sent_by_two = sent_by(two)
    sent_before = sum(checkin_posts(slack).values())
    assert sent_before < PEOPLE, "the kill came after everything was sent: nothing was tested"
    took = bots.wait_until(lambda: sum(checkin_posts(slack).values()) >= PEOPLE,
                           within=90, what="every check-in sent by the surviving process")
    time.sleep(2)  # time for a duplicate to show: a second run, a lease running out
    print(f"\n{PEOPLE} sent; {sent_before} before one of the two was killed, the rest "
          f"{took:.1f} s later by the survivor "
          f"({time.monotonic() - began:.1f} s in all); "
          f"{slack.rate_limits.refused['chat.postMessage']} posts refused with 429; "
          f"{sending_span(slack)}")
    assert_each_person_has_exactly_one(slack, database)
    assert sent_by(two) > sent_by_two, "the survivor sent nothing after the kill"
