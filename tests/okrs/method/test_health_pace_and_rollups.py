"""The health engine, continued: pace across a quarter, counter-metrics, roll-ups, trend and
plateau, and formatting."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from freezegun import freeze_time

from bot import clock
from bot.okrs.method.enums import Direction, Frequency, Rollup, Status
from bot.okrs.method.health import (
    Bands,
    Health,
    Measurement,
    MetricSpec,
    format_value,
    is_stale,
    rollup,
    severity,
    with_counter_metric,
)
from bot.okrs.method.movement import is_plateau
from tests.okrs.method.health_cases import (
    ONBOARDING,
    Q4_DUE,
    Q4_START,
    at,
    health_of,
    judged,
)
from tests.okrs.method.trend import Trend, trend

# pace across a quarter (default bands: pace, green 0.9, yellow 0.7)


@freeze_time("2025-10-01 09:00:00")
def test_pace_at_the_start_of_the_quarter_expects_nothing_yet() -> None:
    health = health_of(ONBOARDING, 8, clock.now())
    assert health.status is Status.GREEN
    assert health.rule == "pace"
    assert health.reason == "green: nothing expected yet for 1 Oct (baseline 8%, actual 8%)"
    regressed = health_of(ONBOARDING, 7.5, clock.now())
    assert regressed.status is Status.YELLOW
    assert regressed.reason == ("yellow: worse than the baseline for 1 Oct "
                                "(baseline 8%, actual 7.5%)")


@freeze_time("2025-09-20 12:00:00")
def test_pace_before_the_start_only_minds_regression() -> None:
    assert health_of(ONBOARDING, 8.2, clock.now()).reason == (
        "green: nothing expected yet for 20 Sep (baseline 8%, actual 8.2%)")
    assert health_of(ONBOARDING, 7, clock.now()).status is Status.YELLOW


@freeze_time("2025-10-31 16:00:00")  # 30⅔ of 92 days: a third in, 12% expected
@pytest.mark.parametrize(("value", "status", "reason"), [
    (12, Status.GREEN, "green: on the expected pace for 31 Oct (expected 12%, actual 12%)"),
    (14, Status.GREEN, "green: 14% where the pace expects 12% for 31 Oct, "
                       "2 points ahead"),
    (11.6, Status.GREEN, "green: 11.6% where the pace expects 12% for 31 Oct, "
                         "0.4 points behind"),
    (11, Status.YELLOW, "yellow: 11% where the pace expects 12% for 31 Oct, "
                        "1 point behind"),
    (9.2, Status.RED, "red: 9.2% where the pace expects 12% for 31 Oct, "
                      "2.8 points behind"),
])
def test_pace_a_third_into_the_quarter(value: float, status: Status, reason: str) -> None:
    health = health_of(ONBOARDING, value, clock.now())
    assert (health.status, health.reason, health.rule) == (status, reason, "pace")
    assert health.expected == pytest.approx(12)
    assert health.value == value


@freeze_time("2025-12-30 12:00:00")  # 90½ of 92 days: 19.8% expected
def test_pace_the_day_before_due() -> None:
    on_track = health_of(ONBOARDING, 19, clock.now())
    assert on_track.status is Status.GREEN
    assert on_track.reason == ("green: 19% where the pace expects 19.8% for 30 Dec, "
                               "0.8 points behind")
    late = health_of(ONBOARDING, 17, clock.now())
    assert late.status is Status.YELLOW
    assert late.reason.startswith("yellow: 17% where the pace expects 19.8% for 30 Dec")


@freeze_time("2026-01-10 12:00:00")
def test_pace_after_due_expects_the_full_target() -> None:
    health = health_of(ONBOARDING, 15, clock.now())
    assert health.status is Status.RED
    assert health.expected == 20
    assert health.reason == ("red: 15% where the pace expects 20% for 10 Jan, "
                             "5 points behind")
    assert health_of(ONBOARDING, 21, clock.now()).status is Status.GREEN


@freeze_time("2025-10-31 16:00:00")
def test_pace_of_lower_is_better_churn() -> None:
    spec = MetricSpec(key="churn", name="Churn", direction=Direction.LOWER_IS_BETTER, baseline=8,
                      target=4, unit="%", start=Q4_START, due=Q4_DUE)
    health = health_of(spec, 7, clock.now())
    assert health.status is Status.YELLOW
    assert health.reason == ("yellow: 7% where the pace expects 6.67% for 31 Oct, "
                             "0.3 points behind")


@freeze_time("2025-10-31 16:00:00")
def test_pace_with_explicit_bands_and_fallback_without_a_timeframe() -> None:
    strict = MetricSpec(key="a", name="A", baseline=8, target=20, unit="%", start=Q4_START,
                        due=Q4_DUE, bands=Bands(green=0.95, yellow=0.8, pace=True))
    assert health_of(strict, 11.6, clock.now()).status is Status.YELLOW
    undated = MetricSpec(key="a", name="A", baseline=8, target=20, unit="%",
                         bands=Bands(green=0.9, yellow=0.5, pace=True))
    health = health_of(undated, 12, clock.now())
    assert (health.status, health.rule) == (Status.YELLOW, "share_of_target")
    assert health.reason == "yellow: 12% reached, target 20%"


@freeze_time("2025-10-31 16:00:00")
def test_share_bands_without_pace_ignore_the_timeframe() -> None:
    spec = MetricSpec(key="a", name="A", baseline=8, target=20, unit="%", start=Q4_START,
                      due=Q4_DUE, bands=Bands())
    assert health_of(spec, 12, clock.now()).reason == "red: 12% reached, target 20%"


# counter-metrics


SUPPORT_RED = Health(status=Status.RED, reason="red: 1.4 tickets now, target 1 tickets or lower",
                     rule="share_of_target")


def test_a_green_metric_whose_counter_metric_is_red_shows_yellow() -> None:
    green = health_of(ONBOARDING, 14, at(10, 31, 16))
    health = with_counter_metric(green, SUPPORT_RED, "support tickets per customer")
    assert health.status is Status.YELLOW
    assert health.rule == "counter_metric"
    assert health.reason == ("yellow: counter-metric support tickets per customer is red "
                             "(1.4 tickets now, target 1 tickets or lower)")
    assert health.value == 14


def test_counter_metrics_change_nothing_otherwise() -> None:
    yellow = judged(Status.YELLOW)
    assert with_counter_metric(yellow, SUPPORT_RED, "support") is yellow
    green = judged(Status.GREEN)
    assert with_counter_metric(green, judged(Status.YELLOW), "support") is green


# roll-ups


def test_worst_of_roll_up_names_the_count() -> None:
    children = [judged(Status.GREEN), judged(Status.RED), judged(Status.YELLOW),
                judged(Status.GREEN)]
    health = rollup(children, Rollup.WORST)
    assert health.status is Status.RED
    assert health.reason == "red: 1 of 4 key results red (worst of)"
    assert health.rule == "rollup_worst"
    assert not health.stale


def test_worst_of_is_never_green_while_a_child_is_unmeasured() -> None:
    health = rollup([judged(Status.GREEN), judged(Status.NO_DATA)], Rollup.WORST, noun="KPIs")
    assert (health.status, health.reason) == (
        Status.YELLOW, "yellow: 1 of 2 KPIs not measured yet, the rest green (worst of)")
    red = rollup([judged(Status.RED), judged(Status.NO_DATA)], Rollup.WORST, noun="KPIs")
    assert red.reason == "red: 1 of 2 KPIs red, 1 with no data (worst of)"
    none = rollup([judged(Status.NO_DATA)] * 2, Rollup.WORST)
    assert (none.status, none.reason) == (Status.NO_DATA, "no data: none of 2 key results "
                                                          "measured yet")
    assert rollup([], Rollup.AVERAGE).reason == "no data: no key results"


def test_a_stale_child_makes_the_roll_up_stale_and_never_green() -> None:
    stale_yellow = Health(status=Status.YELLOW, reason="yellow: stale", rule="stale", stale=True)
    worst = rollup([judged(Status.GREEN), stale_yellow], Rollup.WORST)
    assert (worst.status, worst.stale) == (Status.YELLOW, True)
    average = rollup([judged(Status.GREEN)] * 3 + [stale_yellow], Rollup.AVERAGE)
    assert (average.status, average.stale, average.rule) == (Status.YELLOW, True, "stale")
    assert average.reason == "yellow: 1 of 4 key results stale, otherwise green (average)"


@pytest.mark.parametrize(("statuses", "status", "reason"), [
    ([Status.GREEN, Status.GREEN, Status.GREEN, Status.RED], Status.GREEN,
     "green: 1 red, 3 green of 4 key results (average 0.75)"),
    ([Status.GREEN, Status.YELLOW, Status.YELLOW], Status.YELLOW,
     "yellow: 2 yellow, 1 green of 3 key results (average 0.67)"),
    ([Status.GREEN, Status.YELLOW, Status.YELLOW, Status.RED, Status.RED], Status.YELLOW,
     "yellow: 2 red, 2 yellow, 1 green of 5 key results (average 0.40)"),
    ([Status.YELLOW, Status.RED, Status.NO_DATA], Status.RED,
     "red: 1 red, 1 yellow of 3 key results, 1 with no data (average 0.25)"),
])
def test_average_roll_up_scores_green_1_yellow_half_red_0(statuses: list[Status], status: Status,
                                                          reason: str) -> None:
    health = rollup([judged(s) for s in statuses], Rollup.AVERAGE)
    assert (health.status, health.reason, health.rule) == (status, reason, "rollup_average")


def test_roll_up_progress_is_the_mean_of_the_childrens() -> None:
    children = [Health(status=Status.GREEN, reason="green", rule="pace", progress=p)
                for p in (0.5, 1.0)]
    assert rollup(children, Rollup.WORST).progress == pytest.approx(0.75)


def test_health_takes_status_and_reason_by_position_the_rest_by_keyword() -> None:
    health = Health(Status.RED, "red: blocked", rule="activity_status")
    assert (health.status, health.reason, health.rule, health.stale) == (
        Status.RED, "red: blocked", "activity_status", False)
    with pytest.raises(TypeError):
        Health(Status.RED, "red: blocked", False, rule="x")  # type: ignore[misc]


def test_severity_orders_red_first() -> None:
    ordered = sorted(Status, key=severity, reverse=True)
    assert ordered == [Status.RED, Status.YELLOW, Status.NO_DATA, Status.GREEN]


# trend and plateau


def daily(values: list[float], first: datetime | None = None) -> list[Measurement]:
    first = first or at(10, 1)
    return [Measurement(v, first + timedelta(days=i)) for i, v in enumerate(values)]


def test_trend_rising_falling_and_flat() -> None:
    assert trend(daily([10, 11, 12, 13, 14])) is Trend.RISING
    assert trend(daily([14, 13, 12.5, 11, 10])) is Trend.FALLING
    assert trend(daily([10, 10.1, 9.95, 10.05, 10])) is Trend.FLAT
    assert trend(daily([10])) is Trend.FLAT


def test_trend_looks_at_the_last_n_measurements_in_time_order() -> None:
    measurements = daily([30, 20, 10, 11, 12, 13, 14])
    assert trend(list(reversed(measurements))) is Trend.RISING
    assert trend(measurements, n=7) is Trend.FALLING


def test_trend_is_flat_within_2_percent_of_the_baseline_to_target_scale() -> None:
    creeping = daily([10, 10.1, 10.2, 10.3, 10.4])  # +0.4
    near = MetricSpec(key="a", name="A", baseline=8, target=20)  # 2% of 12 = 0.24
    far = MetricSpec(key="a", name="A", baseline=10, target=40)  # 2% of 30 = 0.6
    assert trend(creeping, spec=near) is Trend.RISING
    assert trend(creeping, spec=far) is Trend.FLAT


def test_plateau_needs_flat_values_over_the_whole_window() -> None:
    rising_then_flat = daily([8 + 0.5 * i for i in range(10)] + [12, 12.1, 11.9, 12.05] * 6)
    spec = MetricSpec(key="a", name="A", baseline=8, target=20)
    flat_since = at(10, 11)  # the first 12
    three_weeks = flat_since + timedelta(days=21)
    assert is_plateau(rising_then_flat, 3, Frequency.WEEKLY, three_weeks, spec=spec)
    assert not is_plateau(rising_then_flat, 3, Frequency.WEEKLY,
                          three_weeks - timedelta(hours=1), spec=spec)
    assert not is_plateau(rising_then_flat, 3, Frequency.WEEKLY, three_weeks, tolerance=0.01,
                          spec=spec)


def test_plateau_is_false_until_the_data_spans_the_window() -> None:
    flat = daily([12.0] * 10)
    assert not is_plateau(flat, 3, Frequency.WEEKLY, at(10, 10))
    assert is_plateau(flat, 1, Frequency.WEEKLY, at(10, 10))


# formatting


@pytest.mark.parametrize(("value", "unit", "text"), [
    (18.5, "%", "18.5%"),
    (12.0, "%", "12%"),
    (1234567.891, "users", "1,234,568 users"),
    (6.6667, "%", "6.67%"),
    (0.0004567, "", "0.000457"),
    (-3.14159, "pp", "-3.14 pp"),
    (1200, "$", "$1,200"),
    (-0.0, "", "0"),
])
def test_numbers_are_formatted_for_people(value: float, unit: str, text: str) -> None:
    assert format_value(value, unit) == text


def test_staleness_is_counted_up_to_the_due_date_once_it_has_passed() -> None:

    spec = MetricSpec(key="m", name="M", frequency=Frequency.WEEKLY, due=date(2026, 6, 30))
    last = datetime(2026, 6, 29, 9, tzinfo=UTC)
    months_later = datetime(2026, 11, 22, 9, tzinfo=UTC)
    assert is_stale(spec, last, months_later) is False, "measured until it closed"
    early = datetime(2026, 6, 1, 9, tzinfo=UTC)
    assert is_stale(spec, early, months_later) is True, "it went unmeasured before closing"
