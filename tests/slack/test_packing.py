"""The one Slack-limit packer every list view uses: whatever the lines, a message stays
within 50 blocks and 3000 characters a section, lines keep their order, and what is cut is
counted in "…and N more"."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from bot.slack.blocks.mrkdwn import escape
from bot.slack.blocks.packing import MAX_SECTIONS, SECTION_BUDGET, Packer, packed
from tests.fakes.web_api_contract import validate_blocks

MORE = re.compile(r"^…and (\d+) more: see `/okr tree`$")
lines_st = st.lists(st.text(st.characters(blacklist_characters="\n"), min_size=1, max_size=4000)
                    .map(escape), max_size=300)


def shown_and_counted(blocks: list[dict]) -> tuple[list[str], int]:
    """The lines the sections show, and how many the closing context says were left out."""
    shown = [line for b in blocks if b["type"] == "section"
             for line in b["text"]["text"].split("\n")]
    counted = [int(m[1]) for b in blocks if b["type"] == "context"
               if (m := MORE.match(b["elements"][0]["text"]))]
    return shown, sum(counted)


@given(lines_st)
def test_any_lines_fit_slacks_limits_and_every_line_is_shown_or_counted(lines: list[str]) -> None:
    blocks = packed(lines, more_hint="see `/okr tree`")
    assert validate_blocks(blocks) == []
    assert len(blocks) <= MAX_SECTIONS + 1
    shown, counted = shown_and_counted(blocks)
    assert len(shown) + counted == len(lines)
    for line, kept in zip(lines, shown, strict=False):
        assert kept == line or (len(line) > SECTION_BUDGET and kept.endswith("…")
                                and line.startswith(kept.removesuffix("…")))


def test_short_lines_share_sections_and_a_long_list_says_how_many_more() -> None:
    lines = [f"line {i:04} " + "x" * 90 for i in range(2000)]
    blocks = packed(lines, more_hint="see `/okr tree`")
    sections = [b for b in blocks if b["type"] == "section"]
    assert len(sections) == MAX_SECTIONS
    assert all(len(s["text"]["text"]) <= SECTION_BUDGET for s in sections)
    shown, counted = shown_and_counted(blocks)
    assert shown == lines[:len(shown)] and len(shown) > 1000
    assert blocks[-1]["elements"][0]["text"] == f"…and {counted} more: see `/okr tree`"


def test_one_section_with_a_title_as_the_status_reply_uses_it() -> None:
    lines = [f"blocker B-{i} " + "y" * 200 for i in range(40)]
    blocks = packed(lines, title="*Open blockers* (40)", more_hint="see `/okr blockers`",
                    max_sections=1)
    assert [b["type"] for b in blocks] == ["section", "context"]
    text = blocks[0]["text"]["text"]
    assert text.startswith("*Open blockers* (40)\nblocker B-0 ") and len(text) <= SECTION_BUDGET
    shown = text.count("blocker B-")
    assert blocks[1]["elements"][0]["text"] == f"…and {40 - shown} more: see `/okr blockers`"
    assert packed([], title="*Causal chain*", more_hint="-", max_sections=1) == [
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Causal chain*"}}]


def test_a_cut_line_never_ends_inside_an_escaped_character() -> None:
    packer = Packer()
    assert packer.add("a" * (SECTION_BUDGET - 3) + escape("<&>"))
    [block] = packer.finish(left_out=0, more_hint="-")
    assert block["text"]["text"] == "a" * (SECTION_BUDGET - 3) + "…"


def test_once_full_the_packer_refuses_without_formatting() -> None:
    packer = Packer(max_sections=1)
    assert packer.add("z" * SECTION_BUDGET)
    assert not packer.add("one more") and packer.full
    assert not packer.add("")
