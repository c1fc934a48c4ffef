"""The `okr-bot` command as a person runs it: a real process, real HTTP, the fake Slack."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect, select

from bot import __version__, clock
from bot.db import make_engine, make_session_factory
from bot.slack.models import SlackEventReceipt
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, TEAM_ID
from tests.fakes import FakeSlack, SlackSender
from tests.support.postgres import free_port
from tests.support.server import get

OKR_BOT = Path(sys.executable).with_name("okr-bot")


def run(*args: str, cwd: Path, env: dict[str, str] | None = None,
        timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(OKR_BOT), *args], cwd=cwd, env=clean_env(env), text=True,
                          capture_output=True, timeout=timeout, check=False)


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("SLACK_") and k not in ("DATABASE_URL", "PORT", "HOST",
                                                       "LOG_LEVEL")}
    return env | (extra or {})


def test_version(tmp_path: Path) -> None:
    assert run("version", cwd=tmp_path).stdout.strip() == f"okr-bot {__version__}"
    module = subprocess.run([sys.executable, "-m", "bot", "version"], cwd=tmp_path,
                            capture_output=True, text=True, check=True, env=clean_env())
    assert module.stdout.strip() == f"okr-bot {__version__}"


def test_serve_without_tokens_stops_with_one_line_and_exit_2(tmp_path: Path) -> None:
    result = run("serve", cwd=tmp_path)

    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("okr-bot: SLACK_BOT_TOKEN is not set: copy the Bot User OAuth")
    assert "SLACK_SIGNING_SECRET is not set" in lines[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "okr-bot.db").exists(), "nothing is created before settings are good"


def test_serve_reads_dotenv_in_the_working_directory(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=xoxb-from-dotenv\nPORT=not-a-port\n")
    result = run("serve", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == ("okr-bot: PORT must be a whole number from 1 to 65535 "
                                     "(got 'not-a-port')")


def test_migrate_then_back_to_base(tmp_path: Path) -> None:
    up = run("migrate", cwd=tmp_path)
    assert up.returncode == 0, up.stderr
    engine = make_engine(f"sqlite:///{tmp_path / 'okr-bot.db'}")
    try:
        assert "people" in inspect(engine).get_table_names()
        down = run("migrate", "base", cwd=tmp_path)
        assert down.returncode == 0, down.stderr
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()


def test_migrate_against_an_unreachable_database_says_so(tmp_path: Path) -> None:
    url = f"postgresql://okr:secret-pw@127.0.0.1:{free_port()}/okr"
    result = run("migrate", cwd=tmp_path, env={"DATABASE_URL": url})
    assert result.returncode == 1
    assert result.stderr.startswith("okr-bot: cannot use the database")
    assert "Traceback" not in result.stderr
    assert "secret-pw" not in result.stderr


def test_jobs_list_and_run(tmp_path: Path) -> None:
    assert run("migrate", cwd=tmp_path).returncode == 0
    engine = make_engine(f"sqlite:///{tmp_path / 'okr-bot.db'}")
    try:
        with make_session_factory(engine).begin() as session:
            session.add_all([
                SlackEventReceipt(event_id="Ev0OLD", event_type="app_home_opened",
                                  received_at=clock.now() - timedelta(days=2)),
                SlackEventReceipt(event_id="Ev0NEW", event_type="app_home_opened"),
            ])
        listed = run("jobs", "list", cwd=tmp_path)
        assert "prune-event-receipts" in listed.stdout

        ran = run("jobs", "run", "prune-event-receipts", cwd=tmp_path)
        assert ran.returncode == 0, ran.stderr
        assert "removed 1 event receipts" in ran.stdout
        with make_session_factory(engine)() as session:
            assert session.scalars(select(SlackEventReceipt.event_id)).all() == ["Ev0NEW"]
        assert run("jobs", "run", "no-such-job", cwd=tmp_path).returncode == 1
    finally:
        engine.dispose()


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(bot_token=BOT_TOKEN, team_id=TEAM_ID) as fake:
        yield fake


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"okr-bot serve exited with {process.returncode}:\n"
                                 f"{process.stderr.read()}")
        try:
            if get(f"{url}/healthz", timeout=1).status == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("okr-bot serve did not become healthy")


def test_serve_end_to_end(tmp_path: Path, fake: FakeSlack) -> None:
    """What `make run` does, with valid-looking tokens and SLACK_API_URL at the fake Slack."""
    port = free_port()
    env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
           "SLACK_API_URL": fake.base_url, "PORT": str(port), "LOG_LEVEL": "DEBUG"}
    process = subprocess.Popen([str(OKR_BOT), "serve"], cwd=tmp_path, env=clean_env(env),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process)
        health = get(f"{url}/healthz")
        reply = SlackSender(f"{url}/slack/events", SIGNING_SECRET, team_id=TEAM_ID).command("help")
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)

    # uvicorn shuts down gracefully, then re-raises SIGTERM so the exit status tells the truth.
    assert process.returncode in (0, -signal.SIGTERM), stderr
    assert "Application shutdown complete" in stderr
    assert health.json == {"status": "ok", "database": "reachable", "mode": "http",
                           "version": __version__}
    assert reply.status == 200
    assert "okr-bot commands" in reply.body
    assert (tmp_path / "okr-bot.db").exists(), "serve migrated the SQLite default"
    assert fake.calls_to("auth.test"), "the bot token was verified at start"
    request_lines = [line for line in stderr.splitlines() if "event=slack_request" in line]
    assert len(request_lines) == 1, stderr
    for field in ("transport=http", "type=command", 'name="/okr help"', f"team={TEAM_ID}",
                  "status=200", "latency_ms="):
        assert field in request_lines[0]
    # Even at DEBUG, where slack_sdk logs its requests, no secret reaches the log.
    assert BOT_TOKEN not in stderr
    assert SIGNING_SECRET not in stderr


def test_serve_with_a_token_slack_rejects_says_which(tmp_path: Path, fake: FakeSlack) -> None:
    env = {"SLACK_BOT_TOKEN": "xoxb-revoked-token", "SLACK_SIGNING_SECRET": SIGNING_SECRET,
           "SLACK_API_URL": fake.base_url, "PORT": str(free_port())}
    result = run("serve", cwd=tmp_path, env=env)

    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "okr-bot: SLACK_BOT_TOKEN was rejected by Slack (invalid_auth): copy the Bot User OAuth "
        "Token (xoxb-…) from your Slack app's OAuth & Permissions page")
    assert "xoxb-revoked-token" not in result.stderr
