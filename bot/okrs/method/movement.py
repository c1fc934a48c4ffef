"""How a metric moves over time: its trend, and whether it has stalled on a plateau. Pure."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.okrs.method.enums import FREQUENCY_DAYS, Frequency, Trend
from bot.okrs.method.health import FLAT_TOLERANCE, Measurement, MetricSpec


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


def is_plateau(measurements: Sequence[Measurement], periods: int, period: Frequency,
               now: datetime, tolerance: float = FLAT_TOLERANCE, *,
               spec: MetricSpec | None = None) -> bool:
    """Flat for the last `periods` periods: every value in effect over that window (the one in
    effect at its start, and all measured since) lies within tolerance × scale. False until the
    data spans the whole window, since a metric measured for a week has not been flat for three."""
    if periods < 1:
        raise ValueError("a plateau needs at least one period")
    window_start = now - timedelta(days=periods * FREQUENCY_DAYS[period])
    history = [m for m in _chronological(measurements) if m.measured_at <= now]
    before = [m for m in history if m.measured_at <= window_start]
    inside = [m for m in history if m.measured_at > window_start]
    if not before or not inside:
        return False
    values = [before[-1].value, *(m.value for m in inside)]
    return max(values) - min(values) <= tolerance * _scale(spec, values)


def _scale(spec: MetricSpec | None, values: Sequence[float]) -> float:
    """What counts as a big move: the distance baseline → target, else the values' magnitude."""
    if spec is not None and spec.baseline is not None and spec.target is not None:
        distance = abs(spec.target - spec.baseline)
        if distance > 0:
            return distance
    return sum(abs(v) for v in values) / len(values) if values else 0.0


def _chronological(measurements: Sequence[Measurement]) -> list[Measurement]:
    return sorted(measurements, key=lambda m: m.measured_at)
