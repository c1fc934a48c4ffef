"""A metric's trend over its last measurements: rising, flat or falling. Kept with the tests,
not in bot/: nothing in the product shows it yet (a least-squares slope can read a sudden drop
after months of growth as flat, so it is not what a person should see beside a sparkline)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from enum import StrEnum

from bot.okrs.method.health import FLAT_TOLERANCE, Measurement, MetricSpec
from bot.okrs.method.movement import _chronological, _scale


class Trend(StrEnum):
    RISING = "rising"
    FLAT = "flat"
    FALLING = "falling"


def trend(measurements: Sequence[Measurement], n: int = 5, *,
          spec: MetricSpec | None = None) -> Trend:
    """Rising, flat or falling over the last n measurements (least-squares slope). Flat when the
    fitted change across the window is within 2% of the scale: |target − baseline| from `spec`,
    else the mean magnitude of the values."""
    window = _chronological(measurements)[-n:]
    if len(window) < 2:
        return Trend.FLAT
    first = window[0].measured_at
    days = [(m.measured_at - first).total_seconds() / 86400 for m in window]
    values = [m.value for m in window]
    # Plain sums, not fsum: absurd values must end up flat, not raise an overflow.
    mean_day, mean_value = sum(days) / len(days), sum(values) / len(values)
    spread = sum((d - mean_day) ** 2 for d in days)
    if spread == 0:
        return Trend.FLAT
    slope = sum((d - mean_day) * (v - mean_value) for d, v in zip(days, values, strict=True))
    change = slope / spread * (days[-1] - days[0])
    if not math.isfinite(change) or abs(change) <= FLAT_TOLERANCE * _scale(spec, values):
        return Trend.FLAT
    return Trend.RISING if change > 0 else Trend.FALLING
