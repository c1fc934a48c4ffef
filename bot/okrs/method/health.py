"""A metric's health: green, yellow or red against its bands or its pace, staleness, counter-metrics
and roll-ups (plateaus over its measurements: movement.py).

Pure functions over frozen dataclasses (no pydantic, Slack or database) so the chain service, the
Slack views and the tests all judge a metric the same way.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import KW_ONLY, dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from bot.okrs.method.enums import (
    FREQUENCY_DAYS,
    BandMode,
    Direction,
    Frequency,
    Rollup,
    Status,
)

# The method's defaults when a plan says nothing about a metric's bands.
PACE_GREEN, PACE_YELLOW = 0.9, 0.7
SHARE_GREEN, SHARE_YELLOW = 1.0, 0.8
# Moves smaller than this share of the scale are noise, not a trend or a change.
FLAT_TOLERANCE = 0.02
AVERAGE_GREEN, AVERAGE_YELLOW = 0.75, 0.4
_EDGE = 1e-9

STATUS_WORDS = {Status.GREEN: "green", Status.YELLOW: "yellow", Status.RED: "red",
                Status.NO_DATA: "no data"}
# No data ranks above green: an unmeasured metric deserves more attention than a healthy one.
_SEVERITY = {Status.GREEN: 0, Status.NO_DATA: 1, Status.YELLOW: 2, Status.RED: 3}
_SCORES = {Status.GREEN: 1.0, Status.YELLOW: 0.5, Status.RED: 0.0}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_PREFIX_UNITS = frozenset({"$", "€", "£", "¥"})


@dataclass(frozen=True)
class Measurement:
    value: float
    measured_at: datetime  # timezone-aware
    decimals: int | None = None  # as typed, for showing it; None: format_value's own choice


@dataclass(frozen=True)
class Bands:
    """Where green and yellow start; red is everything else. See plan.Thresholds."""

    mode: BandMode = BandMode.SHARE_OF_TARGET
    green: float | None = None
    yellow: float | None = None
    pace: bool = False
    green_range: tuple[float, float] | None = None
    yellow_range: tuple[float, float] | None = None


@dataclass(frozen=True)
class MetricSpec:
    key: str
    name: str
    direction: Direction = Direction.HIGHER_IS_BETTER
    baseline: float | None = None
    target: float | None = None
    unit: str = ""
    start: date | None = None
    due: date | None = None
    frequency: Frequency | None = None
    bands: Bands | None = None


@dataclass(frozen=True)
class Health:
    """A status with the one line that explains it, and the numbers behind it for views.
    `Health(Status.RED, "red: …", rule="pace")`: everything after the reason is by keyword."""

    status: Status
    reason: str
    _: KW_ONLY
    stale: bool = False
    value: float | None = None
    expected: float | None = None
    progress: float | None = None
    rule: str


def severity(status: Status) -> int:
    """For ordering: red 3, yellow 2, no data 1, green 0."""
    return _SEVERITY[status]


def format_value(value: float, unit: str = "", decimals: int | None = None) -> str:
    """A number as people read it: thousands separators, 3 significant digits but never fewer
    than the whole part (12.8, 0.0457, 1,234,567), or exactly `decimals` (as it was typed:
    1,234.5, 14.50), the unit after it ("12%", "12 users", "$1,200")."""
    if math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    magnitude = abs(value)
    leading = math.floor(math.log10(magnitude)) if magnitude > 0 else 0
    shown = min(12, max(0, 2 - leading if decimals is None else decimals))
    digits = f"{magnitude:,.{shown}f}"
    if "." in digits and decimals is None:  # typed zeros ("14.50") are precision: kept
        digits = digits.rstrip("0").rstrip(".")
    sign = "-" if value < 0 and digits.strip("0.") else ""
    if unit in _PREFIX_UNITS:
        return f"{sign}{unit}{digits}"
    if not unit:
        return f"{sign}{digits}"
    return f"{sign}{digits}{'' if unit.startswith(('%', '‰')) else ' '}{unit}"


def progress(spec: MetricSpec, value: float) -> float | None:
    """Share of the way from baseline to target: 1 at target, above 1 beyond, negative when
    the metric went the wrong way. None without a baseline and target, or for ranges."""
    if spec.direction is Direction.WITHIN_RANGE or spec.baseline is None or spec.target is None:
        return None
    distance = abs(spec.target - spec.baseline)
    if distance == 0:
        return None
    # Gains are counted in the metric's own direction, so a target written on the wrong side
    # of the baseline still cannot make a worse value look like progress.
    gained = value - spec.baseline
    if spec.direction is Direction.LOWER_IS_BETTER:
        gained = -gained
    share = gained / distance
    return share if math.isfinite(share) else None  # infinite inputs measure nothing


def expected_value_at(spec: MetricSpec, at: datetime) -> float | None:
    """The value on the straight line from baseline (00:00 UTC on start) to target (24:00 UTC on
    due), clamped to that timeframe. None when the line is not fully known."""
    elapsed = _elapsed_share(spec, at)
    if elapsed is None or spec.baseline is None or spec.target is None:
        return None
    return spec.baseline + elapsed * (spec.target - spec.baseline)


def is_stale(spec: MetricSpec, last_measured_at: datetime | None, now: datetime,
             grace: timedelta | None = None) -> bool:
    """No measurement within the metric's frequency plus a grace (by default half a period, at
    least a day). Never stale without a frequency; never measured is no data, not stale.
    Once the due date has passed, the question is whether it was measured until then: a
    closed key result is judged on its final value, not nagged for new ones."""
    if spec.frequency is None or last_measured_at is None:
        return False
    period = timedelta(days=FREQUENCY_DAYS[spec.frequency])
    if grace is None:
        grace = max(period / 2, timedelta(days=1))
    if spec.due is not None:
        closed = datetime.combine(spec.due + timedelta(days=1), time.min, tzinfo=UTC)
        now = min(now, closed)
    return now - last_measured_at > period + grace


def metric_health(spec: MetricSpec, measurements: Sequence[Measurement], now: datetime) -> Health:
    """Judge the latest measurement at or before `now` by the metric's bands, then by staleness."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    known = [m for m in measurements if m.measured_at <= now]
    if not known:
        if spec.due is not None and now.date() > spec.due:
            # A timeframe that ended with nothing measured is a plan nobody looked at again:
            # stale (and so at risk), not quietly "no data yet".
            return Health(status=Status.NO_DATA, rule="no_data", stale=True,
                          reason=f"no data: nothing measured, and its timeframe ended on "
                                 f"{spec.due.day} {_MONTHS[spec.due.month - 1]} "
                                 f"{spec.due.year}")
        return Health(status=Status.NO_DATA, reason="no data: nothing measured yet",
                      rule="no_data")
    # reversed: of two measurements at the same instant the later-listed (a correction) wins.
    latest = max(reversed(known), key=lambda m: m.measured_at)
    health = _judge(spec, latest.value, now)
    if spec.frequency is None or not is_stale(spec, latest.measured_at, now):
        return health
    note = f"stale — last measured {_day(latest.measured_at)}, expected {spec.frequency.value}"
    if health.status is Status.GREEN:
        return replace(health, status=Status.YELLOW, reason=f"yellow: {note}", rule="stale",
                       stale=True)
    return replace(health, stale=True, reason=f"{health.reason}; {note}")


