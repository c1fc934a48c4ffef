"""The `okr-bot` command as a person runs it: a real process, real HTTP, the fake Slack. What
stops at its settings, before anything is imported for serving, runs through the same `main()`
in the test process (tests/support/cli.py): a real process costs two seconds of imports each."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect

from bot import __version__, clock, schema
from bot.db import make_engine
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, TEAM_ID
from tests.fakes import FakeSlack, SlackSender
from tests.support.cli import okr_bot
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
    result = okr_bot("serve", cwd=tmp_path)

    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("okr-bot: SLACK_BOT_TOKEN is not set: copy the Bot User OAuth")
    assert "SLACK_SIGNING_SECRET is not set" in lines[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "okr-bot.db").exists(), "nothing is created before settings are good"


def test_serve_reads_dotenv_in_the_working_directory(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=xoxb-from-dotenv\nPORT=not-a-port\n")
    result = okr_bot("serve", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == ("okr-bot: PORT must be a whole number from 0 to 65535 "
                                     "(got 'not-a-port')")


def test_migrate_then_back_to_base(tmp_path: Path) -> None:
    up = okr_bot("migrate", cwd=tmp_path)
    assert up.returncode == 0, up.stderr
    head = schema.head_revision()
    assert up.stdout.strip() == f"database at revision {head} ({head} is head)"
    engine = make_engine(f"sqlite:///{tmp_path / 'okr-bot.db'}")
    try:
        assert "people" in inspect(engine).get_table_names()
        down = okr_bot("migrate", "base", cwd=tmp_path)
        assert down.returncode == 0, down.stderr
        assert down.stdout.strip() == f"database at revision base (empty) ({head} is head)"
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()


def test_migrate_against_an_unreachable_database_says_so(tmp_path: Path) -> None:
    url = f"postgresql://okr:secret-pw@127.0.0.1:{free_port()}/okr"
    result = okr_bot("migrate", cwd=tmp_path, env={"DATABASE_URL": url})
    assert result.returncode == 1
    assert result.stderr.startswith("okr-bot: cannot use the database")
    assert "Traceback" not in result.stderr
    assert "secret-pw" not in result.stderr


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(bot_token=BOT_TOKEN, team_id=TEAM_ID) as fake:
        yield fake


LISTENING = re.compile(r"listening on (http://[\w.:\[\]-]+)")


class Serving:
    """`okr-bot serve` in a real process; its log lines are collected as they come."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.process = subprocess.Popen([str(OKR_BOT), "serve"], cwd=cwd, env=clean_env(env),
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))

    def url(self, timeout: float = 30) -> str:
        """The address it listens on (PORT=0 lets the OS pick), once /healthz answers 200."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [LISTENING.search(line) for line in self.lines]
            url = next((m.group(1) for m in found if m), None)
            try:
                if url and get(f"{url}/healthz", timeout=1).status == 200:
                    return url
            except OSError:
                pass  # logged before uvicorn accepts connections; try again
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        raise AssertionError("okr-bot serve did not become healthy:\n" + self.log)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=30)
        self.reader.join(timeout=5)
        return code

    @property
    def log(self) -> str:
        return "\n".join(self.lines)


def test_serve_end_to_end(tmp_path: Path, fake: FakeSlack) -> None:
    """What `make run` does, with valid-looking tokens and SLACK_API_URL at the fake Slack."""
    env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
           "SLACK_API_URL": fake.base_url, "PORT": "0", "LOG_LEVEL": "DEBUG"}
    serving = Serving(tmp_path, env)
    try:
        url = serving.url()
        health = get(f"{url}/healthz")
        reply = SlackSender(f"{url}/slack/events", SIGNING_SECRET, team_id=TEAM_ID).command("help")
    finally:
        code = serving.stop()
    stderr = serving.log

    # uvicorn shuts down gracefully, then re-raises SIGTERM so the exit status tells the truth.
    assert code in (0, -signal.SIGTERM), stderr
    assert "Application shutdown complete" in stderr
    assert health.json == {"status": "ok", "database": "reachable", "mode": "http",
                           "version": __version__, "now": health.json["now"]}
    assert abs(datetime.fromisoformat(health.json["now"]) - clock.now()) < timedelta(minutes=1)
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


def test_serve_on_a_busy_port_says_so(tmp_path: Path, fake: FakeSlack) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("serve", cwd=tmp_path, env={
            "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": fake.base_url, "PORT": str(port)})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"okr-bot: cannot listen on 127.0.0.1:{port} (Address already in use); "
        "check HOST and PORT")


def test_a_malformed_host_is_a_settings_error(tmp_path: Path) -> None:
    result = okr_bot("serve", cwd=tmp_path, env={"HOST": "no such host"})
    assert result.returncode == 2
    assert result.stderr.startswith("okr-bot: HOST is not an address to listen on "
                                    "(got 'no such host')")


def test_slack_failing_at_start_up_is_not_blamed_on_the_token(tmp_path: Path,
                                                              fake: FakeSlack) -> None:
    fake.fail_next("auth.test", status=500, times=5)
    result = run("serve", cwd=tmp_path, env={
        "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.base_url, "PORT": "0"})
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"okr-bot: Slack's Web API at {fake.base_url} answered 500")
    assert "SLACK_BOT_TOKEN" not in last


def test_serve_with_a_token_slack_rejects_says_which(tmp_path: Path, fake: FakeSlack) -> None:
    env = {"SLACK_BOT_TOKEN": "xoxb-revoked-token", "SLACK_SIGNING_SECRET": SIGNING_SECRET,
           "SLACK_API_URL": fake.base_url, "PORT": "0"}
    result = run("serve", cwd=tmp_path, env=env)

    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "okr-bot: SLACK_BOT_TOKEN was rejected by Slack (invalid_auth): copy the Bot User OAuth "
        "Token (xoxb-…) from your Slack app's OAuth & Permissions page")
    assert "xoxb-revoked-token" not in result.stderr
