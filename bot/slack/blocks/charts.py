"""A metric's trend as Slack's native line chart (the `data_visualization` block): its
measurements, its target, the line its pace expects and where green and yellow start, over
the dates it was measured. Pure. The text sparkline stays beside it: a client that cannot
draw the chart still shows the trend.

Slack's limits, from the block's reference: a title of at most 50 characters; 1 to 6 series,
each named in at most 20 characters with 1 to 20 points; a point's label at most 20
characters and matching the axis's categories.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.okrs.method.chain import ChainNode
from bot.okrs.method.enums import BandMode, Direction
from bot.okrs.method.health import Measurement, MetricSpec, expected_value_at

TITLE_LENGTH = 50
MAX_POINTS = 20
MAX_SERIES = 6
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _clipped(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _by_day(measurements: tuple[Measurement, ...]) -> list[Measurement]:
    """The last measurement of each day, oldest first, the last MAX_POINTS days."""
    days: dict[str, Measurement] = {}
    for point in sorted(measurements, key=lambda m: m.measured_at):
        days[point.measured_at.astimezone(UTC).date().isoformat()] = point
    return list(days.values())[-MAX_POINTS:]


def _label(at: datetime) -> str:
    day = at.astimezone(UTC)
    return f"{day.day} {_MONTHS[day.month - 1]} {day:%y}"


def _number(value: float) -> float:
    return round(value, 6)


def _threshold_lines(spec: MetricSpec, times: list[datetime]) -> list[tuple[str, list[float]]]:
    """Where green and yellow start at each date, in the metric's own units."""
    bands = spec.bands
    if spec.direction is Direction.WITHIN_RANGE or bands is None:
        return []
    if bands.mode is BandMode.ABSOLUTE:
        return [(name, [level] * len(times)) for name, level in
                (("Green from", bands.green), ("Yellow from", bands.yellow))
                if level is not None]
    if spec.baseline is None or spec.target is None:
        return []
    baseline, target = spec.baseline, spec.target
    lines = []
    for name, share in (("Green from", bands.green), ("Yellow from", bands.yellow)):
        if share is None:
            continue
        if bands.pace:
            expected = [expected_value_at(spec, at) for at in times]
            if None in expected:
                return []
            lines.append((name, [baseline + share * (e - baseline) for e in expected
                                 if e is not None]))
        else:
            lines.append((name, [baseline + share * (target - baseline)] * len(times)))
    return lines


def trend_chart(node: ChainNode) -> dict | None:
    """The line chart of a key result's or KPI's recent measurements, or None when there is
    no line to draw (fewer than two days measured)."""
    spec = node.blueprint.metric
    points = _by_day(node.blueprint.measurements)
    if spec is None or len(points) < 2:
        return None
    times = [p.measured_at for p in points]
    labels = [_label(at) for at in times]
    series: list[tuple[str, list[float]]] = [("Measured", [p.value for p in points])]
    if spec.target is not None:
        series.append(("Target", [spec.target] * len(points)))
    expected = [expected_value_at(spec, at) for at in times]
    if None not in expected:
        series.append(("Expected pace", [e for e in expected if e is not None]))
    series += _threshold_lines(spec, times)
    unit = f" ({spec.unit})" if spec.unit else ""
    return {
        "type": "data_visualization",
        "title": _clipped(f"{node.name}{unit}", TITLE_LENGTH),
        "chart": {
            "type": "line",
            "series": [{"name": name, "data": [{"label": label, "value": _number(value)}
                                               for label, value in zip(labels, values,
                                                                       strict=True)]}
                       for name, values in series[:MAX_SERIES]],
            "axis_config": {"categories": labels, "x_label": "Measured on",
                            "y_label": _clipped(spec.unit or "Value", TITLE_LENGTH)},
        },
    }
