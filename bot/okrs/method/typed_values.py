"""Reading the numbers people type in Slack, as in `/okr update <key> <value> [note]`.

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
UPDATE_USAGE = ("expected: /okr update <key result or KPI> <value> [note], "
                "e.g. /okr update first-week-activation 14.5 shipped the tour")

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
_QUOTES = "\"“”"


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


def split_update_args(text: str) -> tuple[str, str, str]:
    """Split the arguments of `/okr update <target> <value> [note]` into (target, value, note).

    The target is a key or key prefix without spaces, or a name in quotes ("First-week
    activation" or “…”). The value is the next word, with a lone "%" after it kept with it
    ("12.5 %"); the note is the rest, as typed. The value is not checked here: see parse_value.
    """
    target, rest = split_target(text, usage=UPDATE_USAGE)
    value, rest = first_word(rest)
    if not target or not value:
        raise ValueError(f"missing {'value' if target else 'key result or KPI'}; {UPDATE_USAGE}")
    percent, after = first_word(rest)
    if percent == "%":
        value, rest = f"{value} %", after
    return target, value, rest.strip()


def split_target(text: str, *, usage: str) -> tuple[str, str]:
    """What a command names first, and the rest as typed: a key or key prefix without spaces,
    or a name in quotes ("First-week activation" or “…”). ValueError with `usage` when a quote
    is left open or runs into the next word."""
    rest = text.strip()
    if not (rest[:1] and rest[:1] in _QUOTES):
        return first_word(rest)
    end = min((i for i in (rest.find(q, 1) for q in _QUOTES) if i != -1), default=-1)
    if end == -1:
        raise ValueError(f"the name has no closing quote; {usage}")
    target, rest = rest[1:end].strip(), rest[end + 1:]
    if rest[:1] and not rest[:1].isspace():
        raise ValueError(f"put a space after the quoted name; {usage}")
    return target, rest.strip()


def first_word(text: str) -> tuple[str, str]:
    """The first word and the rest, split at any whitespace (Slack keeps typed newlines)."""
    parts = text.strip().split(maxsplit=1)
    if not parts:
        return "", ""
    return parts[0], parts[1] if len(parts) > 1 else ""


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
