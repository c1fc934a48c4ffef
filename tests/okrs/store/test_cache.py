"""The chain cache's handling of the garbage collector: paused while any build runs, restored
exactly as it was after the last one."""

from __future__ import annotations

import gc
import threading

from bot.okrs.store.collector import collector_paused


def test_the_collector_is_off_while_a_build_runs_and_back_on_after() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_overlapping_builds_in_two_threads_keep_it_off_until_the_last_ends() -> None:
    first_in, second_done, seen = threading.Event(), threading.Event(), []

    def first() -> None:
        with collector_paused():
            first_in.set()
            second_done.wait(10)
            seen.append(gc.isenabled())

    thread = threading.Thread(target=first)
    thread.start()
    assert first_in.wait(10)
    with collector_paused():
        pass
    seen.append(gc.isenabled())  # the other build still runs
    second_done.set()
    thread.join()
    assert seen == [False, False]
    assert gc.isenabled()


def test_a_collector_someone_else_turned_off_stays_off() -> None:
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
