"""A timeframe that ended with nothing measured: stale, so it shows among what is at risk."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.okrs.method.enums import Direction, Frequency, Rollup, Status
from bot.okrs.method.health import MetricSpec, metric_health, rollup

ACTIVATION = MetricSpec(key="first-week-activation", name="First-week activation",
                        direction=Direction.HIGHER_IS_BETTER, baseline=8, target=20, unit="%",
                        start=date(2026, 4, 1), due=date(2026, 6, 30),
                        frequency=Frequency.WEEKLY)


def test_ended_with_nothing_measured_is_stale() -> None:
    health = metric_health(ACTIVATION, [], datetime(2026, 11, 20, 12, tzinfo=UTC))
    assert (health.status, health.stale) == (Status.NO_DATA, True)
    assert health.reason == ("no data: nothing measured, and its timeframe ended on "
                             "30 Jun 2026")


def test_within_its_timeframe_nothing_measured_yet_is_not_stale() -> None:
    for now in (datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 6, 30, 23, tzinfo=UTC)):
        health = metric_health(ACTIVATION, [], now)
        assert (health.status, health.stale) == (Status.NO_DATA, False)
        assert health.reason == "no data: nothing measured yet"


def test_an_objective_with_such_a_key_result_is_stale_too() -> None:
    ended = metric_health(ACTIVATION, [], datetime(2026, 11, 20, tzinfo=UTC))
    objective = rollup([ended, ended], Rollup.WORST)
    assert objective.stale is True
