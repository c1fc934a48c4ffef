"""Reading typed values: every form `/okr update` accepts, every one it refuses with the message
people will read, and the round trip from what the bot shows back to what it stores."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import InvalidInput
from bot.okrs.method.health import format_value
from bot.okrs.method.typed_values import (
    EXPECTED,
    ParsedValue,
    parse_value,
)

NOT_A_NUMBER = "is not a number; expected a value like 12, 12.5, 12%, 1,200, 1.2k or $3.5M"
SEVERAL = "has more than one number; expected one value like 12, 12.5, 12%, 1,200, 1.2k or $3.5M"
COMMA = ("has a misplaced comma; commas only separate thousands (1,200) and a dot marks decimals "
         "(1.5); expected a value like 12, 12.5, 12%, 1,200, 1.2k or $3.5M")
OUT_OF_RANGE = ("is out of range; expected a value between -1,000,000,000,000,000 and "
                "1,000,000,000,000,000")


@pytest.mark.parametrize(("text", "expected"), [
    ("12", ParsedValue(12.0)),
    ("12.5", ParsedValue(12.5, decimals=1)),
    ("0.5", ParsedValue(0.5, decimals=1)),
    (".5", ParsedValue(0.5, decimals=1)),
    ("12.", ParsedValue(12.0)),
    ("0", ParsedValue(0.0)),
    ("007", ParsedValue(7.0)),
    ("12%", ParsedValue(12.0, percent=True)),
    ("12.5 %", ParsedValue(12.5, percent=True, decimals=1)),
    # a no-break space, as pasted from docs
    ("12.5\u00a0%", ParsedValue(12.5, percent=True, decimals=1)),
    ("-4%", ParsedValue(-4.0, percent=True)),
    ("1,200", ParsedValue(1200.0)),
    ("1,234,567.89", ParsedValue(1234567.89, decimals=2)),
    ("1.2k", ParsedValue(1200.0)),
    ("1.2K", ParsedValue(1200.0)),
    ("0.1k", ParsedValue(100.0)),  # exactly 100, not 100.00000000000001
    ("3.5M", ParsedValue(3_500_000.0)),
    ("3.5m", ParsedValue(3_500_000.0)),  # million, never minutes
    ("2B", ParsedValue(2_000_000_000.0)),
    ("2b", ParsedValue(2_000_000_000.0)),
    ("1,500k", ParsedValue(1_500_000.0)),
    ("$3.5M", ParsedValue(3_500_000.0, currency="$")),
    ("€1,200", ParsedValue(1200.0, currency="€")),
    ("£40", ParsedValue(40.0, currency="£")),
    ("¥1.2k", ParsedValue(1200.0, currency="¥")),
    ("-$3.5M", ParsedValue(-3_500_000.0, currency="$")),
    ("$-3.5M", ParsedValue(-3_500_000.0, currency="$")),
    ("-3", ParsedValue(-3.0)),
    ("+4", ParsedValue(4.0)),
    ("−3", ParsedValue(-3.0)),  # U+2212 MINUS SIGN
    ("-0", ParsedValue(0.0)),
    ("  14.5  ", ParsedValue(14.5, decimals=1)),
    ("1,000,000B", ParsedValue(1e15)),  # the largest magnitude accepted
    ("-1,000,000,000,000,000", ParsedValue(-1e15)),
])
def test_accepted_forms(text: str, expected: ParsedValue) -> None:
    assert parse_value(text) == expected


def test_negative_zero_is_stored_as_zero() -> None:
    assert math.copysign(1.0, parse_value("-0").value) == 1.0


@pytest.mark.parametrize(("text", "message"), [
    ("", f"no value given; {EXPECTED}"),
    ("   ", f"no value given; {EXPECTED}"),
    ("abc", f'"abc" {NOT_A_NUMBER}'),
    ("12abc", f'"12abc" {NOT_A_NUMBER}'),
    ("twelve", f'"twelve" {NOT_A_NUMBER}'),
    ("nan", f'"nan" {NOT_A_NUMBER}'),
    ("NaN", f'"NaN" {NOT_A_NUMBER}'),
    ("inf", f'"inf" {NOT_A_NUMBER}'),
    ("-Infinity", f'"-Infinity" {NOT_A_NUMBER}'),
    ("1e309", f'"1e309" {NOT_A_NUMBER}'),
    ("1e3", f'"1e3" {NOT_A_NUMBER}'),
    ("12%%", f'"12%%" {NOT_A_NUMBER}'),
    ("%12", f'"%12" {NOT_A_NUMBER}'),
    ("12 m", f'"12 m" {NOT_A_NUMBER}'),  # only % may stand apart from the number
    ("1.2kk", f'"1.2kk" {NOT_A_NUMBER}'),
    ("1.2.3", f'"1.2.3" {NOT_A_NUMBER}'),
    ("1_000", f'"1_000" {NOT_A_NUMBER}'),
    ("$ 5", f'"$ 5" {NOT_A_NUMBER}'),
    ("5$", f'"5$" {NOT_A_NUMBER}'),
    ("-", f'"-" {NOT_A_NUMBER}'),
    (".", f'"." {NOT_A_NUMBER}'),
    ("%", f'"%" {NOT_A_NUMBER}'),
    ("٣", f'"٣" {NOT_A_NUMBER}'),  # digits of other scripts are not guessed at
    ("12 14", f'"12 14" {SEVERAL}'),
    ("12-14", f'"12-14" {SEVERAL}'),
    ("12/14", f'"12/14" {SEVERAL}'),
    ("10% 12%", f'"10% 12%" {SEVERAL}'),
    ("1,20", f'"1,20" {COMMA}'),
    ("1,5", f'"1,5" {COMMA}'),
    ("12,5%", f'"12,5%" {COMMA}'),
    ("1,2000", f'"1,2000" {COMMA}'),
    ("1200,", f'"1200," {COMMA}'),
    ("+-3", f'"+-3" has two signs; {EXPECTED}'),
    ("-$-3", f'"-$-3" has two signs; {EXPECTED}'),
    ("$12%", f'"$12%" is both money and a percentage; {EXPECTED}'),
    ("1.2k%", f'"1.2k%" mixes a k/m/b suffix with %; {EXPECTED}'),
    ("1,000,001B", f'"1,000,001B" {OUT_OF_RANGE}'),
    ("-2,000,000,000,000,000", f'"-2,000,000,000,000,000" {OUT_OF_RANGE}'),
    ("9" * 400, f'"{"9" * 39}…" {OUT_OF_RANGE}'),  # no overflow, and the echo is cut short
])
def test_rejected_forms_say_what_is_expected(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=f"^{re.escape(message)}$") as raised:
        parse_value(text)
    assert raised.value.field == "value"
    assert raised.value.expected.startswith("a value ")
    assert "/okr" not in raised.value.message


@pytest.mark.parametrize(("text", "decimals"), [
    ("14", 0), ("14.5", 1), ("14.50", 2), ("1,234.5", 1), ("12.", 0), (".25%", 2),
    ("1.2k", 0), ("1.2345k", 1), ("1.5M", 0), ("2.0000005m", 1), ("$3.75", 2), ("-0.125", 3),
    ("0." + "0" * 20 + "1", 12),  # more than a float keeps faithfully is not precision
])
def test_the_decimals_typed_are_kept_less_those_a_suffix_uses(text: str, decimals: int) -> None:
    assert parse_value(text).decimals == decimals


@pytest.mark.parametrize(("text", "unit", "shown"), [
    ("1,234.5", "%", "1,234.5%"), ("14.50", "%", "14.50%"), ("14", "%", "14%"),
    ("0.125", "", "0.125"), ("1.2345k", "users", "1,234.5 users"), ("$3.5M", "$", "$3,500,000"),
    ("-0.04", "", "-0.04"),
])
def test_a_value_is_shown_with_the_precision_it_was_typed_with(text: str, unit: str,
                                                               shown: str) -> None:
    parsed = parse_value(text)
    assert format_value(parsed.value, unit, parsed.decimals) == shown


def test_a_negative_value_rounded_to_zero_loses_its_sign() -> None:
    assert format_value(-0.04, "", 1) == "0.0"
    assert format_value(-0.04, "%", 0) == "0%"


@given(magnitude=st.floats(min_value=1e-3, max_value=1e12), negative=st.booleans(),
       unit=st.sampled_from(["", "%", "$", "€", "£", "¥"]))
def test_what_the_bot_shows_reads_back_within_half_a_percent(
        magnitude: float, negative: bool, unit: str) -> None:
    value = -magnitude if negative else magnitude
    shown = format_value(value, unit)
    parsed = parse_value(shown)
    # format_value keeps 3 significant digits, so rounding costs at most half of the last one.
    assert parsed.value == pytest.approx(value, rel=0.005)
    assert parsed.percent is (unit == "%")
    assert parsed.currency == (unit if unit not in ("", "%") else None)


@given(st.integers(min_value=-10**15, max_value=10**15))
def test_grouped_integers_read_back_exactly(number: int) -> None:
    assert parse_value(f"{number:,}").value == float(number)


def _finite_in_range_or_told_what_is_expected(text: str) -> None:
    try:
        parsed = parse_value(text)
    except InvalidInput as error:
        message = str(error)
    else:
        assert math.isfinite(parsed.value)
        assert abs(parsed.value) <= 1e15
        return
    assert "expected" in message


@given(st.text(max_size=30))
def test_any_text_is_a_finite_value_in_range_or_invalid_input(text: str) -> None:
    _finite_in_range_or_told_what_is_expected(text)


# Random text is rarely close to a number; this alphabet keeps hypothesis near the edge cases.
@given(st.text(alphabet="0123456789,.kKmMbB%$€+-− ", min_size=1, max_size=16))
def test_number_like_text_is_a_finite_value_in_range_or_invalid_input(text: str) -> None:
    _finite_in_range_or_told_what_is_expected(text)
