"""The daily refresh of time zones, through the job context's Slack clients to the fake Slack,
on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot import schema
from bot.config import Settings
from bot.people.models import Person, Workspace
from bot.people.time_zones import refresh_time_zones
from bot.scheduler import JOBS, JobContext, build_job_context, run_job
from tests.conftest import TEAM_ID
from tests.fakes import FakeSlack
from tests.people.plans import import_zones_plan


@pytest.fixture
def jobs(database_url: str, engine: Engine, settings: Settings) -> Iterator[JobContext]:
    schema.upgrade(database_url)
    context = build_job_context(settings, engine)
    import_zones_plan(context.session_factory)
    yield context
    context.chains.close()


def zones(session_factory: sessionmaker[Session]) -> dict[str, str]:
    with session_factory() as session:
        return dict(session.execute(select(Person.slack_user_id, Person.time_zone)).all())


def test_the_job_stores_the_zone_slack_has_and_keeps_people_slack_cannot_find(
        jobs: JobContext, fake_slack: FakeSlack) -> None:
    fake_slack.add_user("U0ANA", tz="America/New_York")  # moved
    fake_slack.add_user("U0BEN", tz="Asia/Kolkata")  # did not

    outcome = run_job("refresh-time-zones", jobs)

    assert zones(jobs.session_factory) == {"U0ANA": "America/New_York", "U0BEN": "Asia/Kolkata",
                                           "U0GONE": "America/Los_Angeles"}
    assert outcome.startswith("asked Slack about 3 people: 1 changed zone, 1 not found")
    asked = sorted(call.params["user"] for call in fake_slack.calls_to("users.info"))
    assert asked == ["U0ANA", "U0BEN", "U0GONE"]


def test_only_workspaces_with_a_plan_are_asked(jobs: JobContext, fake_slack: FakeSlack) -> None:
    with jobs.session_factory.begin() as session:
        other = Workspace(slack_team_id="T0NOPLAN")
        session.add(other)
        session.flush()
        session.add(Person(workspace_id=other.id, slack_user_id="U0STRANGER",
                           time_zone="Europe/Paris"))
    fake_slack.add_user("U0STRANGER", tz="Asia/Tokyo")

    run_job("refresh-time-zones", jobs)

    assert "U0STRANGER" not in {c.params["user"] for c in fake_slack.calls_to("users.info")}
    with jobs.session_factory() as session:
        stranger = session.scalars(select(Person).where(Person.slack_user_id == "U0STRANGER"))
        assert stranger.one().time_zone == "Europe/Paris"


def test_calls_are_paced_and_bounded(jobs: JobContext, fake_slack: FakeSlack) -> None:
    for user in ("U0ANA", "U0BEN", "U0GONE"):
        fake_slack.add_user(user, tz="Pacific/Auckland")
    pauses: list[float] = []

    report = refresh_time_zones(session_factory=jobs.session_factory, slack_team_ids=[TEAM_ID],
                                client=jobs.slack.client, pause=pauses.append, spacing=0.25,
                                limit=2)

    assert (report.asked, report.moved) == (2, 2)
    assert pauses == [0.25]  # between calls, never before the first
    first = [call.params["user"] for call in fake_slack.calls_to("users.info")]
    assert len(first) == 2
    assert sorted(zones(jobs.session_factory).values()).count("Pacific/Auckland") == 2

    # The next run starts with whom the last one did not reach: everyone's turn comes.
    refresh_time_zones(session_factory=jobs.session_factory, slack_team_ids=[TEAM_ID],
                       client=jobs.slack.client, pause=pauses.append, limit=1)
    (second,) = [call.params["user"] for call in fake_slack.calls_to("users.info")][2:]
    assert second not in first
    assert set(zones(jobs.session_factory).values()) == {"Pacific/Auckland"}


def test_the_job_runs_once_a_day() -> None:
    trigger = JOBS["refresh-time-zones"].trigger()
    first = trigger.get_next_fire_time(None, datetime(2027, 3, 14, 12, tzinfo=UTC))
    second = trigger.get_next_fire_time(first, first)
    assert (second - first).days == 1
