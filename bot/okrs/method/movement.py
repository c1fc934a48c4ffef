"""How a metric moves over time: whether it has stalled on a plateau. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.okrs.method.enums import FREQUENCY_DAYS, Frequency
from bot.okrs.method.health import FLAT_TOLERANCE, Measurement, MetricSpec


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
