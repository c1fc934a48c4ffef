"""When a metric's status is told (bot/alerts/rules.py): once per crossing into yellow or red,
worsening to red told too, again only after green; stale and unmeasured say nothing."""

from __future__ import annotations

import pytest

from bot.alerts.rules import RED, YELLOW, StatusChange, status_change
from bot.okrs.method.enums import Status


@pytest.mark.parametrize(("status", "stale", "open_levels", "change"), [
    (Status.YELLOW, False, set(), StatusChange(open=YELLOW)),  # green → yellow
    (Status.RED, False, set(), StatusChange(open=RED)),  # green → red, straight
    (Status.RED, False, {YELLOW}, StatusChange(open=RED)),  # worse: urgent now
    (Status.YELLOW, False, {YELLOW}, StatusChange()),  # still yellow: told already
    (Status.RED, False, {YELLOW, RED}, StatusChange()),  # still red
    (Status.YELLOW, False, {RED}, StatusChange()),  # better, not yet green: no new crossing
    (Status.GREEN, False, {YELLOW, RED}, StatusChange(recover=True)),  # re-armed
    (Status.GREEN, False, set(), StatusChange()),
    (Status.RED, True, set(), StatusChange()),  # stale: where it stands is not known
    (Status.NO_DATA, False, {RED}, StatusChange()),
])
def test_status_changes(status: Status, stale: bool, open_levels: set[str],
                        change: StatusChange) -> None:
    assert status_change(status, stale, open_levels) == change


def test_a_walk_through_trouble_tells_each_crossing_once() -> None:
    open_levels: set[str] = set()
    told = []
    for status in (Status.GREEN, Status.YELLOW, Status.YELLOW, Status.RED, Status.YELLOW,
                   Status.RED, Status.GREEN, Status.RED, Status.RED):
        change = status_change(status, False, open_levels)
        if change.recover:
            open_levels.clear()
        if change.open:
            open_levels.add(change.open)
            told.append(change.open)
    assert told == [YELLOW, RED, RED]