def with_counter_metric(health: Health, counter_health: Health, counter_name: str) -> Health:
    """A green metric bought by breaking its counter-metric is not green: show it yellow."""
    if health.status is not Status.GREEN or counter_health.status is not Status.RED:
        return health
    detail = _without_status_word(counter_health)
    return replace(health, status=Status.YELLOW, rule="counter_metric",
                   reason=f"yellow: counter-metric {counter_name} is red ({detail})")


def rollup(children: Sequence[Health], mode: Rollup, noun: str = "key results") -> Health:
    """An objective's health from its key results: worst of, or the average of green=1,
    yellow=0.5, red=0. Unmeasured children are left out unless none is measured."""
    total = len(children)
    stale = any(child.stale for child in children)
    measured = [child for child in children if child.status is not Status.NO_DATA]
    progresses = [child.progress for child in measured if child.progress is not None]
    mean_progress = sum(progresses) / len(progresses) if progresses else None
    if not measured:
        reason = f"no data: none of {total} {noun} measured yet" if total else f"no data: no {noun}"
        return Health(status=Status.NO_DATA, reason=reason, rule="no_data", stale=stale)
    counts = Counter(child.status for child in measured)
    unmeasured = f", {total - len(measured)} with no data" if len(measured) < total else ""
    if mode is Rollup.WORST:
        status = max((child.status for child in measured), key=severity)
        word = STATUS_WORDS[status]
        reason = f"{word}: {counts[status]} of {total} {noun} {word}{unmeasured} (worst of)"
        rule = "rollup_worst"
    else:
        score = sum(_SCORES[child.status] for child in measured) / len(measured)
        status = (Status.GREEN if score >= AVERAGE_GREEN
                  else Status.YELLOW if score >= AVERAGE_YELLOW else Status.RED)
        tally = ", ".join(f"{counts[s]} {STATUS_WORDS[s]}"
                          for s in (Status.RED, Status.YELLOW, Status.GREEN) if counts[s])
        reason = (f"{STATUS_WORDS[status]}: {tally} of {total} {noun}{unmeasured} "
                  f"(average {score:.2f})")
        rule = "rollup_average"
    if mode is Rollup.WORST and status is Status.GREEN and len(measured) < total:
        # Worst of what we know is not the worst there is: unmeasured key results keep an
        # objective from showing green.
        missing = total - len(measured)
        status, rule = Status.YELLOW, "rollup_incomplete"
        reason = f"yellow: {missing} of {total} {noun} not measured yet, the rest green (worst of)"
    if stale and status is Status.GREEN:
        # Staleness is never green, in a roll-up as in a metric.
        stale_count = sum(child.stale for child in children)
        status, rule = Status.YELLOW, "stale"
        how = "worst of" if mode is Rollup.WORST else "average"
        reason = f"yellow: {stale_count} of {total} {noun} stale, otherwise green ({how})"
    return Health(status=status, reason=reason, rule=rule, stale=stale, progress=mean_progress)


