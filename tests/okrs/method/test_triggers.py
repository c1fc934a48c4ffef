"""Action triggers fire once per crossing and re-arm only after the metric recovers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.okrs.method.enums import Frequency, TriggerKind
from bot.okrs.method.health import Measurement, MetricSpec
from bot.okrs.method.triggers import Firing, TriggerRule, fired_by, firings

ONBOARDING = MetricSpec(key="ai-onboarding", name="AI feature onboarding completion rate",
                        baseline=8, target=20, unit="%", start=date(2025, 10, 1),
                        due=date(2025, 12, 31), frequency=Frequency.DAILY)
EMERGENCY = TriggerRule(TriggerKind.BELOW, "Emergency review, check for technical issues",
                        value=5)
AB_TEST = TriggerRule(TriggerKind.PLATEAU, "A/B test alternative onboarding flows", periods=3,
                      period=Frequency.WEEKLY)
DOCUMENT = TriggerRule(TriggerKind.ABOVE,
                       "Document learnings and apply the pattern to other features", value=25)
RULES = [EMERGENCY, AB_TEST, DOCUMENT]

FIRST_DAY = datetime(2025, 10, 1, 9, tzinfo=UTC)
# Measured daily: a slow start, a broken release (days 10–13), recovery, three flat weeks and
# more at about 12% (days 20–49), then a new flow that takes it past 25%.
VALUES = (
    [8 + 0.25 * day for day in range(10)]
    + [4.5, 4.0, 6.0, 4.8]
    + [7, 8, 9, 10, 11, 11.5]
    + [12.0, 12.1, 11.9, 12.05] * 7 + [12.0, 12.1]
    + [14, 17, 20, 23, 26, 27, 24, 26]
)


def day(number: int) -> datetime:
    return FIRST_DAY + timedelta(days=number)


def history(until: int | None = None) -> list[Measurement]:
    values = VALUES if until is None else VALUES[: until + 1]
    return [Measurement(value, day(number)) for number, value in enumerate(values)]


def test_each_trigger_fires_once_per_crossing_and_re_arms_after_recovery() -> None:
    fired = firings(RULES, history(), Frequency.DAILY, spec=ONBOARDING)
    assert [(f.rule.kind, (f.measured_at - FIRST_DAY).days, f.reason) for f in fired] == [
        (TriggerKind.BELOW, 10, "4.5% is below 5%"),  # day 11 (4%) is still the same breach
        (TriggerKind.BELOW, 13, "4.8% is below 5%"),  # re-armed by day 12 (6%)
        (TriggerKind.PLATEAU, 41, "flat for 3 weeks at about 12.1%"),  # flat since day 20
        (TriggerKind.ABOVE, 54, "26% is above 25%"),  # day 55 (27%) is the same crossing
        (TriggerKind.ABOVE, 57, "26% is above 25%"),  # re-armed by day 56 (24%)
    ]
    assert fired[0] == Firing(EMERGENCY, day(10), 4.5, "4.5% is below 5%")
    assert fired[2].rule.action == "A/B test alternative onboarding flows"


def test_fired_by_is_what_one_measurement_caused() -> None:
    def latest(until: int) -> list[TriggerRule]:
        measurements = history(until)
        return [f.rule for f in fired_by(RULES, measurements, Frequency.DAILY, measurements[-1])]

    assert latest(10) == [EMERGENCY]
    assert latest(11) == []
    assert latest(41) == [AB_TEST]
    assert latest(54) == [DOCUMENT]
    # A backfill on day 9, under the line before the broken release: it fires for itself, and
    # does not re-announce day 10's crossing, which it disarms.
    backfill = Measurement(3.0, day(9) + timedelta(hours=1))
    measurements = [*history(12), backfill]
    assert [f.rule for f in fired_by(RULES, measurements, Frequency.DAILY, backfill)] == \
        [EMERGENCY]
    assert fired_by(RULES, measurements, Frequency.DAILY, measurements[10]) == []


def test_the_history_is_replayed_in_time_order_whatever_the_input_order() -> None:
    shuffled = list(reversed(history(13)))
    fired = firings([EMERGENCY], shuffled, Frequency.DAILY)
    assert [f.measured_at for f in fired] == [day(10), day(13)]
    assert fired[0].reason == "4.5 is below 5"  # no spec, no unit


def test_a_condition_true_from_the_first_measurement_fires_at_once() -> None:
    fired = firings([EMERGENCY], [Measurement(3, day(0)), Measurement(2, day(1))], None)
    assert [f.measured_at for f in fired] == [day(0)]


def test_a_plateau_period_defaults_to_the_metric_frequency() -> None:
    daily_rule = TriggerRule(TriggerKind.PLATEAU, "Try something else", periods=21)
    fired = firings([daily_rule], history(49), Frequency.DAILY, spec=ONBOARDING)
    assert [(f.measured_at, f.reason) for f in fired] == [(day(41),
                                                           "flat for 21 days at about 12.1%")]
    assert firings([daily_rule], history(49), None) == []  # no period to count in


def test_biweekly_plateaus_are_told_in_weeks() -> None:
    rule = TriggerRule(TriggerKind.PLATEAU, "Rethink", periods=2, period=Frequency.BIWEEKLY)
    flat = [Measurement(50, day(7 * week)) for week in range(6)]
    fired = firings([rule], flat, Frequency.WEEKLY)
    assert [(f.measured_at, f.reason) for f in fired] == [(day(28), "flat for 4 weeks at about 50")]


def test_rules_need_what_their_kind_compares_with() -> None:
    with pytest.raises(ValueError, match="below trigger needs a value"):
        TriggerRule(TriggerKind.BELOW, "Act")
    with pytest.raises(ValueError, match="plateau trigger needs periods"):
        TriggerRule(TriggerKind.PLATEAU, "Act")
