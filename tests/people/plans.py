"""A small plan whose people carry time zones and whose team has a check-in schedule."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from bot.okrs.plans.files import parse_plan
from bot.okrs.store.importer import import_plan
from tests.conftest import TEAM_ID

PLAN = f"""
workspace: {TEAM_ID}
people:
  - slack_user_id: U0ANA
    time_zone: Europe/London
  - slack_user_id: U0BEN
    time_zone: Asia/Kolkata
  - slack_user_id: U0GONE
    time_zone: America/Los_Angeles
teams:
  - key: growth
    name: Growth
    members: [U0ANA, U0BEN, U0GONE]
    checkin:
      weekday: tuesday
      time: "10:30"
north_star:
  key: weekly-active-teams
  name: Weekly active teams
goals:
  - key: grow
    name: Grow
    owner: U0ANA
"""


def import_zones_plan(session_factory: sessionmaker[Session]) -> None:
    loaded = parse_plan(PLAN)
    assert loaded.ok, loaded.errors
    with session_factory.begin() as session:
        import_plan(db_session=session, plan=loaded.plan)
