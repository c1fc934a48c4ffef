"""What people type never reaches the logs through a failed SQL statement's parameters."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text

from bot.logs import LogfmtFormatter
from tests.slack.conftest import RunningBot
from tests.slack.plans import import_example

TYPED = "mergers-with-initech"  # what a person typed, private to their company


def test_a_failed_statement_logs_no_parameters(bot: RunningBot,
                                               caplog: pytest.LogCaptureFixture) -> None:
    import_example(bot)
    # Force every lookup of a key result to fail with an SQL error, as a broken migration would.
    with bot.session_factory.begin() as session:
        session.execute(text("ALTER TABLE metrics RENAME TO metrics_gone"))
    caplog.set_level(logging.INFO)

    reply = bot.slack.command(f"update {TYPED} 3", user_id="U0SCEO001")

    assert "something went wrong on our side" in reply.json["text"]
    failures = [r for r in caplog.records if r.exc_info]
    assert failures, "premise: the statement failed and was logged with its traceback"
    lines = [LogfmtFormatter().format(r) for r in caplog.records]
    assert any("metrics" in line for line in lines), "premise: the SQL error itself is logged"
    assert not [line for line in lines if TYPED in line]
