"""Which values a metric can plausibly take, so a typo ("1,234.5" for 12.345 %) is refused
instead of stored. Pure: the Slack command, a modal field, the CLI and the plan file check the
same way.

Defaults by unit, unless the plan gives the metric its own `range: [min, max]` (either end
null: no bound on that side):
- "%" is 0 to 100; "share" (a fraction) is 0 to 1.
- Money ($ € £ ¥ or a currency code such as "k USD") and anything counted or timed (users,
  tickets, days, "per 100", "of 5"...) cannot be negative.
- No unit, or a unit that is a score ("points", "pp", "score", "index", degrees), has no bound:
  those are the units a negative value (an NPS, a change, a temperature) is written in.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.errors import InvalidInput
from bot.okrs.method.health import format_value
from bot.okrs.method.typed_values import ParsedValue

_PREFIX_CURRENCIES = frozenset("$€£¥")
_CURRENCY_CODE = re.compile(r"\b[A-Z]{3}\b")
_SIGNED_UNITS = frozenset({"", "points", "point", "pts", "pt", "pp", "score", "index", "delta"})
# Said when a value is refused: whoever keeps the plan can widen a metric that really can.
_WIDEN = "if it really can be, the metric's `range:` in the plan file says so"


@dataclass(frozen=True)
class ValueRange:
    """The values a metric accepts; None on a side means no bound there."""

    low: float | None = None
    high: float | None = None

    def __contains__(self, value: float) -> bool:
        return ((self.low is None or value >= self.low)
                and (self.high is None or value <= self.high))


def is_percent(unit: str) -> bool:
    return unit.strip() == "%"


def is_money(unit: str) -> bool:
    unit = unit.strip()
    return unit in _PREFIX_CURRENCIES or _CURRENCY_CODE.search(unit) is not None


def default_range(unit: str) -> ValueRange:
    """What a metric in `unit` can take when its plan says nothing."""
    if is_percent(unit):
        return ValueRange(0.0, 100.0)
    if unit.strip().lower() == "share":
        return ValueRange(0.0, 1.0)
    if is_money(unit):
        return ValueRange(0.0, None)
    words = unit.strip().lower()
    if words in _SIGNED_UNITS or words.startswith("°"):
        return ValueRange()
    return ValueRange(0.0, None)


def plausible_range(unit: str, declared: Sequence[float | None] | None = None) -> ValueRange:
    """The plan's own range when it declares one (`[min, max]`), else the unit's default."""
    if declared is None:
        return default_range(unit)
    low, high = declared
    return ValueRange(low, high)


def expected_text(unit: str, allowed: ValueRange) -> str:
    """What would be accepted, in words: "a percentage from 0 to 100", "a value of 0 or more"."""
    what = ("a percentage" if is_percent(unit) else "an amount" if is_money(unit)
            else "a value")
    low, high = allowed.low, allowed.high
    if low is not None and high is not None:
        return f"{what} from {format_value(low)} to {format_value(high)}"
    if low is not None:
        return f"{what} of {format_value(low)} or more"
    if high is not None:
        return f"{what} of {format_value(high)} or less"
    return what


def check_plausible(value: float, *, unit: str, declared: Sequence[float | None] | None = None,
                    name: str = "", decimals: int | None = None) -> None:
    """InvalidInput (field "value") when `value` is outside what the metric can take."""
    allowed = plausible_range(unit, declared)
    if math.isfinite(value) and value in allowed:
        return
    expected = expected_text(unit, allowed)
    # A value refused is shown whole: rounded, 1,234.5 would read as the 1,234 nobody typed.
    if decimals is None:
        decimals = len(f"{abs(value):.12f}".rstrip("0").partition(".")[2])
    shown = format_value(value, unit, decimals)
    subject = name or "This metric"
    raise InvalidInput(f"{subject} is {expected}: {shown} cannot be right ({_WIDEN}).",
                       field="value", expected=expected)


def check_value(parsed: ParsedValue, *, unit: str, name: str = "",
                declared: Sequence[float | None] | None = None) -> None:
    """A typed value against the metric it is for: the right kind (a "%" only for a
    percentage, a currency only for money in that currency) and a plausible amount."""
    subject = name or "This metric"
    if parsed.percent and not is_percent(unit) and unit.strip():
        raise InvalidInput(f"{subject} is measured in {unit}, not %: send the number alone.",
                           field="value", expected=f"a number of {unit}")
    if parsed.currency and (is_percent(unit) or (unit.strip() in _PREFIX_CURRENCIES
                                                 and unit.strip() != parsed.currency)):
        raise InvalidInput(f"{subject} is measured in {unit}, not {parsed.currency}: "
                           "send the number alone.", field="value",
                           expected=f"a number of {unit}")
    check_plausible(parsed.value, unit=unit, declared=declared, name=name,
                    decimals=parsed.decimals)
