"""Action triggers: "below 5% → emergency review", "flat for 3 weeks → A/B test the flow".

The history is replayed in time order so that each trigger fires once when its condition becomes
true and re-arms only after the metric recovers — a KPI that stays below 5% for a month calls for
one emergency review, not thirty.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.okrs.method.enums import Frequency, TriggerKind
from bot.okrs.method.health import Measurement, MetricSpec, format_value
from bot.okrs.method.movement import is_plateau

# How a plateau's length reads: biweekly periods are told in weeks.
_PERIOD_WORDS = {
    Frequency.DAILY: ("day", "days"),
    Frequency.WEEKLY: ("week", "weeks"),
    Frequency.BIWEEKLY: ("week", "weeks"),
    Frequency.MONTHLY: ("month", "months"),
    Frequency.QUARTERLY: ("quarter", "quarters"),
}


@dataclass(frozen=True)
class TriggerRule:
    """below/above `value`, or flat for `periods` periods (`period` defaults to the metric's
    measurement frequency). Mirrors plan.Trigger."""

    kind: TriggerKind
    action: str
    value: float | None = None
    periods: int | None = None
    period: Frequency | None = None

    def __post_init__(self) -> None:
        if self.kind is TriggerKind.PLATEAU:
            if self.periods is None or self.periods < 1:
                raise ValueError("a plateau trigger needs periods (how many periods flat)")
        elif self.value is None:
            raise ValueError(f"a {self.kind.value} trigger needs a value")


@dataclass(frozen=True)
class Firing:
    rule: TriggerRule
    measured_at: datetime  # the measurement that made the condition true
    value: float
    reason: str  # the condition as people read it, e.g. "4.2% is below 5%"


def firings(rules: Sequence[TriggerRule], measurements: Sequence[Measurement],
            frequency: Frequency | None, *, spec: MetricSpec | None = None) -> list[Firing]:
    """Every firing over the history, in time order. `frequency` is the metric's, the default
    period of plateau rules; `spec` gives the unit for reasons and the scale a plateau is
    measured against (|target − baseline|, else the values' magnitude)."""
    history = sorted(measurements, key=lambda m: m.measured_at)
    armed = [True] * len(rules)
    fired: list[Firing] = []
    for index, measurement in enumerate(history):
        seen = history[: index + 1]
        for number, rule in enumerate(rules):
            reason = _condition(rule, seen, frequency, spec)
            if reason is None:
                armed[number] = True  # recovered: the next crossing fires again
            elif armed[number]:
                fired.append(Firing(rule, measurement.measured_at, measurement.value, reason))
                armed[number] = False
    return fired


def fired_by(rules: Sequence[TriggerRule], measurements: Sequence[Measurement],
             frequency: Frequency | None, measurement: Measurement, *,
             spec: MetricSpec | None = None) -> list[Firing]:
    """The firings `measurement`, one of `measurements`, set off: what to tell people about
    right now. A backfilled one does not re-announce crossings measured after it."""
    return [firing for firing in firings(rules, measurements, frequency, spec=spec)
            if (firing.measured_at, firing.value) == (measurement.measured_at, measurement.value)]


def _condition(rule: TriggerRule, seen: Sequence[Measurement], frequency: Frequency | None,
               spec: MetricSpec | None) -> str | None:
    """Why the rule's condition holds at the last of `seen`, or None when it does not."""
    latest = seen[-1]
    unit = spec.unit if spec is not None else ""
    value = format_value(latest.value, unit)
    if rule.kind is TriggerKind.BELOW and rule.value is not None:
        if latest.value < rule.value:
            return f"{value} is below {format_value(rule.value, unit)}"
        return None
    if rule.kind is TriggerKind.ABOVE and rule.value is not None:
        if latest.value > rule.value:
            return f"{value} is above {format_value(rule.value, unit)}"
        return None
    period = rule.period or frequency
    if rule.periods is None or period is None:
        return None  # no period to count in: a plateau cannot be judged
    if not is_plateau(seen, rule.periods, period, latest.measured_at, spec=spec):
        return None
    return f"flat for {_length(rule.periods, period)} at about {value}"


def _length(periods: int, period: Frequency) -> str:
    count = periods * 2 if period is Frequency.BIWEEKLY else periods
    singular, plural = _PERIOD_WORDS[period]
    return f"{count} {singular if count == 1 else plural}"

