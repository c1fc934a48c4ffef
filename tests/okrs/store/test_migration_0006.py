"""Migration 0006 on a database that already has measurements: they keep their values and
read as in force with no stored decimals; going back removes only the new columns."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, inspect, text

from bot import schema

pytestmark = pytest.mark.empty_database  # they migrate from nothing themselves

INSERTS = [
    "INSERT INTO workspaces (id, slack_team_id, data_version, created_at, updated_at) "
    "VALUES (1, 'T0MIGR', 0, '2026-05-01 00:00:00+00', '2026-05-01 00:00:00+00')",
    "INSERT INTO metrics (id, workspace_id, key, kind, name, unit, direction, owner, position, "
    "created_at, updated_at) VALUES (1, 1, 'nps', 'kpi', 'NPS', 'points', 'higher_is_better', "
    "'U0A', 0, '2026-05-01 00:00:00+00', '2026-05-01 00:00:00+00')",
    "INSERT INTO measurements (id, metric_id, value, measured_at, source, created_at) "
    "VALUES (1, 1, -12.5, '2026-05-02 09:00:00+00', 'slack', '2026-05-02 09:00:00+00')",
]


def columns(engine: Engine, table: str) -> set[str]:
    return {column["name"] for column in inspect(engine).get_columns(table)}


def test_existing_measurements_survive_the_upgrade_and_the_downgrade(database_url: str,
                                                                      engine: Engine) -> None:
    schema.upgrade(database_url, "0005")
    with engine.begin() as connection:
        for statement in INSERTS:
            connection.execute(text(statement))
    schema.upgrade(database_url, "0006")
    with engine.connect() as connection:
        row = connection.execute(text(
            "SELECT value, decimals, undone_at, undone_by FROM measurements")).one()
        value_range = connection.execute(text("SELECT value_range FROM metrics")).scalar()
    assert tuple(row) == (-12.5, None, None, None)
    assert value_range is None  # SQL NULL: the unit's default range, not `[null, null]`
    schema.downgrade(database_url, "0005")
    assert columns(engine, "measurements") >= {"value", "measured_at", "author"}
    assert not columns(engine, "measurements") & {"decimals", "undone_at", "undone_by"}
    assert "value_range" not in columns(engine, "metrics")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT value FROM measurements")).scalar() == -12.5
