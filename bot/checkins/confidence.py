"""Confidence: how sure the owner of a key result or KPI is that it reaches its target by its
due date, as a whole number from 1 (it will not) to 10 (it certainly will). Pure.

Values say where a number is; confidence says where its owner expects it to end up, so a
green key result whose owner answers 3 is a warning the numbers do not give yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.errors import InvalidInput
from bot.okrs.method.enums import Source

LOWEST, HIGHEST = 1, 10
SCALE = f"{LOWEST} (it will not reach its target) to {HIGHEST} (it certainly will)"


@dataclass(frozen=True)
class Confidence:
    """One report of confidence in a key result or KPI."""

    metric_key: str
    confidence: int
    reported_by: str  # Slack user id
    reported_at: datetime
    source: Source
    note: str | None = None


def check_confidence(value: object) -> int:
    """The value if it is a whole number on the scale; InvalidInput saying the scale otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) \
            or not LOWEST <= value <= HIGHEST:
        raise InvalidInput(f"confidence is a whole number from {SCALE}, not {value!r}",
                           field="confidence", expected=f"a whole number from {SCALE}")
    return value
