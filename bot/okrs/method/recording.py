"""What recording a measurement changed, as plain data every surface renders. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.okrs.method.enums import Status
from bot.okrs.method.health import STATUS_WORDS, Health
from bot.okrs.method.triggers import Firing


@dataclass(frozen=True)
class MetricRef:
    """A key result or KPI as a reply names it: no table row, so builders stay pure."""

    key: str
    name: str
    unit: str
    owner: str | None


@dataclass(frozen=True)
class Recorded:
    metric: MetricRef
    old_value: float | None
    new_value: float
    health: Health
    fired: list[Firing]
    # As typed, to show each value that way; None: format_value's own rounding.
    old_decimals: int | None = None
    new_decimals: int | None = None
    old_status: Status | None = None  # before this value; None: nothing was measured before

    def status_change(self) -> str | None:
        """"First-week activation turned yellow: 12% where the pace expects 15% for 3 Dec, 3
        points behind", or "… is green again: …"; None when the status did not change (or
        this is the first value)."""
        new = self.health.status
        if self.old_status is None or self.old_status is new:
            return None
        word = STATUS_WORDS[new]
        why = self.health.reason.removeprefix(f"{word}: ")
        moved = f"is {word} again" if new is Status.GREEN else f"turned {word}"
        return f"{self.metric.name} {moved}: {why}"


@dataclass(frozen=True)
class Undone:
    """A measurement taken back: what it was, and what is in force now that it is not."""

    metric: MetricRef
    value: float
    decimals: int | None
    measured_at: datetime
    recorded_at: datetime
    now_value: float | None  # None: nothing is left measured
    now_decimals: int | None
    health: Health
