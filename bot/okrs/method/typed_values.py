"""Reading the numbers people type: a Slack command, a modal field, the CLI.

Pure: no Slack or database, so the command handler and the tests read a value the same way.
What `health.format_value` writes, `parse_value` reads back (within its 3 significant digits).

Decisions, so the same text always means the same thing:
- "12%" is 12 (percentage points, as a metric with unit "%" stores it), not 0.12; the "%" comes
  back as a flag so the caller can check it against the metric's unit. "12.5 %" (a space before
  the sign, as French typography writes it) is accepted too.
- k, m and b (any case) are thousand, million and billion; "m" is never minutes, and "12 m" is
  not one value: only "%" may stand apart from the number.
- Commas only group thousands (1,200 and 1,234,567.5); "1,20" and "1,5" are rejected rather than
  guessed: written with a decimal comma they mean 1.2 and 1.5, and dropping the comma would
  store 120 and 15.
- A currency symbol ($ € £ ¥, the ones format_value puts first) goes before the number, after an
  optional sign: "-$3.5M" and "$-3.5M" alike. It cannot be combined with "%".
- No exponents (1e6), nan or inf: nobody types them on purpose, and they only hide typos.
- The decimals typed are kept ("14.50" has 2) so the value is shown as precisely as it was
  given; a k/m/b suffix uses up that many of them ("1.25k" is 1,250: none left).

A text that is not one value raises InvalidInput (field "value"): a person's mistake, worded
without any command so a modal field or the CLI can show it as well as a slash command.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from bot.errors import InvalidInput
from bot.okrs.method.health import format_value

MAX_MAGNITUDE = 1e15
EXAMPLES = "12, 12.5, 12%, 1,200, 1.2k or $3.5M"
EXPECTED = f"expected a value like {EXAMPLES}"

# Character-class bodies; − is U+2212, what some keyboards and copy-pasted reports write.
_CURRENCIES = r"$€£¥"
_SIGNS = r"+\-−"
_SCALES = {"": 1, "k": 1_000, "m": 1_000_000, "b": 1_000_000_000}
_SCALE_DIGITS = {"": 0, "k": 3, "m": 6, "b": 9}
# More decimals than a float holds faithfully are noise, not precision.
MAX_DECIMALS = 12
_ECHO_LIMIT = 40  # a pasted paragraph should not come back whole in the error

_VALUE = re.compile(
    rf"""
    (?P<sign1>[{_SIGNS}])?
    (?P<currency>[{_CURRENCIES}])?
    (?P<sign2>[{_SIGNS}])?
    (?P<number>[0-9]{{1,3}}(?:,[0-9]{{3}})+(?:\.[0-9]*)? | [0-9]+(?:\.[0-9]*)? | \.[0-9]+)
    (?P<scale>[kKmMbB])?
    (?:\s*(?P<percent>%))?
    """,
    re.VERBOSE,
)
# The same shape with commas anywhere, to tell a misplaced comma from other typos.
_LOOSE_COMMAS = re.compile(rf"[{_SIGNS}]?[{_CURRENCIES}]?[{_SIGNS}]?"
                           r"[0-9][0-9,]*(?:\.[0-9]*)?[kKmMbB]?\s*%?")
# Where "12 14", "12-14" or "12/14" come apart into the values someone put side by side.
_BETWEEN_VALUES = re.compile(r"\s+|(?<=[0-9%kKmMbB])\s*[-–—/;]\s*")
# Slack on macOS turns typed quotes into curly ones, sometimes only one of the pair.


@dataclass(frozen=True)
class ParsedValue:
    value: float  # "12%" is 12.0, "1.2k" is 1200.0
    percent: bool = False
    currency: str | None = None  # the symbol typed, e.g. "$"
    decimals: int = 0  # shown after the point: "14.50" is 2, "1.25k" (1,250) is 0


def parse_value(text: str) -> ParsedValue:
    """Read one typed value; InvalidInput saying what is expected when it is not one."""
    stripped = text.strip()
    if not stripped:
        raise _invalid(f"no value given; {EXPECTED}")
    match = _VALUE.fullmatch(stripped)
    if match is None:
        raise _invalid(_why_not(stripped))
    if match["sign1"] and match["sign2"]:
        raise _invalid(f"{_echo(stripped)} has two signs; {EXPECTED}")
    if match["currency"] and match["percent"]:
        raise _invalid(f"{_echo(stripped)} is both money and a percentage; {EXPECTED}")
    if match["scale"] and match["percent"]:
        # 1.2k% is a typo far more often than a 1,200% change.
        raise _invalid(f"{_echo(stripped)} mixes a k/m/b suffix with %; {EXPECTED}")
    scale = (match["scale"] or "").lower()
    # Decimal keeps "0.1k" exactly 100 and never overflows, however many digits were typed.
    number = Decimal(match["number"].replace(",", "")) * _SCALES[scale]
    if (match["sign1"] or match["sign2"]) in ("-", "−"):
        number = -number
    if abs(number) > Decimal(MAX_MAGNITUDE):
        limit = format_value(MAX_MAGNITUDE)
        raise _invalid(f"{_echo(stripped)} is out of range; expected a value between "
                       f"-{limit} and {limit}", expected=f"a value between -{limit} and {limit}")
    typed_decimals = len(match["number"].partition(".")[2])
    decimals = min(MAX_DECIMALS, max(0, typed_decimals - _SCALE_DIGITS[scale]))
    return ParsedValue(value=float(number) + 0.0,  # + 0.0 turns -0 into 0
                       percent=match["percent"] is not None, currency=match["currency"],
                       decimals=decimals)


def _invalid(message: str, *, expected: str = f"a value like {EXAMPLES}") -> InvalidInput:
    return InvalidInput(message, field="value", expected=expected)


def _why_not(text: str) -> str:
    """The most helpful reason a text that is not one value was rejected."""
    parts = [part for part in _BETWEEN_VALUES.split(text) if part]
    if len(parts) > 1 and all(_VALUE.fullmatch(part) for part in parts):
        return f"{_echo(text)} has more than one number; expected one value like {EXAMPLES}"
    if _LOOSE_COMMAS.fullmatch(text) is not None:
        return (f"{_echo(text)} has a misplaced comma; commas only separate thousands "
                f"(1,200) and a dot marks decimals (1.5); {EXPECTED}")
    return f"{_echo(text)} is not a number; {EXPECTED}"


def _echo(text: str) -> str:
    shown = text if len(text) <= _ECHO_LIMIT else text[: _ECHO_LIMIT - 1] + "…"
    return f'"{shown}"'
