"""What recording a measurement changed, as plain data every surface renders. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from bot.okrs.method.health import Health
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
