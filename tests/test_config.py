"""Settings: read from the environment and .env; a bad one stops okr-bot with one clear line."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

from bot.config import SLACK_API_URL, SettingsError, load_settings
from bot.logs import LogfmtFormatter, configure_logging, structured


def test_defaults() -> None:
    settings = load_settings(env_file=None)
    assert settings.database_url == "sqlite:///okr-bot.db"
    assert settings.slack_api_url == SLACK_API_URL == "https://slack.com/api/"
    assert (settings.host, settings.port, settings.log_level) == ("127.0.0.1", 3000, "INFO")
    assert settings.socket_mode is False


def test_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1-abc")
    monkeypatch.setenv("PORT", "8080")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    settings = load_settings(env_file=None)
    assert settings.slack_bot_token.get_secret_value() == "xoxb-1-abc"
    assert (settings.port, settings.log_level) == (8080, "DEBUG")


def test_reads_a_dotenv_file_and_the_environment_wins(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("SLACK_SIGNING_SECRET=from-file\nPORT=4000\n")
    monkeypatch.setenv("PORT", "5000")
    settings = load_settings(env_file=env_file)
    assert settings.slack_signing_secret.get_secret_value() == "from-file"
    assert settings.port == 5000


@pytest.mark.parametrize(("given", "expected"), [
    ("postgresql://u:p@db:5432/okr", "postgresql+psycopg://u:p@db:5432/okr"),
    ("postgres://u:p@db/okr", "postgresql+psycopg://u:p@db/okr"),
    ("postgresql+psycopg://u@db/okr", "postgresql+psycopg://u@db/okr"),
    ("sqlite:////var/lib/okr-bot/okr.db", "sqlite:////var/lib/okr-bot/okr.db"),
])
def test_database_urls_use_the_shipped_driver(given: str, expected: str) -> None:
    assert load_settings(env_file=None, database_url=given).database_url == expected


def test_slack_api_url_gets_its_trailing_slash() -> None:
    settings = load_settings(env_file=None, slack_api_url="http://127.0.0.1:9/api")
    assert settings.slack_api_url == "http://127.0.0.1:9/api/"


@pytest.mark.parametrize(("variable", "value", "says"), [
    ("SLACK_BOT_TOKEN", "xoxp-user-token-value", "SLACK_BOT_TOKEN must be a bot token starting "
     "with xoxb-: copy the Bot User OAuth Token"),
    ("SLACK_APP_TOKEN", "xoxb-not-an-app-token", "SLACK_APP_TOKEN must be an app-level token"),
    ("PORT", "abc", "PORT must be a whole number from 0 to 65535 (got 'abc')"),
    ("PORT", "70000", "PORT must be a whole number from 0 to 65535"),
    ("DATABASE_URL", "mysql://u:hunter2@db/okr", "DATABASE_URL names an unsupported database"),
    ("DATABASE_URL", "not a url", "DATABASE_URL is not a database URL"),
    ("SLACK_API_URL", "ftp://slack", "SLACK_API_URL must be an http:// or https:// URL"),
    ("LOG_LEVEL", "loud", "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
])
def test_a_malformed_setting_names_the_variable(monkeypatch: pytest.MonkeyPatch, variable: str,
                                                value: str, says: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as raised:
        load_settings(env_file=None)
    message = str(raised.value)
    assert says in message
    assert "\n" not in message
    assert "user-token-value" not in message and "hunter2" not in message, "secrets not echoed"


def test_serving_over_http_needs_the_bot_token_and_the_signing_secret() -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(env_file=None).require_slack()
    assert str(raised.value) == (
        "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-…) from your Slack "
        "app's OAuth & Permissions page; SLACK_SIGNING_SECRET is not set: copy it from your "
        "Slack app's Basic Information page (App Credentials → Signing Secret)")


def test_socket_mode_needs_no_signing_secret() -> None:
    settings = load_settings(env_file=None, slack_bot_token="xoxb-1", slack_app_token="xapp-1")
    settings.require_slack()
    assert settings.socket_mode is True


def test_blank_values_count_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_APP_TOKEN", "  ")
    assert load_settings(env_file=None).socket_mode is False


def test_logs_redact_configured_secrets_and_anything_token_shaped() -> None:
    settings = load_settings(env_file=None, slack_bot_token="xoxb-111-222-abcdef",
                             slack_signing_secret="s3cr3t-signing",
                             database_url="postgresql://okr:pa55word@db/okr")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(LogfmtFormatter(settings.secrets()))
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        logger.info("Authorization: Bearer xoxb-111-222-abcdef secret=s3cr3t-signing")
        logger.info("url postgresql+psycopg://okr:pa55word@db/okr other xapp-1-A0-999-zz")
        structured(logger, logging.INFO, "slack_request", type="command", name="/okr help")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    for secret in ("xoxb-111-222-abcdef", "s3cr3t-signing", "pa55word", "xapp-1-A0-999-zz"):
        assert secret not in text
    assert "Bearer [redacted]" in text  # a known secret
    assert "xapp-[redacted]" in text  # token-shaped, though never configured
    assert 'event=slack_request type=command name="/okr help"' in text
    assert len(text.strip().splitlines()) == 3


def test_configure_logging_replaces_handlers_and_quiets_libraries() -> None:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        configure_logging("INFO")
        assert len(root.handlers) == 1
        assert logging.getLogger("slack_bolt").level == logging.WARNING
        configure_logging("DEBUG")
        assert logging.getLogger("slack_bolt").level == logging.DEBUG
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        for name in ("slack_bolt", "slack_sdk", "apscheduler", "uvicorn.access"):
            logging.getLogger(name).setLevel(logging.NOTSET)
