"""`okr-bot measurements import TEAM_ID FILE.csv` as an operator runs it: all or nothing with
row-numbered errors, once per file, and 10,000 rows in one command, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.audit.models import AuditEvent
from bot.db import make_engine, make_session_factory
from bot.okrs.store.models import Measurement
from tests.conftest import TEAM_ID
from tests.support.cli import okr_bot

KEYS = ("onboarding-tickets", "first-week-activation", "trial-drop-off", "tutorial-completion")


@pytest.fixture
def planned(database_url: str) -> str:
    """The AI example plan imported (tests/support/templates.py), with no bot serving: the CLI
    is all these tests run."""
    return database_url


def _count(database_url: str) -> tuple[int, int]:
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session:
            return (session.scalar(select(func.count()).select_from(Measurement)),
                    session.scalar(select(func.count()).select_from(AuditEvent)
                                   .where(AuditEvent.action == "value recorded")))
    finally:
        engine.dispose()


def _csv(path: Path, rows: int) -> Path:
    start = datetime.now(UTC) - timedelta(days=rows)
    lines = ["metric,value,at,note"]
    lines += [f"{KEYS[i % 4]},{5 + i % 9}{'%' if i % 4 else ''},"
              f"{(start + timedelta(hours=i)).isoformat()},row {i}" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n")
    return path


def _import(database_url: str, tmp_path: Path, file: Path) -> object:
    return okr_bot("measurements", "import", TEAM_ID, str(file), cwd=tmp_path,
                   env={"DATABASE_URL": database_url})


def test_a_file_imported_twice_is_recorded_once(database_url: str, planned: str,
                                                 tmp_path: Path) -> None:
    file = _csv(tmp_path / "weekly.csv", 40)
    measured, audited = _count(database_url)

    first = _import(database_url, tmp_path, file)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("Imported 40 measurements")
    assert "onboarding-tickets: 10 values" in first.stdout
    assert _count(database_url) == (measured + 40, audited + 40)

    again = _import(database_url, tmp_path, file)
    assert again.returncode == 0, again.stderr
    assert "was imported already" in again.stdout and "nothing changed" in again.stdout
    assert _count(database_url) == (measured + 40, audited + 40)


def test_a_wrong_row_is_named_by_its_line_and_nothing_is_imported(
        database_url: str, planned: str, tmp_path: Path) -> None:
    file = tmp_path / "bad.csv"
    file.write_text("metric,value,at,note\n"
                    "onboarding-tickets,6,2026-11-01T09:00:00+00:00,fine\n"
                    "onboarding-tickets,six,2026-11-02T09:00:00+00:00,\n"
                    "first-week-activation,12%,2026-11-02,\n"
                    "\n"
                    "nothing-like-it,4,,\n"
                    "first-week-activation,12%\n")
    before = _count(database_url)

    refused = _import(database_url, tmp_path, file)

    assert refused.returncode == 1
    assert refused.stdout == ""
    lines = refused.stderr.splitlines()
    assert lines[0] == f"okr-bot: {file} has 4 problems; nothing was imported:"
    assert lines[1].startswith("  row 3.value: ") and "six" in lines[1]
    assert lines[2].startswith("  row 4.at: expected an ISO 8601 instant with its offset")
    assert lines[3].startswith("  row 6.metric: ") and "nothing-like-it" in lines[3]
    assert lines[4] == "  row 7: expected 4 columns, found 2"
    assert _count(database_url) == before

    # Fixed, the file imports (it is a new file: its hash is not the refused one's).
    file.write_text("metric,value\nonboarding-tickets,6\n")
    assert _import(database_url, tmp_path, file).returncode == 0
    assert _count(database_url)[0] == before[0] + 1


def test_a_file_without_the_header_or_rows_is_refused(database_url: str, planned: str,
                                                      tmp_path: Path) -> None:
    file = tmp_path / "headless.csv"
    file.write_text("onboarding-tickets,6\n")
    refused = _import(database_url, tmp_path, file)
    assert refused.returncode == 1 and "row 1: expected the header row" in refused.stderr
    file.write_text("metric,value,at,note\n")
    refused = _import(database_url, tmp_path, file)
    assert refused.returncode == 1 and "no measurements below the header row" in refused.stderr
    missing = _import(database_url, tmp_path, tmp_path / "missing.csv")
    assert missing.returncode == 1 and "cannot read" in missing.stderr


def test_10000_rows_in_one_command(database_url: str, planned: str, tmp_path: Path) -> None:
    file = _csv(tmp_path / "history.csv", 10_000)
    measured, audited = _count(database_url)

    imported = _import(database_url, tmp_path, file)

    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.startswith("Imported 10000 measurements")
    assert _count(database_url) == (measured + 10_000, audited + 10_000)
