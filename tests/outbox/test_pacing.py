"""The pure pacing rules: slots under the workspace budget, one per channel per second,
opens in Tier 3, and what an attempt's answer leads to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.outbox.pacing import Attempt, OutboxLimits, Verdict, backoff, book, verdict

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
LIMITS = OutboxLimits(messages_per_minute=60, opens_per_minute=20,
                      horizon=timedelta(seconds=10))


def seconds(slots: list[datetime | None]) -> list[float]:
    """The booked slots, in seconds from NOW; messages left for a later claim are skipped."""
    return [(s - NOW).total_seconds() for s in slots if s is not None]


def test_the_workspace_budget_spaces_messages_and_stops_at_the_horizon() -> None:
    booking = book([(f"D{n}", False) for n in range(30)], now=NOW, next_post_at=NOW,
                   next_open_at=NOW, limits=LIMITS)
    assert seconds(booking.slots) == [float(n) for n in range(11)]
    assert booking.next_post_at == NOW + timedelta(seconds=11)
    assert booking.next_open_at == NOW  # nothing opened


def test_a_budget_already_spent_by_another_worker_is_respected() -> None:
    booking = book([("D1", False)], now=NOW, next_post_at=NOW + timedelta(seconds=4),
                   next_open_at=NOW, limits=LIMITS)
    # After the slots another worker booked, and a little later: its last call may start
    # up to `late` after its slot.
    assert seconds(booking.slots) == [4.25]


def test_a_budget_this_worker_booked_itself_goes_on_without_the_margin() -> None:
    # Its own calls keep their spacing from one claim to the next (the sender's pace).
    booking = book([("D1", False)], now=NOW, next_post_at=NOW + timedelta(seconds=4),
                   next_open_at=NOW, limits=LIMITS, ours=True)
    assert seconds(booking.slots) == [4.0]


def test_a_budget_booked_on_a_clock_since_moved_back_is_dropped() -> None:
    booking = book([("D1", False)], now=NOW, next_post_at=NOW + timedelta(hours=3),
                   next_open_at=NOW + timedelta(hours=3), limits=LIMITS)
    assert seconds(booking.slots) == [0.0]


def test_one_channel_gets_one_message_a_second_and_opens_keep_tier_3() -> None:
    fast = OutboxLimits(messages_per_minute=600, opens_per_minute=20,
                        horizon=timedelta(seconds=10))
    booking = book([("D1", False), ("D1", False), ("@U2", True), ("@U3", True)], now=NOW,
                   next_post_at=NOW, next_open_at=NOW, limits=fast)
    assert seconds(booking.slots) == [0.0, 1.0, 1.1, 3.0]  # opens 3 s apart at 20 a minute
    assert booking.next_open_at == NOW + timedelta(seconds=6)


def test_nothing_fits_and_nothing_is_booked() -> None:
    booking = book([("D1", False)], now=NOW, next_post_at=NOW + timedelta(seconds=10.5),
                   next_open_at=NOW, limits=LIMITS)
    assert booking.slots == [None] and booking.next_post_at == NOW + timedelta(seconds=10.5)


def test_a_dm_waiting_for_an_open_does_not_hold_up_dms_whose_channel_is_known() -> None:
    slow_opens = OutboxLimits(messages_per_minute=60, opens_per_minute=5,
                              horizon=timedelta(seconds=10))
    booking = book([("@U1", True), ("@U2", True), ("D3", False), ("D4", False)], now=NOW,
                   next_post_at=NOW, next_open_at=NOW, limits=slow_opens)
    # One open fits the horizon at 5 a minute; U2 waits, D3 and D4 go on.
    assert booking.slots == [NOW, None, NOW + timedelta(seconds=1), NOW + timedelta(seconds=2)]
    assert booking.next_open_at == NOW + timedelta(seconds=12)


def test_opens_ahead_take_only_the_open_budget_left_after_the_dms_due_now() -> None:
    fast = OutboxLimits(messages_per_minute=600, opens_per_minute=20,
                        horizon=timedelta(seconds=10))
    booking = book([("@U1", True), ("D2", False)], now=NOW, next_post_at=NOW,
                   next_open_at=NOW, limits=fast, opens_ahead=10)
    assert seconds(booking.slots) == [0.0, 0.1]
    assert seconds(booking.open_slots) == [3.0, 6.0, 9.0]  # after U1's open, 3 s apart
    assert booking.next_open_at == NOW + timedelta(seconds=12)
    assert booking.next_post_at == NOW + timedelta(seconds=0.2)  # opens post nothing
    nothing = book([], now=NOW, next_post_at=NOW, next_open_at=NOW + timedelta(seconds=11),
                   limits=fast, opens_ahead=5)
    assert nothing.open_slots == [] and nothing.next_open_at == NOW + timedelta(seconds=11)


def test_back_off_grows_is_capped_and_jittered() -> None:
    limits = OutboxLimits(backoff_base=timedelta(seconds=5), backoff_cap=timedelta(minutes=1),
                          settle=timedelta(seconds=30))
    assert [backoff(n, limits, uncertain=False, rand=lambda: 1.0).total_seconds()
            for n in range(1, 7)] == [5, 10, 20, 40, 60, 60]
    assert backoff(1, limits, uncertain=False, rand=lambda: 0.0).total_seconds() == 2.5
    # Slack may still be posting an attempt that went unanswered: wait before looking.
    assert backoff(1, limits, uncertain=True, rand=lambda: 0.0).total_seconds() == 30


@pytest.mark.parametrize(("attempt", "attempts", "expected", "uncertain"), [
    (Attempt(ts="1.2", channel="D1"), 1, Verdict.SENT, False),
    (Attempt(error="ratelimited", status=429, retry_after=3), 8, Verdict.HELD, False),
    (Attempt(error="HTTP 500", status=500), 1, Verdict.RETRY, True),
    (Attempt(error="HTTP 503", status=503), 8, Verdict.FAILED, True),
    (Attempt(error="no answer from Slack: TimeoutError()", status=0), 2, Verdict.RETRY, True),
    (Attempt(error="service_unavailable"), 1, Verdict.RETRY, False),
    (Attempt(error="channel_not_found"), 1, Verdict.FAILED, False),
    (Attempt(error="invalid_blocks"), 1, Verdict.FAILED, False),
    (Attempt(error="checking …: service_unavailable", code="service_unavailable"), 1,
     Verdict.RETRY, False),
    (Attempt(error="checking …: missing_scope", code="missing_scope"), 1, Verdict.FAILED, False),
])
def test_what_an_answer_leads_to(attempt: Attempt, attempts: int, expected: Verdict,
                                 uncertain: bool) -> None:
    assert verdict(attempt, attempts=attempts, limits=OutboxLimits(max_attempts=8)) is expected
    assert attempt.uncertain is uncertain
