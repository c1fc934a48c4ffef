"""Properties of the health engine that must hold for any metric, bands and values."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import assume, given
from hypothesis import strategies as st

from bot.okrs.method.enums import FREQUENCY_DAYS, BandMode, Direction, Frequency, Rollup, Status
from bot.okrs.method.health import (
    Bands,
    Health,
    Measurement,
    MetricSpec,
    metric_health,
    progress,
    rollup,
    severity,
)

NOW = datetime(2025, 11, 12, 9, tzinfo=UTC)
numbers = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
optional_numbers = st.none() | numbers
ranges = st.none() | st.tuples(numbers, numbers)
dates = st.none() | st.dates(min_value=NOW.date() - timedelta(days=400),
                             max_value=NOW.date() + timedelta(days=400))
bands = st.none() | st.builds(Bands, mode=st.sampled_from(BandMode), green=st.none() | numbers,
                              yellow=st.none() | numbers, pace=st.booleans(),
                              green_range=ranges, yellow_range=ranges)
directed = st.sampled_from([Direction.HIGHER_IS_BETTER, Direction.LOWER_IS_BETTER])


@given(directed, numbers, numbers, numbers, numbers)
def test_progress_moves_with_the_metric_direction(direction: Direction, baseline: float,
                                                  target: float, a: float, b: float) -> None:
    spec = MetricSpec(key="m", name="M", direction=direction, baseline=baseline, target=target)
    low, high = sorted((a, b))
    at_low, at_high = progress(spec, low), progress(spec, high)
    assume(at_low is not None and at_high is not None)
    if direction is Direction.HIGHER_IS_BETTER:
        assert at_low <= at_high
    else:
        assert at_low >= at_high


@given(st.sampled_from(Direction), optional_numbers, optional_numbers, dates, dates,
       st.sampled_from(Frequency), bands, numbers,
       st.floats(min_value=1, max_value=1000))
def test_a_stale_metric_is_never_green(direction: Direction, baseline: float | None,
                                       target: float | None, start: date | None, due: date | None,
                                       frequency: Frequency,
                                       metric_bands: Bands | None, value: float,
                                       days_late: float) -> None:
    spec = MetricSpec(key="m", name="M", direction=direction, baseline=baseline, target=target,
                      start=start, due=due, frequency=frequency, bands=metric_bands)
    period = FREQUENCY_DAYS[frequency]
    # Late by a full period plus the largest default grace, plus some — counted from now, or
    # from the due date once it has passed (a closed metric is judged up to its close).
    closes = datetime.combine(due + timedelta(days=1), time.min, tzinfo=UTC) if due else NOW
    measured_at = min(NOW, closes) - timedelta(days=period * 1.5 + 1 + days_late)
    health = metric_health(spec, [Measurement(value, measured_at)], NOW)
    assert health.stale
    assert health.status is not Status.GREEN


statuses = st.sampled_from(Status)
children = st.lists(st.builds(Health, status=statuses, reason=st.just("x"), rule=st.just("r"),
                              stale=st.booleans()), max_size=8)


@given(children)
def test_a_worst_of_roll_up_is_never_better_than_its_worst_child(kids: list[Health]) -> None:
    health = rollup(kids, Rollup.WORST)
    measured = [kid for kid in kids if kid.status is not Status.NO_DATA]
    if measured:
        assert severity(health.status) >= max(severity(kid.status) for kid in measured)
    else:
        assert health.status is Status.NO_DATA
    assert health.stale == any(kid.stale for kid in kids)


@given(children, st.sampled_from(Rollup))
def test_a_stale_roll_up_is_never_green(kids: list[Health], mode: Rollup) -> None:
    health = rollup(kids, mode)
    assert not (health.stale and health.status is Status.GREEN)


@given(directed, optional_numbers, numbers, st.floats(min_value=0.01, max_value=1),
       st.floats(min_value=0, max_value=1), dates, dates, st.none() | st.sampled_from(Frequency))
def test_a_fresh_metric_exactly_at_target_with_share_bands_is_green(
        direction: Direction, baseline: float | None, target: float, green: float,
        yellow_share: float, start: date | None, due: date | None,
        frequency: Frequency | None) -> None:
    spec = MetricSpec(key="m", name="M", direction=direction, baseline=baseline, target=target,
                      start=start, due=due, frequency=frequency,
                      bands=Bands(green=green, yellow=green * yellow_share))
    health = metric_health(spec, [Measurement(target, NOW)], NOW)
    assert health.status is Status.GREEN
    assert not health.stale
