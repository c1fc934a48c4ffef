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
)
from bot.checkins.confidence import check_confidence
from bot.errors import InvalidInput
from bot.okrs.method.chain import NodeKind
from bot.okrs.method.enums import Source

T0 = datetime(2026, 11, 1, 9, tzinfo=UTC)


@pytest.mark.parametrize("typed", ["12", "B-12", "b-12", "b12", "#12", " B-012 "])
def test_a_blocker_number_is_read_in_every_form_it_is_shown_or_typed(typed: str) -> None:
    assert parse_number(typed) == 12
    assert label(12) == "B-12"


@pytest.mark.parametrize("typed", ["", "B-", "twelve", "12a", "B-0", "-3", "1.5", "C-12"])
def test_anything_else_is_not_a_number_and_says_the_form(typed: str) -> None:
    with pytest.raises(InvalidInput, match="is not a blocker number") as raised:
        parse_number(typed)
    assert raised.value.expected == "a blocker number like B-12"
    assert "/okr" not in raised.value.message  # the command's grammar is Slack's business


def test_blocker_text_must_say_something_and_stay_short() -> None:
    assert check_text("  waiting  ") == "waiting"
    with pytest.raises(InvalidInput, match="a few words"):
        check_text(" \n ")
    with pytest.raises(InvalidInput, match=f"at most {MAX_TEXT:,} characters"):
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
    with pytest.raises(InvalidInput, match=r"1 \(it will not reach its target\) to 10"):
        check_confidence(value)
