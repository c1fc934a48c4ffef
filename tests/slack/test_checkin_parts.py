"""A person with more key results and KPIs than one modal holds gets the check-in in parts,
each within Slack's 100 blocks, with every item in exactly one part: nothing is cut."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.checkins.form import CheckinForm, OwnedItem, Question
from bot.slack import ids
from bot.slack.blocks.checkin_modal import MODAL_BLOCKS, checkin_modal, split_items
from tests.fakes.web_api_contract import validate_view


def form(count: int, groups: int) -> CheckinForm:
    items = [OwnedItem(key=f"kr-{n}", name=f"Key result {n}", kind="Key result", unit="%",
                       group=f"Objective {n % groups}", current="", confidence=None)
             for n in range(count)]
    items.sort(key=lambda i: i.group)
    return CheckinForm(question_set_id=1, questions=[Question("a", "A?"), Question("b", "B?"),
                                                     Question("c", "C?")],
                       items=items, round_id=None, cycle="2026-W49",
                       last_priorities="ship it", open_blockers=[])


# Each example builds and validates up to four 100-block modals against Slack's schema (~45 ms):
# 50 of them and the edges, not CI's 200.
@settings(max_examples=50)
@given(st.integers(min_value=0, max_value=160), st.integers(min_value=1, max_value=30))
@example(0, 1)
@example(160, 1)
@example(160, 30)
def test_every_item_is_in_one_part_and_every_part_fits(count: int, groups: int) -> None:
    checkin = form(count, groups)
    parts = split_items(checkin.items)
    assert [i.key for part in parts for i in part] == [i.key for i in checkin.items]
    for number in range(1, len(parts) + 1):
        view = checkin_modal(checkin, part=number)
        assert len(view["blocks"]) <= MODAL_BLOCKS
        assert validate_view(view, surface="modal") == []


def test_sixty_items_take_two_parts_and_say_so() -> None:
    checkin = form(60, 6)
    first, second = checkin_modal(checkin, part=1), checkin_modal(checkin, part=2)
    assert "Part 1 of 2" in str(first["blocks"]) and first["submit"]["text"] == "Save and next"
    assert second["submit"]["text"] == "Submit"
    shown = [b["block_id"] for v in (first, second) for b in v["blocks"]
             if b.get("block_id", "").startswith(ids.VALUE)]
    assert len(shown) == 60
