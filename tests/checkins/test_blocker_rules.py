"""Blocker numbers, arguments and ordering, and the confidence scale: pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.checkins.blocker_rules import (
    MAX_TEXT,
    BlockedItem,
    BlockerEntry,
    check_text,
    label,
    ordered,
    parse_number,
    split_add_args,
    split_resolve_args,
)
from bot.checkins.confidence import check_confidence
from bot.okrs.method.chain import NodeKind
from bot.okrs.method.enums import Source

T0 = datetime(2026, 11, 1, 9, tzinfo=UTC)


@pytest.mark.parametrize("typed", ["12", "B-12", "b-12", "b12", "#12", " B-012 "])
def test_a_blocker_number_is_read_in_every_form_it_is_shown_or_typed(typed: str) -> None:
    assert parse_number(typed) == 12
    assert label(12) == "B-12"


@pytest.mark.parametrize("typed", ["", "B-", "twelve", "12a", "B-0", "-3", "1.5", "C-12"])
def test_anything_else_is_not_a_number_and_says_the_form(typed: str) -> None:
    with pytest.raises(ValueError, match=r"expected: /okr blocker resolve <number> \[note\]"):
        parse_number(typed)


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
    with pytest.raises(ValueError, match=says) as raised:
        split_add_args(text)
    assert "expected: /okr blocker add <objective, key result, KPI or activity>" \
        in str(raised.value)


def test_resolve_arguments_are_a_number_and_an_optional_note() -> None:
    assert split_resolve_args("B-7 legal said yes") == (7, "legal said yes")
    assert split_resolve_args("7") == (7, "")
    with pytest.raises(ValueError, match="which blocker"):
        split_resolve_args("  ")


def test_blocker_text_must_say_something_and_stay_short() -> None:
    assert check_text("  waiting  ") == "waiting"
    with pytest.raises(ValueError, match="a few words"):
        check_text(" \n ")
    with pytest.raises(ValueError, match=f"at most {MAX_TEXT:,} characters"):
        check_text("x" * (MAX_TEXT + 1))


def entry(number: int, kind: NodeKind | None, days_old: int) -> BlockerEntry:
    item = BlockedItem(kind, number, f"item-{number}", "Item", "U1") if kind else None
    return BlockerEntry(number=number, text="t", author="U1", source=Source.SLACK,
                        created_at=T0 - timedelta(days=days_old), item=item)


def test_blockers_are_ordered_by_what_they_hold_back_then_oldest_first() -> None:
    shuffled = [entry(1, None, 30), entry(2, NodeKind.KPI, 9), entry(3, NodeKind.ACTIVITY, 1),
                entry(4, NodeKind.KEY_RESULT, 2), entry(5, NodeKind.OBJECTIVE, 1),
                entry(6, NodeKind.KEY_RESULT, 8), entry(7, NodeKind.OBJECTIVE, 3)]
    assert [e.number for e in ordered(shuffled)] == [7, 5, 6, 4, 3, 2, 1]


@pytest.mark.parametrize("value", [1, 7, 10])
def test_confidence_is_a_whole_number_from_1_to_10(value: int) -> None:
    assert check_confidence(value) == value


@pytest.mark.parametrize("value", [0, 11, -1, 7.5, True, "7", None])
def test_anything_else_is_refused_with_the_scale(value: object) -> None:
    with pytest.raises(ValueError, match=r"1 \(it will not reach its target\) to 10"):
        check_confidence(value)