def _judge(spec: MetricSpec, value: float, now: datetime) -> Health:
    pace = _pace_at(spec, value, now)
    bands = spec.bands or Bands(pace=pace is not None)
    if spec.direction is Direction.WITHIN_RANGE:
        health = _by_range(spec, bands, value)
    elif bands.mode is BandMode.ABSOLUTE:
        health = _by_absolute(spec, bands, value)
    elif bands.pace and pace is not None:
        health = _by_pace(spec, bands, value, pace)
    else:
        # A pace band without a known line falls back to the share of target it implies.
        green, yellow = _thresholds(bands, pace=False)
        health = _by_share(spec, value, green, yellow)
    return replace(health, value=value, progress=progress(spec, value))


@dataclass(frozen=True)
class _Pace:
    elapsed: float  # share of the timeframe passed, 0 to 1
    actual: float  # progress made, as progress() measures it
    baseline: float
    expected: float  # the value on the line at this moment
    day: str


def _pace_at(spec: MetricSpec, value: float, now: datetime) -> _Pace | None:
    elapsed, actual = _elapsed_share(spec, now), progress(spec, value)
    expected = expected_value_at(spec, now)
    if elapsed is None or actual is None or expected is None or spec.baseline is None:
        return None
    return _Pace(elapsed, actual, spec.baseline, expected, _day(now))


def _by_pace(spec: MetricSpec, bands: Bands, value: float, pace: _Pace) -> Health:
    fmt = _formatter(spec)
    if pace.elapsed <= FLAT_TOLERANCE:
        # Before the timeframe (and in its first sliver, where the expected move is noise and
        # any ratio to it is meaningless) nothing is expected yet: only going backwards counts.
        numbers = f"(baseline {fmt(pace.baseline)}, actual {fmt(value)})"
        if pace.actual >= 0:
            return Health(status=Status.GREEN, rule="pace", expected=pace.expected,
                          reason=f"green: nothing expected yet for {pace.day} {numbers}")
        return Health(status=Status.YELLOW, rule="pace", expected=pace.expected,
                      reason=f"yellow: worse than the baseline for {pace.day} {numbers}")
    ratio = pace.actual / pace.elapsed
    green, yellow = _thresholds(bands, pace=True)
    status = _grade(ratio, green, yellow)
    if round(abs(1 - ratio) * 100) == 0:
        reason = (f"{STATUS_WORDS[status]}: on the expected pace for {pace.day} "
                  f"(expected {fmt(pace.expected)}, actual {fmt(value)})")
    else:
        # Said in the metric's own units: "70% behind the pace" read as a fall in the metric.
        gap = fmt(round(abs(value - pace.expected), 1))
        if spec.unit == "%":
            points = gap.removesuffix("%")
            gap = f"{points} {'point' if points == '1' else 'points'}"
        reason = (f"{STATUS_WORDS[status]}: {fmt(value)} where the pace expects "
                  f"{fmt(pace.expected)} for {pace.day}, {gap} "
                  f"{'behind' if ratio < 1 else 'ahead'}")
    return Health(status=status, reason=reason, rule="pace", expected=pace.expected)


