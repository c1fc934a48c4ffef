"""Trend charts as Slack's `data_visualization` line chart, within the block's limits, and the
fake Slack's own check of that block (slack_sdk does not know it yet). Pure."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.okrs.method.chain import Blueprint, ChainNode, NodeKind
from bot.okrs.method.enums import BandMode, Status
from bot.okrs.method.health import Bands, Health, Measurement, MetricSpec
from bot.slack.blocks.charts import trend_chart
from tests.fakes.chart_block import data_visualization_problems

START = datetime(2026, 10, 1, 9, tzinfo=UTC)


def node(values: list[float], *, name: str = "Trial conversion", bands: Bands | None = None,
         every: timedelta = timedelta(days=1)) -> ChainNode:
    spec = MetricSpec(key="kr", name=name, baseline=2, target=5, unit="%",
                      start=date(2026, 10, 1), due=date(2026, 12, 31), bands=bands)
    points = tuple(Measurement(value=v, measured_at=START + every * i)
                   for i, v in enumerate(values))
    blueprint = Blueprint(NodeKind.KEY_RESULT, "kr", name, "U1", spec, points)
    return ChainNode(NodeKind.KEY_RESULT, "kr", name, "U1",
                     Health(Status.RED, "red: behind", rule="pace"), blueprint)


def test_the_chart_draws_measured_target_and_pace_on_the_measurement_dates() -> None:
    chart = trend_chart(node([2.0, 2.5, 2.4]))

    assert chart is not None and data_visualization_problems(chart) == []
    assert chart["title"] == "Trial conversion (%)"
    axis = chart["chart"]["axis_config"]
    assert axis["categories"] == ["1 Oct 26", "2 Oct 26", "3 Oct 26"]
    series = {s["name"]: [p["value"] for p in s["data"]] for s in chart["chart"]["series"]}
    assert series["Measured"] == [2.0, 2.5, 2.4]
    assert series["Target"] == [5, 5, 5]
    # 2 → 5 over 1 Oct 00:00 – 1 Jan 00:00 (92 days): at 09:00 on 1 Oct, 9/24 of a day in.
    assert series["Expected pace"][0] == round(2 + 3 * (9 / 24) / 92, 6)


def test_thresholds_are_drawn_in_the_metrics_own_units() -> None:
    absolute = trend_chart(node([2.0, 3.0], bands=Bands(mode=BandMode.ABSOLUTE, green=4.5,
                                                        yellow=3.5)))
    share = trend_chart(node([2.0, 3.0], bands=Bands(green=0.9, yellow=0.7)))
    assert absolute is not None and share is not None
    named = {s["name"]: s["data"][0]["value"] for s in absolute["chart"]["series"]}
    assert (named["Green from"], named["Yellow from"]) == (4.5, 3.5)
    named = {s["name"]: s["data"][0]["value"] for s in share["chart"]["series"]}
    assert (named["Green from"], named["Yellow from"]) == (round(2 + 0.9 * 3, 6),
                                                           round(2 + 0.7 * 3, 6))


def test_limits_hold_for_long_names_and_long_histories() -> None:
    chart = trend_chart(node([float(i) for i in range(40)], name="x" * 80,
                             every=timedelta(hours=12)))
    assert chart is not None and data_visualization_problems(chart) == []
    assert len(chart["title"]) == 50 and chart["title"].endswith("…")
    # Two a day for 20 days: the last of each of the last 20 days.
    measured = chart["chart"]["series"][0]["data"]
    assert len(measured) == 20 and measured[-1]["value"] == 39.0


def test_one_day_is_no_line() -> None:
    assert trend_chart(node([2.0])) is None
    assert trend_chart(node([2.0, 2.1], every=timedelta(hours=1))) is None


def test_the_fake_refuses_what_slack_would() -> None:
    chart = trend_chart(node([2.0, 2.5]))
    assert chart is not None
    broken = {**chart, "title": "t" * 51, "chart": {**chart["chart"], "series": [
        {"name": f"series {i}", "data": [{"label": "nowhere", "value": float("nan")}]}
        for i in range(7)]}}
    problems = data_visualization_problems(broken)
    assert ".title: 51 characters, more than 50" in problems
    assert ".chart.series: 1 to 6 series" in problems
