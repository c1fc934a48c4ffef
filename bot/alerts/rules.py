"""When a metric's status is told to its owner: pure.

A metric that turns yellow or red is told once; it is told again only after it was green
again (recovered), however many checks pass meanwhile. Getting worse within the same trouble
(yellow, then red) is told: red calls for an urgent response where yellow called for a
hypothesis. Getting better without reaching green (red, then yellow) is not a new crossing.
A stale metric or one with no data says nothing either way: where it stands is not known.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.okrs.method.enums import Status

YELLOW, RED = "yellow", "red"
LEVELS = {Status.YELLOW: YELLOW, Status.RED: RED}


@dataclass(frozen=True)
class StatusChange:
    open: str | None = None  # a level to tell the owner about now
    recover: bool = False  # back to green: every open status alert closes, and re-arms


def status_change(status: Status, stale: bool, open_levels: set[str]) -> StatusChange:
    """What a metric's current status means for its status alerts, given those still open."""
    if stale or status is Status.NO_DATA:
        return StatusChange()
    if status is Status.GREEN:
        return StatusChange(recover=bool(open_levels))
    level = LEVELS[status]
    if level == RED and RED not in open_levels:
        return StatusChange(open=RED)
    if level == YELLOW and not open_levels:
        return StatusChange(open=YELLOW)
    return StatusChange()
