"""Tiny text pictures for mrkdwn: a sparkline of recent values, a progress bar and its label,
a status mark. Plain strings, so any block (section, context, Home tab) can inline them.

Characters, not images: they need no hosting, survive copy-paste and notifications, and read
the same on desktop and mobile.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from bot.okrs.method.enums import Status
from bot.okrs.method.health import format_value

SPARK_GLYPHS = "▁▂▃▄▅▆▇█"
# A flat series has no low or high, so it sits at half height rather than looking like zero.
FLAT_GLYPH = "▄"
BAR_FILLED, BAR_EMPTY = "▰", "▱"
NO_PROGRESS = "–"
STATUS_MARKS = {Status.GREEN: "🟢", Status.YELLOW: "🟡", Status.RED: "🔴", Status.NO_DATA: "⚪"}
# An hourglass, right after the colour with no space, reads as "this colour, but overdue".
STALE_MARK = "⏳"
# Float noise (0.7 × 10 = 7.000000000000001, 0.3 × 10 = 2.9999…) must not cost a square.
_EDGE = 1e-9


def sparkline(values: Sequence[float], width: int = 8) -> str:
    """The last `width` values, one glyph each, scaled between their own lowest and highest.
    Values that are not finite are left out: they measure nothing. Nothing to draw → ""."""
    _check_width(width)
    window = [v for v in values if math.isfinite(v)][-width:]
    if not window:
        return ""
    low, high = min(window), max(window)
    if low == high:
        return FLAT_GLYPH * len(window)
    # Near the float limits the span overflows, so measure in halves there (only there: halving
    # would flush the tiniest values to zero). Either way the scaling is monotone, so a rising
    # series never draws a falling glyph.
    scale = 1.0 if math.isfinite(high - low) else 0.5
    span = high * scale - low * scale
    top = len(SPARK_GLYPHS) - 1
    return "".join(SPARK_GLYPHS[min(top, max(0, round((v * scale - low * scale) / span * top)))]
                   for v in window)


def progress_bar(progress: float | None, width: int = 10) -> str:
    """Always `width` squares, filled for the share done, clamped to 0..1 (the label tells the
    rest). Squares are only filled when earned, so 96% never shows as a full bar."""
    _check_width(width)
    share = 0.0 if progress is None or math.isnan(progress) else min(1.0, max(0.0, progress))
    filled = math.floor(share * width + _EDGE)
    return BAR_FILLED * filled + BAR_EMPTY * (width - filled)


def progress_label(progress: float | None) -> str:
    """The real share in whole percent, beyond the bar's ends too: "134%", "-12%"; unknown → "–"."""
    if progress is None or not math.isfinite(progress):
        return NO_PROGRESS
    return format_value(round(progress * 100), "%")


def status_mark(status: Status, stale: bool) -> str:
    """🟢 🟡 🔴 or ⚪ (no data), followed by ⏳ when the metric is overdue for a measurement."""
    return STATUS_MARKS[status] + (STALE_MARK if stale else "")


def _check_width(width: int) -> None:
    if width < 1:
        raise ValueError(f"width must be at least 1, not {width}")
