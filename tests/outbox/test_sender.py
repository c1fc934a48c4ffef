"""The send-outbox job against the fake Slack: DMs opened once, paced, every message
delivered exactly once through 429s, 500s, time-outs and a worker that died holding some."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

import pytest
from slack_sdk import WebClient
from sqlalchemy import select

from bot.outbox.admin import retry
from bot.outbox.models import DirectMessageChannel
from bot.outbox.queue import Claim, claim_due
from bot.outbox.sender import EVENT_TYPE, send_outbox
from bot.scheduler import JOBS, JobContext, run_job
from tests.conftest import BOT_TOKEN
from tests.fakes import FakeSlack
from tests.outbox.conftest import (
    MovableClock,
    delivered,
    drain,
    queue_dms,
    rows,
    side_by_side,
)


def test_dms_go_to_the_channel_conversations_open_gave_opened_once(
        outbox: JobContext, fake_slack: FakeSlack) -> None:
    ids = queue_dms(outbox, 3)
    assert run_job("send-outbox", outbox).startswith("sent 3, ")
    # Sent side by side, each at its slot: compared in the order of the rows.
    posts = sorted(fake_slack.calls_to("chat.postMessage"), key=lambda p: p.params["channel"])
    assert [p.params["channel"] for p in posts] == ["D0001", "D0002", "D0003"]
    assert [p.params["text"] for p in posts] == ["Hello 1", "Hello 2", "Hello 3"]
    stored = rows(outbox.session_factory)
    assert [(r.status, r.ts, r.sent_channel) for r in stored] == [
        ("sent", p.response["ts"], p.params["channel"]) for p in posts]
    assert all(r.sent_at is not None and r.claimed_by is None for r in stored)
    assert delivered(fake_slack) == dict.fromkeys(ids, 1)

    queue_dms(outbox, 3, kind="reminder")  # the same people again: their channels are kept
    assert run_job("send-outbox", outbox).startswith("sent 3, ")
    assert len(fake_slack.calls_to("conversations.open")) == 3
    with outbox.session_factory() as db_session:
        assert {r.user_id: r.channel_id
                for r in db_session.scalars(select(DirectMessageChannel))} == {
            "U0001": "D0001", "U0002": "D0002", "U0003": "D0003"}


def test_the_job_is_registered_and_has_nothing_to_do_on_an_empty_outbox(
        outbox: JobContext, fake_slack: FakeSlack) -> None:
    assert "send-outbox" in JOBS
    assert run_job("send-outbox", outbox) == (
        "sent 0, to retry 0, failed 0, rate-limited 0; 0 waiting")
    assert fake_slack.calls == []


def test_two_senders_on_one_database_send_every_message_once(
        outbox: JobContext, second_process: JobContext, fake_slack: FakeSlack,
        app_clock: MovableClock) -> None:
    ids = queue_dms(outbox, 40)
    side_by_side(lambda context: drain(context, app_clock, within=60),
                 [outbox, second_process], within=90)
    assert delivered(fake_slack) == dict.fromkeys(ids, 1)
    assert len(fake_slack.calls_to("chat.postMessage")) == 40
    assert {r.status for r in rows(outbox.session_factory)} == {"sent"}


def test_a_message_claimed_by_a_worker_that_died_is_sent_after_its_lease(
        outbox: JobContext, fake_slack: FakeSlack, app_clock: MovableClock) -> None:
    ids = queue_dms(outbox, 2)
    # A worker claims both and dies: one before posting, one after posting but before it
    # could store Slack's answer.
    claims = claim_due(outbox.session_factory, worker="dead", now=outbox.now(),
                       limits=outbox.outbox)
    assert [c.id for c in claims] == ids
    posted = WebClient(token=BOT_TOKEN, base_url=fake_slack.base_url).chat_postMessage(
        channel="D0002", text="Hello 2",
        metadata={"event_type": EVENT_TYPE, "event_payload": {"outbox_id": ids[1]}})

    assert run_job("send-outbox", outbox).startswith("sent 0, ")  # still leased
    app_clock.advance(outbox.outbox.lease + timedelta(seconds=1))
    assert run_job("send-outbox", outbox).startswith("sent 2, ")

    assert delivered(fake_slack) == dict.fromkeys(ids, 1)
    first, second = rows(outbox.session_factory)
    assert (first.status, first.attempts) == ("sent", 2)
    assert (second.status, second.ts) == ("sent", posted["ts"])  # found, not posted again
    assert len(fake_slack.calls_to("conversations.history")) == 2


def test_a_post_by_a_dead_worker_is_found_when_the_app_clock_is_not_slacks(
        outbox: JobContext, fake_slack: FakeSlack, app_clock: MovableClock) -> None:
    """On a driven clock days ahead of the real one (end-to-end tests, `jobs run --at`),
    Slack's ts is still real time: the look for the earlier post must not start at the
    app-clock mark, or it misses the post and sends it twice (found by killing `serve`)."""
    app_clock.advance(timedelta(days=4))
    [only] = queue_dms(outbox, 1)
    claim_due(outbox.session_factory, worker="dead", now=outbox.now(), limits=outbox.outbox)
    posted = WebClient(token=BOT_TOKEN, base_url=fake_slack.base_url).chat_postMessage(
        channel="D0001", text="Hello 1",
        metadata={"event_type": EVENT_TYPE, "event_payload": {"outbox_id": only}})
    app_clock.advance(outbox.outbox.lease + timedelta(seconds=1))
    assert run_job("send-outbox", outbox).startswith("sent 1, ")
    assert delivered(fake_slack) == {only: 1}
    assert rows(outbox.session_factory)[0].ts == posted["ts"]


def test_over_slacks_rate_every_message_arrives_once(
        outbox: JobContext, fake_slack: FakeSlack, app_clock: MovableClock) -> None:
    """The bot's budget (20 a second) is above what this Slack takes (5 a second): Slack
    answers 429 with Retry-After, the workspace waits, nothing is lost or doubled."""
    fake_slack.rate_limits.limit("chat.postMessage", 5)
    ids = queue_dms(outbox, 30)
    outcomes = drain(outbox, app_clock)
    assert fake_slack.rate_limits.refused["chat.postMessage"] > 0
    # A run waits out a short hold and goes on: it may meet several.
    assert any(re.search(r"rate-limited [1-9]\d*;", o) for o in outcomes)
    assert delivered(fake_slack) == dict.fromkeys(ids, 1)
    assert {(r.status, r.attempts) for r in rows(outbox.session_factory)} <= {
        ("sent", 1), ("sent", 2), ("sent", 3)}


def test_through_500s_and_time_outs_every_message_arrives_once(
        outbox: JobContext, fake_slack: FakeSlack, app_clock: MovableClock) -> None:
    ids = queue_dms(outbox, 6)
    fake_slack.fail_next("chat.postMessage", status=500, times=2)
    fake_slack.time_out_next("chat.postMessage", seconds=1.0, delivered=True)
    fake_slack.time_out_next("chat.postMessage", seconds=1.0, delivered=False)
    fake_slack.fail_next("conversations.open", status=503)
    drain(outbox, app_clock, step=timedelta(minutes=2))
    assert delivered(fake_slack) == dict.fromkeys(ids, 1)
    assert {r.status for r in rows(outbox.session_factory)} == {"sent"}
    # Each message whose attempt had no clear answer was looked for before it went again.
    assert len(fake_slack.calls_to("conversations.history")) >= 3


def test_a_message_that_keeps_failing_is_kept_failed_with_its_error(
        outbox: JobContext, fake_slack: FakeSlack, app_clock: MovableClock) -> None:
    queue_dms(outbox, 1)
    fake_slack.fail_next("chat.postMessage", error="channel_not_found")
    assert run_job("send-outbox", outbox).startswith("sent 0, to retry 0, failed 1")
    [row] = rows(outbox.session_factory)
    assert (row.status, row.attempts, row.last_error) == ("failed", 1, "channel_not_found")
    app_clock.advance(timedelta(days=1))
    assert run_job("send-outbox", outbox).startswith("sent 0, ")  # failed stays failed
    assert delivered(fake_slack) == {}


def test_when_the_check_cannot_be_made_the_message_waits_for_a_person(
        outbox: JobContext, fake_slack: FakeSlack, app_clock: MovableClock) -> None:
    [only] = queue_dms(outbox, 1)
    fake_slack.time_out_next("chat.postMessage", seconds=1.0, delivered=True)
    assert run_job("send-outbox", outbox).startswith("sent 0, to retry 1, ")
    app_clock.advance(timedelta(minutes=2))
    fake_slack.fail_next("conversations.history", error="missing_scope")
    assert run_job("send-outbox", outbox).startswith("sent 0, to retry 0, failed 1")
    [row] = rows(outbox.session_factory)
    assert (row.status, row.last_error) == (
        "failed", "checking whether an earlier attempt arrived: missing_scope")

    assert retry(outbox.session_factory, all_failed=True, now=outbox.now()) == [only]
    assert run_job("send-outbox", outbox).startswith("sent 1, ")  # found, not posted again
    [landed] = fake_slack.calls_to("chat.postMessage")
    assert landed.injected == "timeout (delivered)"
    assert rows(outbox.session_factory)[0].ts == landed.response["ts"]
    assert delivered(fake_slack) == {only: 1}


def test_an_idle_run_is_logged_at_debug_and_one_that_sent_at_info(
        outbox: JobContext, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture) -> None:
    """A server at rest runs the sender every 5 s and the check-in job every minute: their
    idle runs must not fill its log; a run that did something is still told."""
    caplog.set_level(logging.DEBUG, logger="bot.scheduler")

    def finished(job: str) -> list[int]:
        return [r.levelno for r in caplog.records if f"job={job} " in r.getMessage()]

    run_job("send-outbox", outbox)
    run_job("run-checkins", outbox)
    queue_dms(outbox, 2)
    assert run_job("send-outbox", outbox).startswith("sent 2, ")
    assert finished("send-outbox") == [logging.DEBUG, logging.INFO]
    assert finished("run-checkins") == [logging.DEBUG]


class Stalling:
    """The real time a run paces on, on a machine so busy that every reading comes 300 ms
    after the one before: no call can start within `late` (250 ms) of its slot."""

    def __init__(self) -> None:
        self.readings = 0

    def __call__(self) -> float:
        self.readings += 1
        return 1000.0 + 0.3 * self.readings


def test_a_call_that_cannot_start_near_its_slot_gives_it_back_and_is_booked_again(
        outbox: JobContext, fake_slack: FakeSlack, app_clock: MovableClock) -> None:
    """Sent late, it could land on slots booked after it (another worker's): together above
    Slack's one-second window. Given back, it costs no attempt and goes in a later claim."""
    ids = queue_dms(outbox, 3)
    outcome = send_outbox(outbox, seconds=Stalling())
    assert re.search(r"^sent 0, .*; 3 waiting.*; [1-9]\d* slots given back \(late\)$",
                     outcome), outcome
    assert fake_slack.calls_to("chat.postMessage") == []
    assert [(r.status, r.attempts, r.claimed_by) for r in rows(outbox.session_factory)] == [
        ("queued", 0, None)] * 3

    drain(outbox, app_clock)  # the real clock: each goes in a later claim, once
    assert delivered(fake_slack) == dict.fromkeys(ids, 1)
    assert [(r.status, r.attempts) for r in rows(outbox.session_factory)] == [("sent", 1)] * 3


def test_a_workspace_another_worker_is_sending_is_left_to_it_until_it_stops(
        outbox: JobContext, app_clock: MovableClock) -> None:
    """Two processes taking turns would pay the margin after another worker's slots at every
    turn; the one sending goes on without it, the other steps in when it stops."""
    queue_dms(outbox, 60)  # 20 a second here, one second a claim
    app_clock.stop()  # the slots below are exact: no real time may pass between claims
    ours, theirs = dict[str, datetime](), dict[str, datetime]()

    def claim(worker: str, booked: dict[str, datetime]) -> list[Claim]:
        return claim_due(outbox.session_factory, worker=worker, now=outbox.now(),
                         limits=outbox.outbox, booked=booked)

    first = claim("A", ours)
    gap = timedelta(seconds=60 / outbox.outbox.messages_per_minute)
    assert len(first) == 21 and first[-1].at - first[0].at == 20 * gap
    app_clock.advance(timedelta(seconds=0.5))
    # A has the budget booked half a second ahead; B's horizon reaches past it, but A goes on.
    assert claim("B", theirs) == []
    app_clock.advance(timedelta(seconds=0.4))
    again = claim("A", ours)
    assert again[0].at == first[-1].at + gap  # on from its own slots, no margin
    app_clock.advance(again[-1].at + gap - outbox.now() - timedelta(seconds=0.1))
    taken = claim("B", theirs)  # A's booking ends within the margin: B takes over after it
    assert taken[0].at == again[-1].at + gap + outbox.outbox.late
    assert not {c.id for c in taken} & {c.id for c in first + again}


def test_a_429_ends_the_run_and_asks_to_run_again_when_the_hold_is_over(
        outbox: JobContext, fake_slack: FakeSlack) -> None:
    """No worker sleeps on a 429: the run that met the hold ends with the rest waiting, and
    asks the scheduler (the runtime's SenderWake) to run the sender again when it is over."""
    asked: list[float] = []
    outbox.outbox_wake.attach(lambda: None, asked.append)
    fake_slack.rate_limits.limit("chat.postMessage", 2)  # far under the bot's budget
    queue_dms(outbox, 12)

    outcome = run_job("send-outbox", outbox)

    assert re.search(r"rate-limited [1-9]\d*;", outcome), outcome
    waiting = int(re.search(r"(\d+) waiting", outcome).group(1))  # type: ignore[union-attr]
    assert waiting > 0, "the run waited the hold out instead of ending"
    assert len(asked) == 1 and 0 < asked[0] <= 60, asked
