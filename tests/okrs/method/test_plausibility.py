"""Plausible values: what a metric's unit (or its plan's `range`) lets it take, and the reason
given for what it does not."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import InvalidInput
from bot.okrs.method.plausibility import (
    ValueRange,
    check_plausible,
    check_value,
    default_range,
    plausible_range,
)
from bot.okrs.method.typed_values import parse_value


def refusal(text: str, unit: str, declared=None, name: str = "First-week activation"):
    with pytest.raises(InvalidInput) as raised:
        check_value(parse_value(text), unit=unit, name=name, declared=declared)
    error = raised.value
    assert error.field == "value"
    assert "/okr" not in error.message
    return error


def test_the_slip_from_the_issue_is_refused_with_the_reason() -> None:
    error = refusal("1,234.5", "%")
    assert error.message == ("First-week activation is a percentage from 0 to 100: 1,234.5% "
                             "cannot be right (if it really can be, the metric's `range:` in "
                             "the plan file says so).")
    assert error.expected == "a percentage from 0 to 100"


@pytest.mark.parametrize(("unit", "expected"), [
    ("%", ValueRange(0, 100)), (" % ", ValueRange(0, 100)), ("share", ValueRange(0, 1)),
    ("$", ValueRange(0, None)), ("k USD", ValueRange(0, None)), ("EUR", ValueRange(0, None)),
    ("users", ValueRange(0, None)), ("days", ValueRange(0, None)),
    ("per 100", ValueRange(0, None)), ("of 5", ValueRange(0, None)),
    ("", ValueRange()), ("points", ValueRange()), ("pp", ValueRange()), ("°C", ValueRange()),
    ("Score", ValueRange()),
])
def test_defaults_by_unit(unit: str, expected: ValueRange) -> None:
    assert default_range(unit) == expected


@pytest.mark.parametrize(("text", "unit"), [
    ("0", "%"), ("100", "%"), ("14.5%", "%"), ("0.5", "share"), ("$0", "$"), ("1.2k", "users"),
    ("-40", ""), ("-12", "points"), ("-3.5", "°C"), ("1,234.5", ""),
])
def test_plausible_values_pass(text: str, unit: str) -> None:
    check_value(parse_value(text), unit=unit, name="x")


@pytest.mark.parametrize(("text", "unit", "expected", "shown"), [
    ("-0.5", "%", "a percentage from 0 to 100", "-0.5%"),
    ("100.01", "%", "a percentage from 0 to 100", "100.01%"),
    ("1.5", "share", "a value from 0 to 1", "1.5 share"),
    ("-$3.5M", "$", "an amount of 0 or more", "-$3,500,000"),
    ("-200", "k USD", "an amount of 0 or more", "-200 k USD"),
    ("-1", "users", "a value of 0 or more", "-1 users"),
])
def test_implausible_values_are_refused_saying_what_would_do(text: str, unit: str,
                                                            expected: str, shown: str) -> None:
    error = refusal(text, unit)
    assert error.expected == expected
    assert f"is {expected}: {shown} cannot be right" in error.message


@pytest.mark.parametrize(("declared", "accepted", "refused", "expected"), [
    ((0, None), ["108", "250.5"], ["-1"], "a percentage of 0 or more"),
    ((None, None), ["-40", "1,000"], [], "a percentage"),
    ((-100, 100), ["-100", "100"], ["-100.5", "101"], "a percentage from -100 to 100"),
    ((None, 50), ["-5", "50"], ["51"], "a percentage of 50 or less"),
])
def test_a_declared_range_replaces_the_default(declared, accepted: list[str],
                                               refused: list[str], expected: str) -> None:
    for text in accepted:
        check_value(parse_value(text), unit="%", declared=declared)
    for text in refused:
        assert refusal(text, "%", declared=declared).expected == expected


def test_a_declared_range_on_money_lets_a_net_change_be_negative() -> None:
    check_value(parse_value("-$40k"), unit="$", declared=[None, None])
    assert plausible_range("$", [None, None]) == ValueRange()


def test_a_percentage_for_a_metric_in_other_units_is_refused() -> None:
    error = refusal("12%", "users")
    assert error.message == "First-week activation is measured in users, not %: send the " \
                            "number alone."
    assert error.expected == "a number of users"


def test_a_percentage_sign_on_a_unitless_metric_is_its_own_business() -> None:
    check_value(parse_value("12%"), unit="", name="x")


@pytest.mark.parametrize(("text", "unit"), [("€12", "$"), ("$12", "%")])
def test_the_wrong_currency_is_refused(text: str, unit: str) -> None:
    assert "send the number alone" in refusal(text, unit).message


def test_without_a_name_the_text_still_reads() -> None:
    with pytest.raises(InvalidInput, match=r"^This metric is a percentage from 0 to 100: 101%"):
        check_plausible(101, unit="%")


def test_infinity_is_never_plausible() -> None:
    with pytest.raises(InvalidInput):
        check_plausible(float("inf"), unit="", declared=[None, None])


@given(value=st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15),
       low=st.one_of(st.none(), st.floats(-1e6, 1e6)),
       high=st.one_of(st.none(), st.floats(-1e6, 1e6)))
def test_accepted_exactly_when_inside_the_declared_range(value: float, low, high) -> None:
    inside = (low is None or value >= low) and (high is None or value <= high)
    try:
        check_plausible(value, unit="%", declared=(low, high))
    except InvalidInput:
        assert not inside
    else:
        assert inside


def test_a_refused_value_of_unknown_precision_is_shown_whole() -> None:
    with pytest.raises(InvalidInput, match=r": 1,234\.5% cannot be right"):
        check_plausible(1234.5, unit="%")
    with pytest.raises(InvalidInput, match=r": -3 users cannot be right"):
        check_plausible(-3.0, unit="users")
