"""The chain cache's background worker: a burst of asks is done once, after the burst or at its
longest; a failure is logged as an error while its runtime runs, and work that fails because
the runtime closed under it is not (shutdown, and tests' teardown, dispose of the engine it was
reading)."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from bot import deadline
from bot.okrs.store.background import Background


def test_a_failure_while_running_is_an_error(caplog: pytest.LogCaptureFixture) -> None:
    background = Background("test-background")
    try:
        background.submit("fails", lambda: 1 / 0)
        background.wait_idle(timeout=10)
    finally:
        background.close()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.getMessage() for r in errors] == ["background chain work failed (fails)"]


def test_work_that_fails_because_the_runtime_closed_is_not_an_error(
        caplog: pytest.LogCaptureFixture) -> None:
    background = Background("test-background")
    started, closed, finished = threading.Event(), threading.Event(), threading.Event()

    def reads_a_disposed_engine() -> None:
        started.set()
        closed.wait(timeout=10)
        try:
            raise RuntimeError("the engine was disposed")
        finally:
            finished.set()

    background.submit("reload", reads_a_disposed_engine)
    assert started.wait(timeout=10)
    background.close()
    closed.set()
    assert finished.wait(timeout=10)
    for thread in threading.enumerate():  # until the worker has handled what it raised
        if thread.name.startswith("test-background"):
            thread.join(timeout=10)
    background.submit("after", lambda: 1 / 0)  # closed: nothing more runs
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_work_still_waiting_out_its_delay_at_close_does_not_run() -> None:
    background = Background("test-background")
    ran = threading.Event()
    background.submit("later", ran.set, delay=0.2)
    background.close()
    assert not ran.wait(timeout=0.5)


def test_asks_while_it_waits_put_it_off_and_it_runs_once() -> None:
    background = Background("test-background")
    ran: list[float] = []
    try:
        first = deadline.clock()
        background.submit("reload", lambda: ran.append(deadline.clock()), delay=0.2,
                          longest=5.0)
        time.sleep(0.1)
        last_ask = deadline.clock()
        background.submit("reload", lambda: ran.append(deadline.clock()), delay=0.2,
                          longest=5.0)
        background.wait_idle(timeout=10)
    finally:
        background.close()
    assert len(ran) == 1
    assert ran[0] >= last_ask + 0.2 > first + 0.2  # put off by the second ask


def test_a_burst_of_asks_does_not_put_it_off_past_longest() -> None:
    background = Background("test-background")
    ran = threading.Event()
    try:
        first = deadline.clock()
        asking_until = first + 5.0
        while not ran.is_set() and deadline.clock() < asking_until:
            # Asks keep coming far more often than the delay (a stall of a whole second of
            # this thread would end the burst early).
            background.submit("reload", ran.set, delay=1.0, longest=1.5)
            time.sleep(0.02)
        stopped_asking = deadline.clock()
    finally:
        background.close()
    assert ran.is_set(), "put off for as long as the asks came"
    assert stopped_asking - first >= 1.5  # it waited its longest, not only its delay
