"""The chain cache's background worker: a failure is logged as an error while its runtime
runs, and work that fails because the runtime closed under it is not (shutdown, and tests'
teardown, dispose of the engine it was reading)."""

from __future__ import annotations

import logging
import threading

import pytest

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
