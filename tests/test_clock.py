"""One clock for every "now": driven clocks, triggers that follow them, and no wall clock read
anywhere else in bot/."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger
from freezegun import freeze_time

from bot import clock
from bot.scheduler import JOBS, OnAppClock, fire_times

BOT = Path(__file__).resolve().parents[1] / "bot"
AUCKLAND = ZoneInfo("Pacific/Auckland")

# Calls that read the wall clock. Durations (time.monotonic, time.perf_counter) are fine.
WALL_CLOCK = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"),
              ("date", "today"), ("time", "time"), ("time", "time_ns"), ("time", "localtime"),
              ("time", "gmtime")}
# Where a wall-clock read is not a "now" of the app's, with why.
ALLOWED = {
    # Bolt's Socket Mode send_response subtracts this from its own time.time() to log a duration.
    ("slack/socket_mode.py", "time.time"),
}


def wall_clock_reads(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    imported = {alias.asname or alias.name: f"{node.module}.{alias.name}"
                for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                for alias in node.names}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        function = node.func
        if (isinstance(function, ast.Attribute)
                and isinstance(function.value, ast.Name | ast.Attribute)):
            owner = (function.value.id if isinstance(function.value, ast.Name)
                     else function.value.attr)
            name = f"{imported.get(owner, owner).rsplit('.', 1)[-1]}.{function.attr}"
        elif isinstance(function, ast.Name) and function.id in imported:
            name = ".".join(imported[function.id].rsplit(".", 2)[-2:])  # from time import time
        else:
            continue
        if tuple(name.split(".")) in WALL_CLOCK:
            found.append((name, node.lineno))
    return found


def test_only_the_clock_module_reads_the_wall_clock() -> None:
    offenders = [f"{path.relative_to(BOT)}:{line}: {name}"
                 for path in sorted(BOT.rglob("*.py")) if path.name != "clock.py"
                 or path.parent != BOT
                 for name, line in wall_clock_reads(path)
                 if (str(path.relative_to(BOT)), name) not in ALLOWED]
    assert offenders == [], "read the time from bot.clock.now():\n" + "\n".join(offenders)


def test_the_check_finds_each_way_of_reading_the_wall_clock(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import datetime as dt\nimport time\nfrom time import time as wall\n"
        "from datetime import date, datetime\n"
        "a = datetime.now()\nb = dt.datetime.utcnow()\nc = time.time()\nd = wall()\n"
        "e = date.today()\nf = time.monotonic()\ng = time.perf_counter()\n")
    assert [name for name, _ in wall_clock_reads(sample)] == [
        "datetime.now", "datetime.utcnow", "time.time", "time.time", "date.today"]


def test_a_driven_clock_starts_where_told_and_runs_at_its_speed() -> None:
    start = datetime(2027, 4, 4, 1, 30, tzinfo=AUCKLAND)
    with freeze_time("2026-12-03T10:00:00Z") as frozen:
        driver = clock.DrivenClock(start, speed=60)
        assert driver.now() == start
        frozen.tick(timedelta(seconds=90))
        # 90 minutes of elapsed time, across the end of daylight time (wall-clock arithmetic in
        # the zone would say 03:00, an hour too late).
        assert driver.now() == datetime(2027, 4, 3, 14, 0, tzinfo=UTC)
        assert driver.now().astimezone(AUCKLAND).isoformat() == "2027-04-04T02:00:00+12:00"


def test_driving_the_clock_moves_every_now_until_released() -> None:
    start = datetime(2027, 3, 26, 8, 55, tzinfo=AUCKLAND)
    with freeze_time("2026-12-03T10:00:00Z"):
        with clock.driven_by(clock.DrivenClock(start)) as driver:
            assert clock.now() == start
            assert clock.driven() is driver
            with pytest.raises(RuntimeError, match="already driven"):
                clock.drive(clock.DrivenClock(start))
        assert clock.driven() is None
        assert clock.now() == datetime(2026, 12, 3, 10, tzinfo=UTC)


@pytest.mark.parametrize(("bad", "reason"), [
    ({"start": datetime(2027, 1, 1)}, "naive start"),
    ({"start": datetime(2027, 1, 1, tzinfo=UTC), "speed": 0}, "speed must be above 0")])
def test_a_driven_clock_refuses_a_naive_start_or_a_speed_not_above_zero(bad: dict,
                                                                         reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        clock.DrivenClock(**bad)


def test_a_zoned_trigger_on_a_driven_clock_fires_when_that_clock_shows_its_times() -> None:
    """09:00 in Auckland, daily, across the April 2027 end of daylight time, on a clock running
    3600 times as fast: APScheduler is told the real instants, and at each of them the app's
    clock reads the fire time; following the chain as APScheduler does never repeats one."""
    daily = CronTrigger(hour=9, minute=0, timezone=AUCKLAND)
    with freeze_time("2026-12-03T10:00:00Z") as frozen:
        driver = clock.DrivenClock(datetime(2027, 4, 2, 12, tzinfo=AUCKLAND), speed=3600)
        following = OnAppClock(daily, driver)
        real_now = datetime.now(UTC)
        fired = following.get_next_fire_time(None, real_now)
        shown = []
        for _ in range(4):
            frozen.move_to(fired)
            shown.append(driver.now().astimezone(AUCKLAND))
            fired = following.get_next_fire_time(fired, datetime.now(UTC))
    assert [t.isoformat() for t in shown] == [
        "2027-04-03T09:00:00+13:00", "2027-04-04T09:00:00+12:00",
        "2027-04-05T09:00:00+12:00", "2027-04-06T09:00:00+12:00"]


def test_fire_times_and_jobs_do_not_depend_on_when_the_trigger_is_built() -> None:
    at = datetime(2026, 10, 25, 0, 0, tzinfo=UTC)
    for job in JOBS.values():
        with freeze_time("2026-01-05T07:13:00Z"):
            early = list(zip(range(3), fire_times(job.trigger(), at), strict=False))
        with freeze_time("2026-12-03T10:41:00Z"):
            late = list(zip(range(3), fire_times(job.trigger(), at), strict=False))
        assert early == late, job.name
        assert all(t >= at for _, t in early), job.name
