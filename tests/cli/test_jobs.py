"""`okr-bot jobs` as a person runs it (by the CLI's own `main()`: tests/support/cli.py): list
with next runs, fire times from an instant, a run as of an instant, and one clear line for
what it cannot do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.db import make_engine, make_session_factory
from bot.slack.models import SlackEventReceipt
from tests.support.cli import okr_bot as run

PRUNE = "prune-event-receipts"
LONDON = ZoneInfo("Europe/London")


def test_jobs_list_shows_each_job_with_its_next_run(tmp_path: Path) -> None:
    listed = run("jobs", "list", "--at", "2026-03-29T00:10:00+00:00", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    name, next_run, trigger, summary = listed.stdout.splitlines()[0].split("\t")
    assert name == PRUNE
    assert next_run == "next 2026-03-29T00:30:00+00:00"  # hourly, at half past
    assert trigger == "interval[1:00:00]"
    assert summary.startswith("Forget Slack event ids")

    now = datetime.now(UTC)
    plain = run("jobs", "list", cwd=tmp_path).stdout.splitlines()[0].split("\t")[1]
    upcoming = datetime.fromisoformat(plain.removeprefix("next "))
    assert now <= upcoming <= now + timedelta(hours=1) and upcoming.minute == 30


def test_jobs_next_across_the_change_to_summer_time(tmp_path: Path) -> None:
    """Europe/London moves from 01:00 GMT to 02:00 BST on 2026-03-29: the hourly job neither
    skips nor repeats a run, whichever offset the instant is written in."""
    utc = run("jobs", "next", PRUNE, "--at", "2026-03-29T00:00:00Z", "--count", "4",
              cwd=tmp_path)
    assert utc.returncode == 0, utc.stderr
    fires = [datetime.fromisoformat(line) for line in utc.stdout.splitlines()]
    assert len(fires) == 4
    assert [later - earlier for earlier, later in pairwise(fires)] == [
        timedelta(hours=1)] * 3
    assert [f.astimezone(LONDON).strftime("%H:%M %Z") for f in fires] == [
        "00:30 GMT", "02:30 BST", "03:30 BST", "04:30 BST"]

    same = run("jobs", "next", PRUNE, "--at", "2026-03-29T01:00:00+01:00", "--count", "4",
               cwd=tmp_path)
    assert same.stdout == utc.stdout


def test_jobs_next_across_the_change_back_to_winter_time(tmp_path: Path) -> None:
    """Back from BST to GMT on 2026-10-25, 01:00 to 02:00 local happens twice: so do the runs
    at 01:30 local, an hour apart."""
    result = run("jobs", "next", PRUNE, "--at", "2026-10-24T23:45:00Z", "--count", "3",
                 cwd=tmp_path)
    local = [datetime.fromisoformat(line).astimezone(LONDON).strftime("%H:%M %Z")
             for line in result.stdout.splitlines()]
    assert local == ["01:30 BST", "01:30 GMT", "02:30 GMT"]


def test_jobs_run_as_of_an_instant(tmp_path: Path) -> None:
    assert run("migrate", cwd=tmp_path).returncode == 0
    engine = make_engine(f"sqlite:///{tmp_path / 'okr-bot.db'}")
    try:
        with make_session_factory(engine).begin() as session:
            session.add_all([
                SlackEventReceipt(event_id="Ev0MONDAY", event_type="app_home_opened",
                                  received_at=datetime(2026, 6, 1, 9, tzinfo=UTC)),
                SlackEventReceipt(event_id="Ev0TUESDAY", event_type="app_home_opened",
                                  received_at=datetime(2026, 6, 2, 9, tzinfo=UTC)),
            ])
        # A day and an hour after Monday's: Monday's is old enough, Tuesday's is not.
        ran = run("jobs", "run", PRUNE, "--at", "2026-06-02T10:00:00+00:00", cwd=tmp_path)
        assert ran.returncode == 0, ran.stderr
        assert ran.stdout.startswith("removed 1 event receipts")
        assert remaining(engine) == ["Ev0TUESDAY"]

        again = run("jobs", "run", PRUNE, "--at", "2026-06-02T10:00:00+00:00", cwd=tmp_path)
        assert again.stdout.startswith("removed 0 event receipts")
        now = run("jobs", "run", PRUNE, cwd=tmp_path)  # the real time: months later
        assert now.stdout.startswith("removed 1 event receipts")
        assert remaining(engine) == []
    finally:
        engine.dispose()


def remaining(engine) -> list[str]:
    with make_session_factory(engine)() as session:
        return list(session.scalars(select(SlackEventReceipt.event_id)))


@pytest.mark.parametrize(("args", "message"), [
    (("run", "no-such-job"), "no job named 'no-such-job'; `okr-bot jobs list` shows them"),
    (("next", "no-such-job"), "no job named 'no-such-job'; `okr-bot jobs list` shows them"),
    (("next",), "`okr-bot jobs next` needs a job's name; `okr-bot jobs list` shows them"),
    (("run", PRUNE, "--at", "yesterday"),
     "--at must be an ISO 8601 instant with its offset, e.g. 2026-03-29T00:30:00+00:00 "
     "(got 'yesterday')"),
    (("next", PRUNE, "--at", "2026-03-29T00:30:00"),
     "--at must be an ISO 8601 instant with its offset, e.g. 2026-03-29T00:30:00+00:00 "
     "(got '2026-03-29T00:30:00')"),
    (("next", PRUNE, "--count", "0"), "--count must be a whole number from 1 to 1000 (got '0')"),
])
def test_what_jobs_cannot_do_is_one_line_and_exit_2(tmp_path: Path, args: tuple[str, ...],
                                                    message: str) -> None:
    result = run("jobs", *args, cwd=tmp_path)
    assert (result.returncode, result.stderr, result.stdout) == (2, f"okr-bot: {message}\n", "")
    assert not (tmp_path / "okr-bot.db").exists(), "nothing ran"
