"""A team's `checkin:` key: validated with messages that say what was expected, stored on the
team and exported back unchanged, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date

import jsonschema
import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import schema
from bot.checkins.schedule import schedule_of
from bot.okrs.plans.files import dump_plan, json_schema, parse_plan
from bot.okrs.plans.plan import CheckinSchedule, Plan
from bot.okrs.store.exporter import export_plan
from bot.okrs.store.importer import import_plan
from bot.people.models import Team
from tests.people.plans import PLAN

CHECKIN = {"weekday": "friday", "time": "10:30", "every_weeks": 2, "starting": "2027-01-06",
           "window_hours": 72, "work_days": ["sunday", "monday", "tuesday", "wednesday",
                                             "thursday"],
           "holidays": ["2027-04-22"], "reminder_after_hours": 0, "paused": True}


def plan_with(checkin: object) -> str:
    data = yaml.safe_load(PLAN)
    data["teams"][0]["checkin"] = checkin
    if checkin is None:
        del data["teams"][0]["checkin"]
    return yaml.safe_dump(data, sort_keys=False)


def errors(checkin: object) -> list[str]:
    return [str(e) for e in parse_plan(plan_with(checkin)).errors]


@pytest.mark.parametrize(("checkin", "expected"), [
    ({"time": "9:00"}, 'teams[0].checkin.time: expected a wall-clock time as HH:MM, 24-hour, '
                       'such as "09:00" or "17:30", not \'9:00\''),
    ({"time": 630}, 'teams[0].checkin.time: expected a quoted wall-clock time such as "10:30"; '
                    "unquoted, YAML reads it as the number 630"),
    ({"every_weeks": 3}, "teams[0].checkin.every_weeks: input should be 1 or 2"),
    ({"weekday": "Mon"}, "teams[0].checkin.weekday: input should be 'monday', 'tuesday', "
                         "'wednesday', 'thursday', 'friday', 'saturday' or 'sunday'"),
    ({"work_days": ["monday", "monday"]},
     "teams[0].checkin.work_days: lists monday more than once; name each work day once"),
    ({"work_days": []}, "teams[0].checkin.work_days: list should have at least 1 item after "
                        "validation, not 0"),
    ({"reminder_after_hours": 48},
     "teams[0].checkin: reminder_after_hours (48) must be below window_hours (48): a reminder "
     "after the window closes asks for an answer no longer taken; use 0 for no reminder"),
    ({"holidays": ["next friday"]}, "teams[0].checkin.holidays[0]: input should be a valid "
                                    "date or datetime, invalid character in year"),
    ({"window": 48}, "teams[0].checkin.window: unknown field (check its spelling and level)"),
])
def test_a_bad_schedule_is_refused_saying_what_was_expected(checkin: dict,
                                                            expected: str) -> None:
    assert errors(checkin) == [expected]


def test_unquoted_time_in_yaml_is_caught() -> None:
    text = plan_with({"weekday": "monday"}).replace("weekday: monday", "time: 10:30")
    assert [str(e) for e in parse_plan(text).errors] == [
        'teams[0].checkin.time: expected a quoted wall-clock time such as "10:30"; unquoted, '
        "YAML reads it as the number 630"]


def test_defaults_are_the_documented_ones() -> None:
    checkin = CheckinSchedule()
    assert (checkin.weekday, checkin.time, checkin.every_weeks, checkin.window_hours,
            checkin.reminder_after_hours, checkin.paused) == ("monday", "09:00", 1, 48, 24,
                                                              False)
    assert checkin.work_days == ["monday", "tuesday", "wednesday", "thursday", "friday"]


def test_the_schedule_is_in_the_json_schema() -> None:
    validator = jsonschema.Draft202012Validator(json.loads(json_schema()))
    good = yaml.safe_load(plan_with(CHECKIN))
    assert list(validator.iter_errors(good)) == []
    bad = yaml.safe_load(plan_with(CHECKIN | {"time": "25:00"}))
    (error,) = validator.iter_errors(bad)  # `checkin` is a schedule or null: anyOf
    assert [e.message for e in error.context if e.validator == "pattern"] == [
        "'25:00' does not match '^([01][0-9]|2[0-3]):[0-5][0-9]$'"]


def test_the_file_yaml_round_trip_keeps_the_time_a_string() -> None:
    plan = parse_plan(plan_with(CHECKIN)).plan
    dumped = dump_plan(plan)
    assert "time: '10:30'" in dumped
    again = parse_plan(dumped)
    assert again.errors == []
    assert again.plan == plan


@pytest.fixture
def db(database_url: str, session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    schema.upgrade(database_url)
    return session_factory


def imported(db: sessionmaker[Session], text: str):
    plan = parse_plan(text).plan
    with db.begin() as session:
        return plan, import_plan(db_session=session, plan=plan)


def exported(db: sessionmaker[Session]) -> Plan:
    with db() as session:
        return export_plan(db_session=session)


@pytest.mark.parametrize("checkin", [None, {}, {"weekday": "wednesday"}, CHECKIN])
def test_import_then_export_gives_back_the_schedule(db: sessionmaker[Session],
                                                    checkin: dict | None) -> None:
    plan, _ = imported(db, plan_with(checkin))
    assert exported(db) == plan
    assert exported(db).teams[0].checkin == plan.teams[0].checkin
    _, again = imported(db, plan_with(checkin))
    assert not again.changed


def test_what_is_stored_is_what_the_plan_wrote(db: sessionmaker[Session]) -> None:
    imported(db, plan_with(CHECKIN))
    with db() as session:
        stored = session.scalars(select(Team.checkin)).one()
    assert stored == CHECKIN
    schedule = schedule_of(CheckinSchedule.model_validate(stored))
    assert (schedule.every_weeks, schedule.paused, schedule.reminder_after) == (2, True, None)
    assert schedule.holidays == frozenset({date(2027, 4, 22)})


def test_a_changed_schedule_is_an_update_that_says_so(db: sessionmaker[Session]) -> None:
    imported(db, plan_with({"weekday": "monday"}))
    plan, report = imported(db, plan_with({"weekday": "tuesday", "paused": True}))
    assert [line for line in report.updated if line.startswith("team growth")] == [
        "team growth (checkin: {'weekday': 'monday'} → {'weekday': 'tuesday', 'paused': True})"]
    assert exported(db).teams[0].checkin == plan.teams[0].checkin
    _, removed = imported(db, plan_with(None))
    assert exported(db).teams[0].checkin is None
    assert removed.changed
