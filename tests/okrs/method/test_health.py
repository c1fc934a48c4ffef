"""The health engine: every band rule, pace across a quarter, staleness, counter-metrics, roll-ups,
trend and plateau — with the reasons people will read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time

from bot import clock
from bot.okrs.method.enums import BandMode, Direction, Frequency, Status
from bot.okrs.method.health import (
    Bands,
    Health,
    Measurement,
    MetricSpec,
    expected_value_at,
    format_value,
    is_stale,
    metric_health,
    progress,
)
from tests.okrs.method.health_cases import (
    CHURN,
    ONBOARDING,
    Q4_DUE,
    Q4_START,
    at,
    health_of,
)

# progress and the expected line


@pytest.mark.parametrize(("value", "expected"), [(8, 0.0), (14, 0.5), (20, 1.0), (26, 1.5),
                                                 (5, -0.25)])
def test_progress_runs_from_baseline_to_target_and_shows_overshoot_and_regression(
        value: float, expected: float) -> None:
    assert progress(ONBOARDING, value) == pytest.approx(expected)


@pytest.mark.parametrize(("value", "expected"), [(8, 0.0), (5, 0.75), (4, 1.0), (3, 1.25),
                                                 (10, -0.5)])
def test_progress_of_lower_is_better_churn_counts_going_down(value: float,
                                                             expected: float) -> None:
    assert progress(CHURN, value) == pytest.approx(expected)


def test_progress_is_unknown_without_baseline_target_or_distance_and_for_ranges() -> None:
    assert progress(MetricSpec(key="a", name="A", target=10), 5) is None
    assert progress(MetricSpec(key="a", name="A", baseline=10), 5) is None
    assert progress(MetricSpec(key="a", name="A", baseline=10, target=10), 5) is None
    ranged = MetricSpec(key="t", name="T", direction=Direction.WITHIN_RANGE, baseline=1, target=2)
    assert progress(ranged, 1.5) is None


@pytest.mark.parametrize(("moment", "expected"), [
    (datetime(2025, 9, 15, tzinfo=UTC), 8),  # before the start: clamped to the baseline
    (datetime(2025, 10, 1, tzinfo=UTC), 8),  # 00:00 UTC on start
    (datetime(2025, 11, 16, tzinfo=UTC), 14),  # 46 of 92 days
    (datetime(2026, 1, 1, tzinfo=UTC), 20),  # 24:00 UTC on due
    (datetime(2026, 2, 1, tzinfo=UTC), 20),  # after due: clamped to the target
])
def test_expected_value_follows_the_line_from_start_to_the_end_of_due(moment: datetime,
                                                                       expected: float) -> None:
    assert expected_value_at(ONBOARDING, moment) == pytest.approx(expected)


def test_expected_value_needs_the_whole_line() -> None:
    assert expected_value_at(MetricSpec(key="a", name="A", baseline=1, target=2,
                                        start=Q4_START), at(11, 1)) is None
    assert expected_value_at(MetricSpec(key="a", name="A", target=2, start=Q4_START,
                                        due=Q4_DUE), at(11, 1)) is None


# staleness


@pytest.mark.parametrize(("frequency", "allowed"), [
    (Frequency.DAILY, timedelta(days=2)),  # 1 day + at least a day of grace
    (Frequency.WEEKLY, timedelta(days=10, hours=12)),  # 7 + 3.5
    (Frequency.BIWEEKLY, timedelta(days=21)),  # 14 + 7
    (Frequency.MONTHLY, timedelta(days=45)),  # 30 + 15
    (Frequency.QUARTERLY, timedelta(days=136, hours=12)),  # 91 + 45.5
])
def test_stale_after_a_period_plus_half_a_period_of_grace(frequency: Frequency,
                                                          allowed: timedelta) -> None:
    spec = MetricSpec(key="k", name="K", frequency=frequency)
    last = at(10, 1)
    assert not is_stale(spec, last, last + allowed)
    assert is_stale(spec, last, last + allowed + timedelta(seconds=1))


def test_a_given_grace_replaces_the_default() -> None:
    spec = MetricSpec(key="k", name="K", frequency=Frequency.WEEKLY)
    assert is_stale(spec, at(10, 1), at(10, 9), grace=timedelta(0))
    assert not is_stale(spec, at(10, 1), at(10, 20), grace=timedelta(days=14))


def test_without_a_frequency_or_a_measurement_nothing_is_stale() -> None:
    assert not is_stale(MetricSpec(key="k", name="K"), at(1, 1), at(12, 31))
    assert not is_stale(ONBOARDING, None, at(12, 31))


@freeze_time("2025-11-20 10:00:00")
def test_a_stale_green_metric_shows_yellow_with_a_stale_reason() -> None:
    spec = MetricSpec(key="nps", name="NPS", baseline=30, target=40, frequency=Frequency.WEEKLY)
    health = metric_health(spec, [Measurement(41, at(11, 3))], clock.now())
    assert health.status is Status.YELLOW
    assert health.stale
    assert health.rule == "stale"
    assert health.reason == "yellow: stale — last measured 3 Nov, expected weekly"
    assert health.value == 41


@freeze_time("2025-11-20 10:00:00")
def test_a_stale_red_metric_stays_red_and_says_it_is_stale() -> None:
    spec = MetricSpec(key="nps", name="NPS", baseline=30, target=40, frequency=Frequency.WEEKLY)
    health = metric_health(spec, [Measurement(20, at(11, 3))], clock.now())
    assert health.status is Status.RED
    assert health.stale
    assert health.rule == "share_of_target"
    assert health.reason == ("red: 20 reached, target 40; "
                             "stale — last measured 3 Nov, expected weekly")


@freeze_time("2025-11-12 10:00:00")
def test_a_fresh_measurement_is_not_stale() -> None:
    spec = MetricSpec(key="nps", name="NPS", baseline=30, target=40, frequency=Frequency.WEEKLY)
    health = metric_health(spec, [Measurement(41, at(11, 3))], clock.now())
    assert (health.status, health.stale) == (Status.GREEN, False)


# which measurement counts


def test_nothing_measured_is_no_data() -> None:
    health = metric_health(ONBOARDING, [], at(11, 12))
    assert health == Health(status=Status.NO_DATA, reason="no data: nothing measured yet",
                            rule="no_data")


def test_the_latest_measurement_counts_and_the_future_is_ignored() -> None:
    spec = MetricSpec(key="nps", name="NPS", target=40)
    measurements = [Measurement(41, at(11, 10)), Measurement(10, at(11, 1)),
                    Measurement(5, at(11, 20))]
    health = metric_health(spec, measurements, at(11, 12))
    assert health.value == 41
    assert health.status is Status.GREEN
    assert metric_health(spec, measurements[2:], at(11, 12)).status is Status.NO_DATA


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        metric_health(ONBOARDING, [], datetime(2025, 11, 12))


# share of target


@pytest.mark.parametrize(("value", "status"), [(20, Status.GREEN), (24, Status.GREEN),
                                               (16, Status.YELLOW), (15.9, Status.RED)])
def test_share_of_target_defaults_to_green_at_target_and_yellow_from_80_percent(
        value: float, status: Status) -> None:
    spec = MetricSpec(key="a", name="A", baseline=8, target=20, unit="%")
    health = health_of(spec, value)
    assert health.status is status
    assert health.rule == "share_of_target"
    assert health.reason == f"{status.value}: {format_value(value, '%')} reached, target 20%"


def test_share_of_target_with_explicit_bands() -> None:
    spec = MetricSpec(key="a", name="A", target=20, unit="%",
                      bands=Bands(green=0.9, yellow=0.75))
    health = health_of(spec, 18.5)
    assert health.status is Status.GREEN
    assert health.reason == "green: 18.5% reached, target 20%"
    assert health_of(spec, 15).status is Status.YELLOW
    assert health_of(spec, 14.9).status is Status.RED


@pytest.mark.parametrize(("value", "status"), [(4, Status.GREEN), (3, Status.GREEN),
                                               (0, Status.GREEN), (4.8, Status.YELLOW),
                                               (5, Status.YELLOW), (5.1, Status.RED)])
def test_lower_is_better_share_is_target_over_value(value: float, status: Status) -> None:
    health = health_of(CHURN, value)
    assert health.status is status
    assert health.reason == f"{status.value}: {format_value(value, '%')} now, target 4% or lower"


def test_lower_is_better_churn_8_to_4_at_5_is_three_quarters_of_the_way() -> None:
    health = health_of(CHURN, 5)
    assert health.progress == pytest.approx(0.75)
    assert health.reason == "yellow: 5% now, target 4% or lower"


def test_without_a_target_there_is_nothing_to_judge() -> None:
    health = health_of(MetricSpec(key="a", name="A", unit="%"), 12)
    assert health.status is Status.NO_DATA
    assert health.value == 12
    assert health.reason == "no data: 12% measured, but no target to judge it by"


# absolute bands


SIGNUPS = MetricSpec(key="signups", name="Weekly signups", target=120, unit="signups",
                     bands=Bands(mode=BandMode.ABSOLUTE, green=100, yellow=80))
LATENCY = MetricSpec(key="latency", name="p95 latency", direction=Direction.LOWER_IS_BETTER,
                     target=150, unit="ms", bands=Bands(mode=BandMode.ABSOLUTE, green=200,
                                                        yellow=400))


@pytest.mark.parametrize(("value", "reason"), [
    (1200, "green: 1,200 signups, green from 100 signups"),
    (100, "green: 100 signups, green from 100 signups"),
    (90, "yellow: 90 signups, green from 100 signups"),
    (60, "red: 60 signups, yellow from 80 signups"),
])
def test_absolute_bands_higher_is_better(value: float, reason: str) -> None:
    health = health_of(SIGNUPS, value)
    assert health.reason == reason
    assert health.rule == "absolute"


@pytest.mark.parametrize(("value", "reason"), [
    (150, "green: 150 ms, green up to 200 ms"),
    (200, "green: 200 ms, green up to 200 ms"),
    (300, "yellow: 300 ms, green up to 200 ms"),
    (401, "red: 401 ms, yellow up to 400 ms"),
])
def test_absolute_bands_lower_is_better_are_mirrored(value: float, reason: str) -> None:
    assert health_of(LATENCY, value).reason == reason


def test_absolute_green_defaults_to_the_target_and_no_yellow_band_means_red() -> None:
    spec = MetricSpec(key="a", name="A", target=50, bands=Bands(mode=BandMode.ABSOLUTE))
    assert health_of(spec, 50).status is Status.GREEN
    assert health_of(spec, 49).reason == "red: 49, green from 50"


# ranges


TEMPERATURE = MetricSpec(key="temp", name="Server room", direction=Direction.WITHIN_RANGE,
                         unit="°C", bands=Bands(green_range=(20, 23), yellow_range=(18, 25)))


@pytest.mark.parametrize(("value", "reason"), [
    (21.5, "green: 21.5 °C, inside 20–23 °C"),
    (23, "green: 23 °C, inside 20–23 °C"),
    (18, "yellow: 18 °C, outside 20–23 °C"),
    (24, "yellow: 24 °C, outside 20–23 °C"),
    (30, "red: 30 °C, outside 18–25 °C"),
    (17.9, "red: 17.9 °C, outside 18–25 °C"),
])
def test_within_range_uses_the_green_and_yellow_ranges(value: float, reason: str) -> None:
    health = health_of(TEMPERATURE, value)
    assert health.reason == reason
    assert health.rule == "range"
    assert health.progress is None


def test_a_range_without_yellow_is_green_or_red_and_without_green_unjudged() -> None:
    spec = MetricSpec(key="r", name="R", direction=Direction.WITHIN_RANGE,
                      bands=Bands(green_range=(5, 1)))  # written backwards on purpose
    assert health_of(spec, 3).status is Status.GREEN
    assert health_of(spec, 6).reason == "red: 6, outside 1–5"
    bare = MetricSpec(key="r", name="R", direction=Direction.WITHIN_RANGE)
    assert health_of(bare, 3).status is Status.NO_DATA
