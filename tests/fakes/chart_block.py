"""The `data_visualization` block, checked as Slack's reference describes it: slack_sdk's
models do not know the block yet, so the fake Slack checks it here (plain Python, no
dependency: `make fake-slack` runs with what serving installs).

From the reference (docs.slack.dev, Block Kit, "Data visualization block"): `title` at most 50
characters; `chart` one of pie, bar, area or line; bar, area and line charts have `series` (1
to 6, each `name` at most 20 characters and unique, `data` 1 to 20 points of a `label` of at
most 20 characters and a numeric `value`, labels among the axis's categories) and an
`axis_config` (`categories`, each at most 20 characters; `x_label` and `y_label` at most 50);
a pie chart has 1 to 6 `segments`."""

from __future__ import annotations

import math
from typing import Any

CHART_TYPES = ("pie", "bar", "area", "line")
BLOCK_FIELDS = {"type", "title", "chart", "block_id"}
XY_FIELDS = {"type", "series", "axis_config"}


def _text(value: Any, limit: int, where: str, *, required: bool = True) -> list[str]:
    if value is None and not required:
        return []
    if not isinstance(value, str) or not value:
        return [f"{where}: a non-empty string is required"]
    if len(value) > limit:
        return [f"{where}: {len(value)} characters, more than {limit}"]
    return []


def _number(value: Any, where: str) -> list[str]:
    if isinstance(value, bool) or not isinstance(value, int | float) or (
            isinstance(value, float) and not math.isfinite(value)):
        return [f"{where}: a finite number is required, got {value!r}"]
    return []


def data_visualization_problems(block: dict[str, Any]) -> list[str]:
    """What is wrong with a data_visualization block, each with its path; [] if nothing."""
    problems = [f".{key}: not a field of the block" for key in block if key not in BLOCK_FIELDS]
    problems += _text(block.get("title"), 50, ".title")
    problems += _text(block.get("block_id"), 255, ".block_id", required=False)
    chart = block.get("chart")
    if not isinstance(chart, dict) or chart.get("type") not in CHART_TYPES:
        return [*problems, f".chart: an object whose type is one of {', '.join(CHART_TYPES)}"]
    if chart["type"] == "pie":
        segments = chart.get("segments")
        if not isinstance(segments, list) or not 1 <= len(segments) <= 6:
            problems.append(".chart.segments: 1 to 6 segments")
        return problems
    problems += [f".chart.{key}: not a field of a {chart['type']} chart" for key in chart
                 if key not in XY_FIELDS]
    axis = chart.get("axis_config")
    categories: list[Any] = []
    if not isinstance(axis, dict) or not isinstance(axis.get("categories"), list):
        problems.append(".chart.axis_config: an object with categories is required")
    else:
        categories = axis["categories"]
        for i, category in enumerate(categories):
            problems += _text(category, 20, f".chart.axis_config.categories[{i}]")
        for label in ("x_label", "y_label"):
            problems += _text(axis.get(label), 50, f".chart.axis_config.{label}",
                              required=False)
    series = chart.get("series")
    if not isinstance(series, list) or not 1 <= len(series) <= 6:
        return [*problems, ".chart.series: 1 to 6 series"]
    names = [s.get("name") for s in series if isinstance(s, dict)]
    if len(set(names)) != len(names):
        problems.append(".chart.series: names must be unique")
    for i, one in enumerate(series):
        where = f".chart.series[{i}]"
        if not isinstance(one, dict):
            problems.append(f"{where}: not an object")
            continue
        problems += _text(one.get("name"), 20, f"{where}.name")
        data = one.get("data")
        if not isinstance(data, list) or not 1 <= len(data) <= 20:
            problems.append(f"{where}.data: 1 to 20 points")
            continue
        for j, point in enumerate(data):
            if not isinstance(point, dict):
                problems.append(f"{where}.data[{j}]: not an object")
                continue
            problems += _text(point.get("label"), 20, f"{where}.data[{j}].label")
            problems += _number(point.get("value"), f"{where}.data[{j}].value")
            if categories and point.get("label") not in categories:
                problems.append(f"{where}.data[{j}].label: {point.get('label')!r} is not one "
                                "of the axis's categories")
    return problems
