"""The open-dm-channels job on SQLite and PostgreSQL, against the fake Slack: the people due
for a check-in within the setting's days get their DM channel opened ahead, once, paced after
the DMs due now, through 429s; their check-in DM then needs no conversations.open."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.checkins.job import run_checkins
from bot.cli.main import main
from bot.config import Settings
from bot.db import transaction
from bot.okrs.plans.files import parse_plan
from bot.okrs.store.importer import import_plan
from bot.outbox.models import DirectMessageChannel, OutboxPacing
from bot.outbox.queue import OPEN_DM
from bot.scheduler import JobContext, run_job
from tests.checkins.serving import plan_text
from tests.conftest import BOT_TOKEN, TEAM_ID
from tests.fakes import FakeSlack
from tests.outbox.conftest import (
    MovableClock,
    delivered,
    drain,
    queue_dms,
    rows,
    side_by_side,
)
from tests.people.plans import import_zones_plan

# The zones plan's team checks in on Tuesdays at 10:30 local: on 1 December 2026 that is
# 05:00 UTC in Kolkata (U0BEN), 10:30 in London (U0ANA), 18:30 in Los Angeles (U0GONE).
SUNDAY_NOON = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
DUE_TIMES = [datetime(2026, 12, 1, 5, 0, tzinfo=UTC), datetime(2026, 12, 1, 10, 30, tzinfo=UTC),
             datetime(2026, 12, 1, 18, 30, tzinfo=UTC)]


def set_clock(app_clock: MovableClock, at: datetime) -> None:
    app_clock.advance(at - app_clock.now())


def channels(session_factory: sessionmaker[Session]) -> dict[str, str]:
    with session_factory() as db_session:
        return {r.user_id: r.channel_id
                for r in db_session.scalars(select(DirectMessageChannel))}


def test_people_due_within_the_days_get_their_channel_ahead_and_their_dm_needs_no_open(
        outbox: JobContext, fake_slack: FakeSlack, app_clock: MovableClock) -> None:
    import_zones_plan(outbox.session_factory)
    two_days = replace(outbox, outbox=replace(outbox.outbox, open_ahead=timedelta(days=2)))
    set_clock(app_clock, SUNDAY_NOON - timedelta(days=3))  # Tuesday is 4.7 days away or more
    assert run_job("open-dm-channels", two_days).startswith("queued 0 DM channel(s)")
    set_clock(app_clock, SUNDAY_NOON)  # Kolkata's and London's within two days, LA's not
    assert run_job("open-dm-channels", two_days).startswith("queued 2 DM channel(s)")
    assert run_job("open-dm-channels", outbox).startswith("queued 1 DM channel(s)")
    assert run_job("open-dm-channels", outbox).startswith("queued 0 DM channel(s)")  # waiting

    drain(outbox, app_clock)
    assert fake_slack.calls_to("chat.postMessage") == []  # an open posts nothing
    people = ["U0ANA", "U0BEN", "U0GONE"]
    assert sorted(c.params["users"] for c in fake_slack.calls_to("conversations.open")) == people
    assert channels(outbox.session_factory) == {u: fake_slack.dm_channel(u) for u in people}
    assert {(r.kind, r.status, r.sent_channel) for r in rows(outbox.session_factory)} == {
        (OPEN_DM, "sent", fake_slack.dm_channel(u)) for u in people}
    assert run_job("open-dm-channels", outbox) == (
        "queued 0 DM channel(s) to open; 3 of the people due within 7 day(s) have one already")

    for due in DUE_TIMES:  # each check-in falls due, and the sender delivers it
        set_clock(app_clock, due)
        assert run_checkins(outbox.session_factory, due).opened == 1
        drain(outbox, app_clock)
    posts = fake_slack.calls_to("chat.postMessage")
    assert sorted(p.params["channel"] for p in posts) == sorted(
        fake_slack.dm_channel(u) for u in people)
    assert len(fake_slack.calls_to("conversations.open")) == 3  # none more in the due minute


def test_two_processes_running_the_job_together_queue_each_open_once(
        outbox: JobContext, second_process: JobContext, fake_slack: FakeSlack,
        app_clock: MovableClock) -> None:
    import_zones_plan(outbox.session_factory)
    set_clock(app_clock, SUNDAY_NOON)
    outcomes = side_by_side(lambda context: run_job("open-dm-channels", context),
                            [outbox, second_process], within=60)
    # Whichever commits first queues all three; the other finds them (waiting, or a key
    # already there) and queues none.
    assert sorted(int(o.split()[1]) for o in outcomes) == [0, 3]
    opens = [r for r in rows(outbox.session_factory) if r.kind == OPEN_DM]
    assert sorted(r.user_id for r in opens) == ["U0ANA", "U0BEN", "U0GONE"]
    drain(outbox, app_clock)
    assert len(fake_slack.calls_to("conversations.open")) == 3


def test_jobs_list_shows_the_job_and_jobs_run_uses_the_setting(
        outbox: JobContext, fake_slack: FakeSlack, settings: Settings,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_API_URL", settings.slack_api_url)
    monkeypatch.setenv("OUTBOX_OPEN_AHEAD_DAYS", "2")
    assert main(["jobs", "list", "--at", "2026-11-29T12:00:00+00:00"]) == 0
    [listed] = [line for line in capsys.readouterr().out.splitlines()
                if line.startswith("open-dm-channels\t")]
    assert listed.split("\t")[1] == "next 2026-11-29T12:40:00+00:00"  # hourly, at 40 past
    import_zones_plan(outbox.session_factory)
    assert main(["jobs", "run", "open-dm-channels", "--at", SUNDAY_NOON.isoformat()]) == 0
    assert capsys.readouterr().out.startswith("queued 2 DM channel(s) to open; 0 of the "
                                              "people due within 2 day(s)")
    a_minute_later = (SUNDAY_NOON + timedelta(minutes=1)).isoformat()
    assert main(["jobs", "run", "send-outbox", "--at", a_minute_later]) == 0
    assert capsys.readouterr().out.startswith("sent 2, ")
    assert set(channels(outbox.session_factory)) == {"U0ANA", "U0BEN"}


def test_a_429_to_an_open_waits_its_retry_after_and_holds_no_dm_due_now(
        outbox: JobContext, fake_slack: FakeSlack, app_clock: MovableClock) -> None:
    loaded = parse_plan(plan_text(3))  # three people due Monday 7 December, 09:00 London
    assert loaded.ok, loaded.errors
    with outbox.session_factory.begin() as db_session:
        import_plan(db_session=db_session, plan=loaded.plan)
    set_clock(app_clock, datetime(2026, 12, 4, 12, 0, tzinfo=UTC))
    # Five DMs due now to people whose channels are known.
    with transaction(outbox.session_factory) as db_session:
        db_session.add_all(DirectMessageChannel(team_id=TEAM_ID, user_id=f"U{n:04d}",
                                                channel_id=fake_slack.dm_channel(f"U{n:04d}"),
                                                opened_at=outbox.now()) for n in range(1, 6))
    dms = queue_dms(outbox, 5)
    assert run_job("open-dm-channels", outbox).startswith("queued 3 ")
    fake_slack.fail_next("conversations.open", status=429, retry_after=2)

    first = run_job("send-outbox", outbox)
    assert first.startswith("sent 5, to retry 0, failed 0, rate-limited 1;"), first
    assert delivered(fake_slack) == dict.fromkeys(dms, 1)  # the DMs went on
    with outbox.session_factory() as db_session:
        assert db_session.get(OutboxPacing, TEAM_ID).held_until is None
    drain(outbox, app_clock)

    opens = fake_slack.calls_to("conversations.open")
    refused = [c for c in opens if c.status == 429]
    assert len(refused) == 1 and len(opens) == 4
    assert min(c.received_at for c in opens if c.ok) - refused[0].received_at >= 1.9
    assert sorted(c.params["users"] for c in opens if c.ok) == [
        "U0000001", "U0000002", "U0000003"]
    opened = [r for r in rows(outbox.session_factory) if r.kind == OPEN_DM]
    # A rate limit costs no attempt; each channel is stored once.
    assert {(r.status, r.attempts) for r in opened} == {("sent", 1)}
    assert set(channels(outbox.session_factory)) >= {"U0000001", "U0000002", "U0000003"}
    assert len(fake_slack.calls_to("chat.postMessage")) == 5
