"""Time off as shown and reasoned about: the days someone is away. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Away:
    """Away from `starts_on` to `ends_on`, both included, in the person's own zone."""

    starts_on: date
    ends_on: date
    reason: str | None
