"""Settings: the one place that reads the environment (and `.env`)."""

from __future__ import annotations

import logging
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

SLACK_API_URL = "https://slack.com/api/"

# What to tell a person about each variable when it is missing or malformed: where to get it.
WHERE_TO_GET = {
    "SLACK_BOT_TOKEN": "copy the Bot User OAuth Token (xoxb-…) from your Slack app's "
    "OAuth & Permissions page",
    "SLACK_SIGNING_SECRET": "copy it from your Slack app's Basic Information page "
    "(App Credentials → Signing Secret)",
    "SLACK_APP_TOKEN": "create an app-level token with the connections:write scope on your "
    "Slack app's Basic Information page (App-Level Tokens), or unset it to serve over HTTP",
    "DATABASE_URL": "use e.g. sqlite:///okr-bot.db or postgresql://user:password@host:5432/okr_bot",
    "SLACK_CLIENT_ID": "copy the Client ID from your Slack app's Basic Information page "
    "(App Credentials), or unset both SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for one bot token",
    "SLACK_CLIENT_SECRET": "copy the Client Secret from your Slack app's Basic Information page "
    "(App Credentials), or unset both SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for one bot token",
    "OKR_BOT_ENCRYPTION_KEY": "make one with `okr-bot keys new` (a Fernet key); to rotate, put "
    "the new key first and keep the old ones after it, comma-separated (docs/install.md)",
    "SLACK_API_URL": "leave it unset for Slack's own https://slack.com/api/",
    "HOST": "use an address to listen on, e.g. 127.0.0.1 or 0.0.0.0",
    "OKR_BOT_CLOCK_START": "use an ISO 8601 instant with its offset, e.g. "
    "2027-03-26T08:55:00+13:00, or unset it for the real time",
    "OKR_BOT_CLOCK_SPEED": "use a factor above 0, e.g. 60 for an hour a minute, or unset it "
    "for 1",
}

# A hostname, an IPv4 address or an IPv6 address; whether it can be bound is checked at start.
HOST_PATTERN = re.compile(r"^([A-Za-z0-9.-]+|\[?[0-9A-Fa-f:.]+\]?)$")
ECHOED = {"HOST", "PORT", "LOG_LEVEL", "LOG_FORMAT", "SLACK_API_URL", "OKR_BOT_ENV",
          "OKR_BOT_CLOCK_START", "OKR_BOT_CLOCK_SPEED", "SLACK_REDIRECT_URI"}
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
ENVIRONMENTS = ("production", "development", "test")
TESTS_ONLY = "is for tests only: it moves the app's clock, so it is refused unless OKR_BOT_ENV=test"


class SettingsError(Exception):
    """A setting is missing or malformed; the message is one line meant for a person."""


class StartupError(Exception):
    """okr-bot cannot start for a reason outside its settings (the network, the database)."""


