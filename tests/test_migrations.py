"""Migrations run up and down on SQLite and PostgreSQL, and match the models exactly."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from bot import schema
from bot.db import Base
from bot.tables import load_all

pytestmark = pytest.mark.empty_database  # they migrate from nothing themselves

TABLES = {
    "workspaces", "people", "teams", "team_memberships", "slack_event_receipts",
    "north_stars", "goals", "objectives", "metrics", "metric_thresholds", "action_triggers",
    "metric_edges", "counter_metrics", "activities", "activity_objectives", "activity_goals",
    "metric_activities", "metric_objectives", "measurements", "blockers", "confidence_reports",
    "slack_request_receipts", "checkin_question_sets", "checkin_rounds", "checkin_answers",
    "time_off", "outbox_messages", "slack_dm_channels", "outbox_pacing", "metric_changes",
    "metric_alerts", "team_digests", "plan_admins", "audit_events",
    "slack_installations", "slack_oauth_states", "api_tokens", "api_idempotent_requests",
    "processes",
}
# Revision 0017 (roles, the audit log): gone whenever the schema is taken below it.
ROLES = {"plan_admins", "audit_events"}
# Revision 0018 (OAuth installations and states).
INSTALLS = {"slack_installations", "slack_oauth_states"}
# Revision 0020 (the measurements API), above 0018.
API = {"api_tokens", "api_idempotent_requests"}
# Revision 0021 (processes: heartbeats), above 0020.
PROCESSES = {"processes"}
FROM_0017 = ROLES | INSTALLS | API | PROCESSES


def tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_upgrade_creates_every_table_and_downgrade_removes_them(database_url: str,
                                                              engine: Engine) -> None:
    schema.upgrade(database_url)
    assert tables(engine) == TABLES
    assert schema.current_revision(engine) == schema.head_revision()

    schema.downgrade(database_url, "base")
    assert tables(engine) == set()
    assert schema.current_revision(engine) is None

    schema.upgrade(database_url)  # and back up again: the downgrade left nothing behind
    assert tables(engine) == TABLES


def test_migrations_match_the_models(database_url: str, engine: Engine) -> None:
    schema.upgrade(database_url)
    load_all()
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_upgrade_is_idempotent(database_url: str, engine: Engine) -> None:
    schema.upgrade(database_url)
    schema.upgrade(database_url)
    assert schema.current_revision(engine) == schema.head_revision()


def test_downgrading_one_step_removes_only_blockers_and_confidence(database_url: str,
                                                                   engine: Engine) -> None:
    schema.upgrade(database_url)
    schema.downgrade(database_url, "0003")
    assert tables(engine) == TABLES - FROM_0017 - {"blockers", "confidence_reports",
                                       "slack_request_receipts", "checkin_question_sets",
                                       "checkin_rounds", "checkin_answers", "time_off",
                                       "outbox_messages",
                                       "slack_dm_channels", "outbox_pacing", "metric_changes",
                                       "metric_alerts", "team_digests"}
    schema.upgrade(database_url)
    assert tables(engine) == TABLES


def test_downgrading_the_change_log_removes_only_it(database_url: str, engine: Engine) -> None:
    schema.upgrade(database_url)
    schema.downgrade(database_url, "0010")
    assert tables(engine) == TABLES - FROM_0017 - {"metric_changes", "metric_alerts",
                                                          "team_digests"}
    schema.upgrade(database_url)
    assert tables(engine) == TABLES


def test_downgrading_the_alerts_removes_only_them(database_url: str, engine: Engine) -> None:
    schema.upgrade(database_url)
    schema.downgrade(database_url, "0011")
    assert tables(engine) == TABLES - FROM_0017 - {"metric_alerts", "team_digests"}
    schema.upgrade(database_url)
    assert tables(engine) == TABLES


def test_downgrading_the_heartbeats_removes_only_them(database_url: str, engine: Engine) -> None:
    schema.upgrade(database_url)
    schema.downgrade(database_url, "0020")
    assert tables(engine) == TABLES - PROCESSES
    schema.upgrade(database_url)
    assert tables(engine) == TABLES


def test_downgrading_the_api_removes_only_its_tables(database_url: str, engine: Engine) -> None:
    schema.upgrade(database_url)
    schema.downgrade(database_url, "0018")
    assert tables(engine) == TABLES - API - PROCESSES
    schema.upgrade(database_url)
    assert tables(engine) == TABLES


def test_downgrading_the_installations_removes_only_them(database_url: str,
                                                         engine: Engine) -> None:
    schema.upgrade(database_url)
    schema.downgrade(database_url, "0017")
    assert tables(engine) == TABLES - INSTALLS - API - PROCESSES
    schema.upgrade(database_url)
    assert tables(engine) == TABLES


def test_downgrading_org_wide_installs_keeps_the_workspaces_ones(
        database_url: str, engine: Engine) -> None:
    schema.upgrade(database_url)
    at = datetime(2026, 12, 4, tzinfo=UTC)
    row = {"bot_token_encrypted": "ciphertext", "installed_at": at, "created_at": at,
           "updated_at": at}
    with engine.begin() as connection:
        connection.execute(Base.metadata.tables["slack_installations"].insert(), [
            row | {"slack_team_id": "T0ALPHA", "enterprise_id": None,
                   "is_enterprise_install": False},
            row | {"slack_team_id": None, "enterprise_id": "E0ORG",
                   "is_enterprise_install": True}])
        workspaces = Base.metadata.tables["workspaces"]
        connection.execute(workspaces.insert(), [
            {"slack_team_id": "T0GRID1", "enterprise_id": "E0ORG", "created_at": at,
             "updated_at": at}])
    schema.downgrade(database_url, "0021")
    columns = {c["name"] for c in inspect(engine).get_columns("workspaces")}
    assert "enterprise_id" not in columns
    with engine.connect() as connection:
        assert [r[0] for r in connection.exec_driver_sql(
            "SELECT slack_team_id FROM slack_installations")] == ["T0ALPHA"]
    schema.upgrade(database_url)
    assert schema.current_revision(engine) == schema.head_revision()
