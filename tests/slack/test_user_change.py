"""user_change over signed HTTP: a known person's zone follows Slack at once; strangers are
not stored."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.people.models import Person
from tests.conftest import TEAM_ID
from tests.fakes.slack_workspace import default_user
from tests.people.plans import import_zones_plan
from tests.slack.conftest import RunningBot


@pytest.fixture
def zoned(bot: RunningBot) -> RunningBot:
    import_zones_plan(bot.session_factory)
    return bot


def people(bot: RunningBot) -> dict[str, str]:
    with bot.session_factory() as session:
        return dict(session.execute(select(Person.slack_user_id, Person.time_zone)).all())


def test_a_known_person_who_changes_zone_is_stored_with_the_new_zone(zoned: RunningBot) -> None:
    user = default_user("U0ANA", TEAM_ID, tz="Asia/Tokyo",
                       real_name="Ana Lima")

    reply = zoned.slack.event({"type": "user_change", "user": user})

    assert reply.status == 200
    assert people(zoned)["U0ANA"] == "Asia/Tokyo"
    with zoned.session_factory() as session:
        ana = session.scalars(select(Person).where(Person.slack_user_id == "U0ANA")).one()
        assert ana.real_name == "Ana Lima"
    assert people(zoned)["U0BEN"] == "Asia/Kolkata"  # nobody else moved
    assert zoned.fake.calls_to("users.info") == []  # the event carried all it needed


def test_a_zone_slack_does_not_give_keeps_the_plans(zoned: RunningBot) -> None:
    user = default_user("U0BEN", TEAM_ID, tz="Asia/Tokyo")
    user["tz"] = "Not/AZone"
    assert zoned.slack.event({"type": "user_change", "user": user}).status == 200
    del user["tz"]
    assert zoned.slack.event({"type": "user_change", "user": user}).status == 200
    assert people(zoned)["U0BEN"] == "Asia/Kolkata"


def test_a_stranger_changing_their_profile_is_not_stored(zoned: RunningBot) -> None:
    user = default_user("U0STRANGER", TEAM_ID, tz="Europe/Paris")
    assert zoned.slack.event({"type": "user_change", "user": user}).status == 200
    assert "U0STRANGER" not in people(zoned)
    assert len(people(zoned)) == 3
