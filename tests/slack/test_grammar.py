"""How the words after `/okr update` and `/okr blocker` are split, and the usage a mistake
gets: the command grammar lives at the Slack edge (bot/slack/grammar.py)."""

from __future__ import annotations

import re

import pytest

from bot.errors import InvalidInput
from bot.slack.grammar import (
    UPDATE_USAGE,
    split_add_args,
    split_resolve_args,
    split_update_args,
)


@pytest.mark.parametrize(("text", "expected"), [
    ("first-week-activation 14.5 shipped the tour",
     ("first-week-activation", "14.5", "shipped the tour")),
    ("fwa 14.5", ("fwa", "14.5", "")),
    ("  fwa   14.5   ", ("fwa", "14.5", "")),
    ('"First-week activation" 14.5 shipped the tour',
     ("First-week activation", "14.5", "shipped the tour")),
    ("“First-week activation” 14.5", ("First-week activation", "14.5", "")),
    ('“First-week activation" 14.5', ("First-week activation", "14.5", "")),
    ('" padded name " 3', ("padded name", "3", "")),
    ("fwa 12.5 % after the launch", ("fwa", "12.5 %", "after the launch")),
    ("fwa 12.5 %", ("fwa", "12.5 %", "")),
    ("fwa 12.5 %% odd", ("fwa", "12.5", "%% odd")),  # only a lone % joins the value
    ("fwa 12 m users", ("fwa", "12", "m users")),
    ("fwa 14.5 line one\nline  two", ("fwa", "14.5", "line one\nline  two")),
    ("fwa abc", ("fwa", "abc", "")),  # checking the value is parse_value's job
])
def test_split_update_args(text: str, expected: tuple[str, str, str]) -> None:
    assert split_update_args(text) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("", f"missing key result or KPI; {UPDATE_USAGE}"),
    ("   ", f"missing key result or KPI; {UPDATE_USAGE}"),
    ('"" 14.5', f"missing key result or KPI; {UPDATE_USAGE}"),
    ("first-week-activation", f"missing value; {UPDATE_USAGE}"),
    ('"First-week activation"', f"missing value; {UPDATE_USAGE}"),
    ('"First-week activation 14.5', f"the name has no closing quote; {UPDATE_USAGE}"),
    ('"First-week activation"14.5', f"put a space after the quoted name; {UPDATE_USAGE}"),
])
def test_split_update_args_rejects_with_usage(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=f"^{re.escape(message)}$"):
        split_update_args(text)


def test_usage_names_the_command_and_an_example() -> None:
    assert UPDATE_USAGE == ("expected: /okr update <key result or KPI> <value> [note], "
                            "e.g. /okr update first-week-activation 14.5 shipped the tour")


@pytest.mark.parametrize(("text", "expected"), [
    ("onboarding-tours waiting on legal", ("onboarding-tours", "waiting on legal")),
    ('"First-week activation" no data  from   analytics',
     ("First-week activation", "no data  from   analytics")),
    ("- the VPN is down\nsince Monday", ("-", "the VPN is down\nsince Monday")),
])
def test_add_arguments_split_into_the_item_and_the_words_as_typed(text: str,
                                                                  expected: tuple) -> None:
    assert split_add_args(text) == expected


@pytest.mark.parametrize(("text", "says"), [
    ("", "say what is blocked and by what"),
    ("onboarding-tours", "say what blocks “onboarding-tours”"),
    ('"First-week activation', "the name has no closing quote"),
])
def test_add_arguments_missing_a_part_say_the_expected_form(text: str, says: str) -> None:
    with pytest.raises(InvalidInput, match=says) as raised:
        split_add_args(text)
    assert "expected: /okr blocker add <objective, key result, KPI or activity>" \
        in str(raised.value)


def test_resolve_arguments_are_a_number_and_an_optional_note() -> None:
    assert split_resolve_args("B-7 legal said yes") == (7, "legal said yes")
    assert split_resolve_args("7") == (7, "")
    with pytest.raises(InvalidInput, match="which blocker"):
        split_resolve_args("  ")


def test_a_bad_blocker_number_gets_the_resolve_usage() -> None:
    with pytest.raises(InvalidInput, match=r"expected: /okr blocker resolve <number> \[note\]"):
        split_resolve_args("twelve")
