"""A runtime's sender woken by a commit: what the check-in job queues goes out at once, not at
the sender's next tick, and the ticks stay on their grid."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from bot import clock
from bot.scheduler import SEND_OUTBOX, JobContext, start_scheduler
from tests.fakes import FakeSlack
from tests.outbox.conftest import delivered, queue_dms

# Half a second after one of send-outbox's 5-second ticks; the clock runs at a hundredth of
# real time, so its next tick is 450 real seconds away: a DM sent within the test's time was
# sent because it was queued, not because the tick came.
START = datetime(2026, 12, 7, 9, 0, 0, 500000, tzinfo=UTC)
NEXT_TICK = datetime(2026, 12, 7, 9, 0, 5, tzinfo=UTC)
SPEED = 0.01


def test_a_queued_dm_is_sent_at_once_and_the_ticks_stay_on_their_grid(
        outbox: JobContext, fake_slack: FakeSlack) -> None:
    with clock.driven_by(clock.DrivenClock(START, speed=SPEED)) as driver:
        scheduler = start_scheduler(outbox, driver=driver)
        try:
            ids = queue_dms(outbox, 3)
            outbox.outbox_wake.queued()  # as the check-in job says after each commit
            end = time.monotonic() + 30
            while delivered(fake_slack) != dict.fromkeys(ids, 1) and time.monotonic() < end:
                time.sleep(0.05)
            assert delivered(fake_slack) == dict.fromkeys(ids, 1)

            more = queue_dms(outbox, 2, cycle="2026-w50")  # a second wake, after the run
            outbox.outbox_wake.queued()
            end = time.monotonic() + 30
            while len(delivered(fake_slack)) < 5 and time.monotonic() < end:
                time.sleep(0.05)
            assert delivered(fake_slack) == dict.fromkeys(ids + more, 1)

            # The woken runs moved no tick: the next is still the grid's, on the app clock.
            job = scheduler.get_job(SEND_OUTBOX)
            real_left = job.next_run_time - datetime.now(UTC)
            assert abs(driver.now() + real_left * SPEED - NEXT_TICK) < timedelta(seconds=0.2)
        finally:
            scheduler.shutdown(wait=True)


def test_a_hold_brings_the_next_run_forward_to_its_end_never_past_the_next_tick(
        outbox: JobContext) -> None:
    with clock.driven_by(clock.DrivenClock(START, speed=SPEED)) as driver:
        scheduler = start_scheduler(outbox, driver=driver)
        try:
            job = scheduler.get_job(SEND_OUTBOX)
            tick = job.next_run_time  # 450 real seconds away at this speed
            # A hold of 0.02 s of the app's clock is over in 2 real seconds: run then.
            outbox.outbox_wake.held_until(0.02)
            soon = scheduler.get_job(SEND_OUTBOX).next_run_time - datetime.now(UTC)
            assert timedelta(seconds=1) < soon < timedelta(seconds=3), soon
            # One that ends after the next tick leaves the run at the tick's.
            scheduler.modify_job(SEND_OUTBOX, next_run_time=tick)
            outbox.outbox_wake.held_until(10)  # 1,000 real seconds
            assert scheduler.get_job(SEND_OUTBOX).next_run_time == tick
        finally:
            scheduler.shutdown(wait=True)