class Settings(BaseSettings):
    """okr-bot's configuration, from the environment and an optional `.env` file."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    # OAuth mode (docs/install.md): installed into many workspaces, tokens in the database.
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    slack_redirect_uri: str | None = None
    # Fernet keys, comma-separated: the first encrypts, every one decrypts (bot/install/keys.py).
    okr_bot_encryption_key: SecretStr | None = None
    database_url: str = "sqlite:///okr-bot.db"
    slack_api_url: str = SLACK_API_URL
    host: str = "127.0.0.1"
    port: int = Field(default=3000, ge=0, le=65535)  # 0: any free port (the log says which)
    log_level: str = "INFO"
    log_format: str = "logfmt"  # or json: one JSON object a line
    # Declared before the clock settings, whose validators read it.
    okr_bot_env: str = "production"
    # Only with OKR_BOT_ENV=test: the served app's clock starts there and runs this much faster.
    okr_bot_clock_start: datetime | None = None
    okr_bot_clock_speed: float | None = None
    # The outbox's pacing (docs/outbox.md): chat.postMessage across the workspace, Tier 3's
    # conversations.open, and the attempts before a message is kept as failed.
    outbox_messages_per_minute: int = Field(default=300, ge=1, le=6000)
    outbox_opens_per_minute: int = Field(default=50, ge=1, le=1000)
    outbox_max_attempts: int = Field(default=8, ge=1, le=100)
    # People whose check-in falls due within this many days get their DM channel opened
    # ahead (the `open-dm-channels` job), so a first week needs no opens in its due minute.
    outbox_open_ahead_days: int = Field(default=7, ge=0, le=28)
    # An uninstalled workspace's data is deleted this many days after the uninstall
    # (`okr-bot workspace purge` deletes it at once).
    okr_bot_retention_days: int = Field(default=30, ge=1, le=3650)
    # Graceful shutdown (docs/deploy.md): after SIGTERM /readyz answers 503 for this long while
    # requests are still served, so a load balancer stops sending (the Dockerfile sets 5; a
    # laptop stops at once); then in-flight work gets at most SHUTDOWN_TIMEOUT_SECONDS before
    # the claims still held go back to the queue.
    shutdown_drain_seconds: float = Field(default=0.0, ge=0, le=300)
    shutdown_timeout_seconds: float = Field(default=20.0, ge=1, le=600)

    @field_validator("slack_bot_token", "slack_signing_secret", "slack_app_token", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value.strip() if isinstance(value, str) else value

    @field_validator("slack_client_id", "slack_client_secret", "slack_redirect_uri",
                     "okr_bot_encryption_key", mode="before")
    @classmethod
    def _blank_oauth_is_unset(cls, value: Any) -> Any:
        if isinstance(value, str):
            return value.strip() or None
        return value

    @field_validator("slack_redirect_uri")
    @classmethod
    def _redirect_uri(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("must be the https:// URL of /slack/oauth_redirect on your host")
        return value

    @field_validator("okr_bot_encryption_key")
    @classmethod
    def _encryption_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            from bot.install.keys import check_keys

            check_keys(value.get_secret_value())  # ValueError names which one, never its value
        return value

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xoxb-"):
            raise ValueError("must be a bot token starting with xoxb-")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("must be an app-level token starting with xapp-")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        try:
            url = make_url(value.strip())
        except ArgumentError:
            raise ValueError("is not a database URL") from None
        backend = url.get_backend_name()
        if backend in ("postgres", "postgresql"):
            # psycopg 3 is the driver we ship; plain postgresql:// would ask for psycopg2.
            url = url.set(drivername="postgresql+psycopg")
        elif backend != "sqlite":
            raise ValueError(f"names an unsupported database ({backend}); okr-bot runs on "
                             "SQLite and PostgreSQL")
        return url.render_as_string(hide_password=False)

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        value = value.strip()
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value if value.endswith("/") else value + "/"

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        value = value.strip()
        if not HOST_PATTERN.match(value):
            raise ValueError("is not an address to listen on")
        return value

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, value: str) -> str:
        if value.strip().lower() not in ("logfmt", "json"):
            raise ValueError("must be logfmt or json")
        return value.strip().lower()

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return level

    @field_validator("okr_bot_env", mode="before")
    @classmethod
    def _environment(cls, value: Any) -> Any:
        name = value.strip().lower() if isinstance(value, str) else value
        if name not in ENVIRONMENTS:
            raise ValueError(f"must be one of {', '.join(ENVIRONMENTS)}")
        return name

    @field_validator("okr_bot_clock_start", "okr_bot_clock_speed", mode="before")
    @classmethod
    def _blank_clock_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("okr_bot_clock_start", mode="before")
    @classmethod
    def _clock_start(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None:
            return None
        _only_in_tests(info)
        try:
            start = (value if isinstance(value, datetime)
                     else datetime.fromisoformat(str(value).strip()))
        except ValueError:
            raise ValueError("is not an ISO 8601 instant") from None
        if start.tzinfo is None or start.utcoffset() is None:
            raise ValueError("has no offset, so names no single instant")
        return start

    @field_validator("okr_bot_clock_speed", mode="before")
    @classmethod
    def _clock_speed(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None:
            return None
        _only_in_tests(info)
        try:
            speed = float(str(value).strip())
        except ValueError:
            raise ValueError("is not a number") from None
        if not 0 < speed < float("inf"):
            raise ValueError("must be a number above 0")
        return speed

    @property
    def clock_driven(self) -> bool:
        return self.okr_bot_clock_start is not None or self.okr_bot_clock_speed is not None

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None

    @property
    def oauth(self) -> bool:
        """Installed through OAuth into many workspaces (SLACK_CLIENT_ID and _SECRET set)."""
        return self.slack_client_id is not None or self.slack_client_secret is not None

    @property
    def log_level_number(self) -> int:
        return logging.getLevelNamesMapping()[self.log_level]

    def secrets(self) -> list[str]:
        """Every secret value, so logging can redact them wherever they turn up."""
        fields = (self.slack_bot_token, self.slack_signing_secret, self.slack_app_token,
                  self.slack_client_secret)
        found = [field.get_secret_value() for field in fields if field is not None]
        if self.okr_bot_encryption_key is not None:
            found += [key.strip() for key in
                      self.okr_bot_encryption_key.get_secret_value().split(",") if key.strip()]
        password = make_url(self.database_url).password
        if password:
            found.append(password)
        return found

    def require_slack(self, *, serves_requests: bool = True) -> None:
        """Raise SettingsError unless the Slack credentials `serve` needs are all set. A
        worker (`serves_requests=False`) takes no request from Slack, so needs no signing
        secret: only what sends (the bot token, or OAuth's installations and their key)."""
        if self.oauth:
            missing = [name for name, value in (
                ("SLACK_CLIENT_ID", self.slack_client_id),
                ("SLACK_CLIENT_SECRET", self.slack_client_secret),
                ("OKR_BOT_ENCRYPTION_KEY", self.okr_bot_encryption_key)) if value is None]
            if self.slack_signing_secret is None and serves_requests:
                missing.append("SLACK_SIGNING_SECRET")  # the install pages are served over HTTP
        else:
            missing = ["SLACK_BOT_TOKEN"] if self.slack_bot_token is None else []
        if (self.slack_signing_secret is None and not self.socket_mode and not self.oauth
                and serves_requests):
            missing.append("SLACK_SIGNING_SECRET")
        if missing:
            raise SettingsError("; ".join(f"{name} is not set: {WHERE_TO_GET[name]}"
                                          for name in missing))


def _only_in_tests(info: ValidationInfo) -> None:
    # A production bot on a moved clock would send real people check-ins at the wrong time.
    if info.data.get("okr_bot_env") != "test":
        raise ValueError(TESTS_ONLY)


def load_settings(env_file: str | Path | None = ".env", **overrides: Any) -> Settings:
    """Read settings, turning pydantic's errors into one line that names each variable."""
    try:
        return Settings(_env_file=env_file, **overrides)
    except ValidationError as error:
        raise SettingsError(describe_errors(error)) from None


def describe_errors(error: ValidationError) -> str:
    problems = []
    for detail in error.errors():
        name = str(detail["loc"][0]).upper() if detail["loc"] else "settings"
        if detail["type"].startswith("value_error"):
            reason = detail["msg"].removeprefix("Value error, ")
        elif name == "PORT":
            reason = "must be a whole number from 0 to 65535"
        else:
            reason = "is malformed: " + detail["msg"].lower()
        given = detail.get("input")
        # Echo back only harmless values: tokens are secrets and URLs may carry a password.
        shown = f" (got {given!r})" if name in ECHOED and isinstance(given, str | int) else ""
        hint = None if reason == TESTS_ONLY else WHERE_TO_GET.get(name)
        problems.append(f"{name} {reason}{shown}" + (f": {hint}" if hint else ""))
    return "; ".join(problems)
