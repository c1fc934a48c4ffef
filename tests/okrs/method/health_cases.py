"""Metrics, instants and helpers the health engine's tests share."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.okrs.method.enums import Direction, Frequency, Status
from bot.okrs.method.health import (
    Health,
    Measurement,
    MetricSpec,
    metric_health,
)

Q4_START, Q4_DUE = date(2025, 10, 1), date(2025, 12, 31)  # 92 days

ONBOARDING = MetricSpec(key="ai-onboarding", name="AI feature onboarding completion rate",
                        baseline=8, target=20, unit="%", start=Q4_START, due=Q4_DUE,
                        frequency=Frequency.WEEKLY)
CHURN = MetricSpec(key="churn", name="Monthly churn", direction=Direction.LOWER_IS_BETTER,
                   baseline=8, target=4, unit="%")


def at(month: int, day: int, hour: int = 9, year: int = 2025) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def health_of(spec: MetricSpec, value: float, now: datetime | None = None) -> Health:
    """Health of a single fresh measurement taken an hour before `now`."""
    now = now or at(11, 12)
    return metric_health(spec, [Measurement(value, now - timedelta(hours=1))], now)


def judged(status: Status, rule: str = "share_of_target") -> Health:
    return Health(status=status, reason=f"{status.value}: made up", rule=rule)
