"""LOG_FORMAT=json: one JSON object a line with the same fields logfmt carries, secrets and
anything shaped like a token redacted; logfmt stays the default; a bad value is named."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import SettingsError, load_settings
from bot.logs import configure_logging, structured
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, TEAM_ID
from tests.fakes import FakeSlack, SlackSender
from tests.ops.processes import Process
from tests.support.cli import okr_bot

SECRET = "s3cr3t-password-value"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    # configure_logging quietens third-party loggers too: put every level back, or a later
    # test that reads slack_sdk's debug lines finds none.
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logger.level for name, logger in logging.root.manager.loggerDict.items()
              if isinstance(logger, logging.Logger)}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, logger in logging.root.manager.loggerDict.items():
        if isinstance(logger, logging.Logger):
            logger.setLevel(levels.get(name, logging.NOTSET))


def lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.strip().splitlines()]


def test_json_lines_carry_the_structured_fields_redacted(
        capsys: pytest.CaptureFixture[str], restore_logging: None) -> None:
    configure_logging("INFO", [SECRET], "json")
    log = logging.getLogger("okr.test")
    structured(log, logging.INFO, "slack_request", type="command", name='/okr "update"',
               status=200, latency_ms="3.1", retry=None)
    log.warning("connecting with %s and xoxb-123-abc", SECRET)
    try:
        raise ValueError(f"bad {SECRET}\nsecond line")
    except ValueError as error:
        structured(log, logging.ERROR, "failed", exc_info=error, team="T1")
    first, second, third = lines(capsys.readouterr().err)
    assert first.pop("ts").endswith("Z")
    assert first == {"level": "info", "logger": "okr.test", "event": "slack_request",
                     "type": "command", "name": '/okr "update"', "status": "200",
                     "latency_ms": "3.1"}
    assert second["msg"] == "connecting with [redacted] and xoxb-[redacted]"
    assert (third["event"], third["team"], third["level"]) == ("failed", "T1", "error")
    assert "ValueError: bad [redacted]\nsecond line" in third["exc"]


def test_logfmt_stays_the_default(capsys: pytest.CaptureFixture[str],
                                  restore_logging: None) -> None:
    configure_logging("INFO", [SECRET])
    structured(logging.getLogger("okr.test"), logging.INFO, "hello", who=SECRET)
    line = capsys.readouterr().err.strip()
    assert " level=info logger=okr.test event=hello who=[redacted]" in line


def test_log_format_is_checked() -> None:
    assert load_settings(env_file=None, log_format="JSON").log_format == "json"
    with pytest.raises(SettingsError) as refused:
        load_settings(env_file=None, log_format="xml")
    assert str(refused.value) == "LOG_FORMAT must be logfmt or json (got 'xml')"


def test_a_command_logs_json_when_asked(tmp_path: Path) -> None:
    done = okr_bot("migrate", cwd=tmp_path, env={
        "LOG_FORMAT": "json", "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'okr-bot.db'}"})
    assert done.returncode == 0, done.stderr
    logged = lines(done.stderr)
    assert logged, "alembic logs each migration it runs"
    assert all(entry["logger"].startswith("alembic") for entry in logged)
    assert any("0021" in entry["msg"] for entry in logged)


def test_serve_logs_every_line_as_json_with_no_secret(tmp_path: Path,
                                                      fake_slack: FakeSlack) -> None:
    serving = Process(tmp_path, {
        "LOG_FORMAT": "json", "LOG_LEVEL": "DEBUG", "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": fake_slack.base_url,
        "PORT": "0"}, "serve")
    try:
        url = serving.url()
        reply = SlackSender(f"{url}/slack/events", SIGNING_SECRET,
                            team_id=TEAM_ID).command("help")
    finally:
        serving.stop()
    assert reply.status == 200
    logged = [json.loads(line) for line in serving.lines]  # every line is one JSON object
    requests = [entry for entry in logged if entry.get("event") == "slack_request"]
    assert len(requests) == 1
    assert {key: requests[0][key] for key in ("transport", "type", "name", "team", "status")} \
        == {"transport": "http", "type": "command", "name": "/okr help", "team": TEAM_ID,
            "status": "200"}
    assert any(entry.get("event") == "stopped" for entry in logged)
    # Even at DEBUG, where slack_sdk logs its requests, no secret reaches the log.
    assert BOT_TOKEN not in serving.log and SIGNING_SECRET not in serving.log
