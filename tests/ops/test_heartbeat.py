"""A missed heartbeat is noted; missed beats in a row are a warning, and a beat that lands
again starts the count over."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.db import make_engine, make_session_factory
from bot.process.heartbeat import WARN_AFTER_MISSES, Heartbeat
from bot.process.models import ProcessRow
from bot.process.roles import Role
from tests.conftest import sqlite_only


def _failed(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    return [(r.levelno, r.getMessage()) for r in caplog.records
            if "heartbeat_failed" in r.getMessage()]


@sqlite_only
def test_one_missed_beat_is_a_note_and_missed_beats_in_a_row_a_warning(
        session_factory: sessionmaker[Session], tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    started = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    now = [started]
    # Beats only when the test says: its own thread waits an hour between beats.
    heartbeat = Heartbeat(session_factory, Role.ALL, now=lambda: now[0], seconds=3600)
    heartbeat.start()
    try:
        working = heartbeat.session_factory
        # A database that cannot be opened: every beat fails at once, as a real one would.
        gone = make_engine(f"sqlite:///{tmp_path / 'no-such-folder' / 'okr-bot.db'}")
        heartbeat.session_factory = make_session_factory(gone)
        caplog.set_level(logging.INFO, logger="bot.process.heartbeat")

        for _ in range(WARN_AFTER_MISSES + 1):
            heartbeat.try_beat()
        levels = [level for level, _ in _failed(caplog)]
        assert levels == [logging.INFO] + [logging.WARNING] * WARN_AFTER_MISSES
        assert "missed=3" in _failed(caplog)[-1][1]
        assert "OperationalError" in _failed(caplog)[-1][1]

        heartbeat.session_factory = working  # the database answers again: the beat lands
        now[0] = started + timedelta(minutes=1)
        assert _beat_at(working, heartbeat.id) == started  # the missed beats wrote nothing
        heartbeat.try_beat()
        assert heartbeat.missed == 0 and _beat_at(working, heartbeat.id) == now[0]

        caplog.clear()
        heartbeat.session_factory = make_session_factory(gone)
        heartbeat.try_beat()
        assert [level for level, _ in _failed(caplog)] == [logging.INFO]
        gone.dispose()
    finally:
        heartbeat.session_factory = working
        heartbeat.stop()


def _beat_at(session_factory: sessionmaker[Session], process_id: str) -> datetime | None:
    with session_factory() as db_session:
        return db_session.scalar(select(ProcessRow.last_beat_at)
                                 .where(ProcessRow.id == process_id))