def _by_share(spec: MetricSpec, value: float, green: float, yellow: float) -> Health:
    fmt = _formatter(spec)
    if spec.target is None:
        return Health(status=Status.NO_DATA, rule="share_of_target",
                      reason=f"no data: {fmt(value)} measured, but no target to judge it by")
    status = _grade(_share_of_target(spec.direction, value, spec.target), green, yellow)
    if spec.direction is Direction.LOWER_IS_BETTER:
        where = f"{fmt(value)} now, target {fmt(spec.target)} or lower"
    else:
        where = f"{fmt(value)} reached, target {fmt(spec.target)}"
    return Health(status=status, reason=f"{STATUS_WORDS[status]}: {where}",
                  rule="share_of_target")


def _share_of_target(direction: Direction, value: float, target: float) -> float:
    """Higher: value/target; lower: target/value. Where that ratio means nothing (a target of
    0 or below, a lower-is-better value of 0 or below) the target is either fully met or not."""
    lower = direction is Direction.LOWER_IS_BETTER
    meets = value <= target if lower else value >= target
    if target <= 0 or (lower and value <= 0):
        return math.inf if meets else 0.0
    return target / value if lower else value / target


def _by_absolute(spec: MetricSpec, bands: Bands, value: float) -> Health:
    fmt = _formatter(spec)
    green = bands.green if bands.green is not None else spec.target
    if green is None:
        return Health(status=Status.NO_DATA, rule="absolute",
                      reason=f"no data: {fmt(value)} measured, but no green band or target")
    # Without a yellow band a value short of green is simply red.
    yellow = bands.yellow if bands.yellow is not None else green
    if spec.direction is Direction.LOWER_IS_BETTER:
        # Mirror the scale so one comparison serves both directions.
        status, bound = _grade(-value, -green, -yellow), "up to"
    else:
        status, bound = _grade(value, green, yellow), "from"
    # Red is told against the yellow edge it missed, the rest against green.
    missed_yellow = status is Status.RED and yellow != green
    band, edge = ("yellow", yellow) if missed_yellow else ("green", green)
    reason = f"{STATUS_WORDS[status]}: {fmt(value)}, {band} {bound} {fmt(edge)}"
    return Health(status=status, reason=reason, rule="absolute")


def _by_range(spec: MetricSpec, bands: Bands, value: float) -> Health:
    fmt = _formatter(spec)
    if bands.green_range is None:
        return Health(status=Status.NO_DATA, rule="range",
                      reason=f"no data: {fmt(value)} measured, but no green range")
    green_lo, green_hi = sorted(bands.green_range)
    shown = f"{format_value(green_lo)}–{fmt(green_hi)}"
    if green_lo <= value <= green_hi:
        return Health(status=Status.GREEN, rule="range",
                      reason=f"green: {fmt(value)}, inside {shown}")
    if bands.yellow_range is not None:
        yellow_lo, yellow_hi = sorted(bands.yellow_range)
        if yellow_lo <= value <= yellow_hi:
            return Health(status=Status.YELLOW, rule="range",
                          reason=f"yellow: {fmt(value)}, outside {shown}")
        shown = f"{format_value(yellow_lo)}–{fmt(yellow_hi)}"
    return Health(status=Status.RED, rule="range", reason=f"red: {fmt(value)}, outside {shown}")


def _thresholds(bands: Bands, *, pace: bool) -> tuple[float, float]:
    green = bands.green if bands.green is not None else (PACE_GREEN if pace else SHARE_GREEN)
    yellow = bands.yellow if bands.yellow is not None else (PACE_YELLOW if pace else SHARE_YELLOW)
    return green, yellow


def _grade(score: float, green: float, yellow: float) -> Status:
    # Float noise (0.3 / (1/3) = 0.8999…98) must not drop a value exactly on an edge a band lower.
    if score >= green - _EDGE:
        return Status.GREEN
    return Status.YELLOW if score >= yellow - _EDGE else Status.RED


def _elapsed_share(spec: MetricSpec, at: datetime) -> float | None:
    """How much of the timeframe has passed at `at`, 0 to 1; None without a usable timeframe."""
    if spec.direction is Direction.WITHIN_RANGE or spec.start is None or spec.due is None:
        return None
    if spec.due < spec.start:
        return None
    begin = datetime.combine(spec.start, time(), UTC)
    end = datetime.combine(spec.due, time(), UTC) + timedelta(days=1)
    return min(1.0, max(0.0, (at - begin) / (end - begin)))


def _formatter(spec: MetricSpec) -> Callable[[float], str]:
    return lambda value: format_value(value, spec.unit)


def _day(moment: datetime) -> str:
    day = moment.astimezone(UTC).date()  # timeframes are in UTC, so are the dates we name
    return f"{day.day} {_MONTHS[day.month - 1]}"


def _without_status_word(health: Health) -> str:
    prefix = f"{STATUS_WORDS[health.status]}: "
    return health.reason.removeprefix(prefix)
