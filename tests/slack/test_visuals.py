"""Text visuals for mrkdwn: sparklines, progress bars and labels, status marks."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.okrs.method.enums import Status
from bot.slack.blocks.visuals import (
    SPARK_GLYPHS,
    progress_bar,
    progress_label,
    sparkline,
    status_mark,
)

any_float = st.floats(allow_nan=True, allow_infinity=True)
finite = st.floats(allow_nan=False, allow_infinity=False)


@pytest.mark.parametrize(("values", "width", "expected"), [
    ([], 8, ""),
    ([1, 2, 3, 4, 5, 6, 7, 8], 8, "▁▂▃▄▅▆▇█"),
    ([8, 7, 6, 5, 4, 3, 2, 1], 8, "█▇▆▅▄▃▂▁"),
    ([0, 10], 8, "▁█"),
    ([0, 5, 10], 8, "▁▅█"),  # 3.5 of 7 steps: round() picks step 4
    ([100, 0, 100], 8, "█▁█"),
    ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 4, "▁▃▆█"),  # only the last four: 7..10
    ([5], 8, "▄"),
    ([3, 3, 3], 8, "▄▄▄"),  # flat: the middle, neither empty nor full
    ([-2.5, -2.5], 8, "▄▄"),
    ([1, math.nan, 3], 8, "▁█"),  # what is not finite measures nothing
    ([math.inf, -math.inf, math.nan], 8, ""),
    ([-1.7e308, 0, 1.7e308], 8, "▁▅█"),  # the span would overflow without care
    ([0, 5e-324], 8, "▁█"),  # and the tiniest gap is still a gap
])
def test_sparkline(values: list[float], width: int, expected: str) -> None:
    assert sparkline(values, width) == expected


def test_sparkline_default_width_is_eight() -> None:
    assert sparkline(range(20)) == "▁▂▃▄▅▆▇█"


@pytest.mark.parametrize("width", [0, -1])
def test_widths_below_one_are_refused(width: int) -> None:
    with pytest.raises(ValueError, match="width must be at least 1"):
        sparkline([1, 2], width)
    with pytest.raises(ValueError, match="width must be at least 1"):
        progress_bar(0.5, width)


@given(st.lists(any_float, max_size=40), st.integers(min_value=1, max_value=30))
def test_sparkline_is_at_most_width_glyphs(values: list[float], width: int) -> None:
    line = sparkline(values, width)
    assert len(line) <= width
    assert set(line) <= set(SPARK_GLYPHS)


@given(st.lists(finite, min_size=1, max_size=30), st.integers(min_value=1, max_value=30),
       st.booleans())
def test_monotone_input_draws_monotone_glyphs(values: list[float], width: int,
                                              falling: bool) -> None:
    ordered = sorted(values, reverse=falling)
    heights = [SPARK_GLYPHS.index(glyph) for glyph in sparkline(ordered, width)]
    assert heights == sorted(heights, reverse=falling)
    assert len(heights) == min(width, len(values))


@pytest.mark.parametrize(("progress", "expected"), [
    (None, "▱▱▱▱▱▱▱▱▱▱"),
    (math.nan, "▱▱▱▱▱▱▱▱▱▱"),
    (0.0, "▱▱▱▱▱▱▱▱▱▱"),
    (0.3, "▰▰▰▱▱▱▱▱▱▱"),
    (0.7, "▰▰▰▰▰▰▰▱▱▱"),
    (0.96, "▰▰▰▰▰▰▰▰▰▱"),  # a full bar only when the target is reached
    (1.0, "▰▰▰▰▰▰▰▰▰▰"),
    (1.34, "▰▰▰▰▰▰▰▰▰▰"),
    (math.inf, "▰▰▰▰▰▰▰▰▰▰"),
    (-0.12, "▱▱▱▱▱▱▱▱▱▱"),
    (-math.inf, "▱▱▱▱▱▱▱▱▱▱"),
])
def test_progress_bar(progress: float | None, expected: str) -> None:
    assert progress_bar(progress) == expected


def test_progress_bar_width() -> None:
    assert progress_bar(0.5, 4) == "▰▰▱▱"
    assert progress_bar(1 / 3, 3) == "▰▱▱"
    assert progress_bar(2 / 3, 3) == "▰▰▱"


@given(st.none() | any_float, st.integers(min_value=1, max_value=60))
def test_progress_bar_is_always_width_squares(progress: float | None, width: int) -> None:
    bar = progress_bar(progress, width)
    assert len(bar) == width
    assert set(bar) <= {"▰", "▱"}
    assert bar == "▰" * bar.count("▰") + "▱" * bar.count("▱")  # filled first, then empty


@given(finite, finite, st.integers(min_value=1, max_value=60))
def test_more_progress_never_fills_fewer_squares(a: float, b: float, width: int) -> None:
    low, high = sorted((a, b))
    assert progress_bar(low, width).count("▰") <= progress_bar(high, width).count("▰")


@pytest.mark.parametrize(("progress", "expected"), [
    (None, "–"),
    (math.nan, "–"),
    (math.inf, "–"),
    (0.0, "0%"),
    (0.004, "0%"),
    (-0.004, "0%"),  # never "-0%"
    (0.5, "50%"),
    (0.999, "100%"),
    (1.0, "100%"),
    (1.34, "134%"),  # over-achievement is shown, though the bar stops at full
    (-0.12, "-12%"),  # so is going backwards
    (12.5, "1,250%"),
])
def test_progress_label(progress: float | None, expected: str) -> None:
    assert progress_label(progress) == expected


@pytest.mark.parametrize(("status", "stale", "expected"), [
    (Status.GREEN, False, "🟢"),
    (Status.YELLOW, False, "🟡"),
    (Status.RED, False, "🔴"),
    (Status.NO_DATA, False, "⚪"),
    (Status.YELLOW, True, "🟡⏳"),
    (Status.RED, True, "🔴⏳"),
])
def test_status_mark(status: Status, stale: bool, expected: str) -> None:
    assert status_mark(status, stale) == expected


@pytest.mark.parametrize("status", list(Status))
def test_every_status_has_a_distinct_mark(status: Status) -> None:
    marks = {status_mark(s, stale=False) for s in Status}
    assert len(marks) == len(Status)
    assert status_mark(status, stale=True).endswith("⏳")
