"""What the due-time arithmetic costs the check-in job, which asks it for every person every
minute: `cycle_at` and `next_due` for people spread over many zones, timed, no database.

    python -m bench.schedule [--people 10000]

Prints microseconds per call (median of 5 rounds) for each function.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, available_timezones

from bot.checkins.schedule import Member, cycle_at, next_due, schedule_of
from bot.okrs.plans.plan import CheckinSchedule


def rounds(call, people: list[Member]) -> float:
    times = []
    for _ in range(5):
        start = time.perf_counter()
        for member in people:
            call(member)
        times.append((time.perf_counter() - start) / len(people))
    return statistics.median(times) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    args = parser.parse_args()
    zones = sorted(available_timezones())
    people = [Member(ZoneInfo(zones[i % len(zones)])) for i in range(args.people)]
    schedule = schedule_of(CheckinSchedule(holidays=["2027-03-22"]))
    at = datetime(2027, 3, 15, 13, tzinfo=UTC)
    print(f"{args.people} people in {min(len(zones), args.people)} zones")
    print(f"cycle_at: {rounds(lambda m: cycle_at(m, schedule, at), people):.1f} µs/call")
    print(f"next_due: {rounds(lambda m: next_due(m, schedule, after=at), people):.1f} µs/call")


if __name__ == "__main__":
    main()
