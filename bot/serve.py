"""`okr-bot serve`: migrate, connect to Slack (HTTP or Socket Mode), run the scheduler."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from slack_bolt import App
from slack_bolt.error import BoltError
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette

from bot import schema
from bot.config import WHERE_TO_GET, Settings, SettingsError, StartupError
from bot.db import make_engine, make_session_factory
from bot.scheduler import start_scheduler
from bot.slack.app import create_app
from bot.slack.server import create_web_app
from bot.slack.socket_mode import OkrSocketModeHandler

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """Everything a running okr-bot holds, so it can be started and stopped as one."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    bolt_app: App
    socket_mode: OkrSocketModeHandler | None = None
    scheduler: BackgroundScheduler | None = field(default=None, repr=False)

    def web_app(self, *, with_scheduler: bool = True) -> Starlette:
        return create_web_app(
            engine=self.engine,
            bolt_app=None if self.socket_mode else self.bolt_app,
            mode="socket" if self.socket_mode else "http",
            on_startup=self._start_scheduler if with_scheduler else None,
            on_shutdown=self.close,
        )

    def _start_scheduler(self) -> None:
        self.scheduler = start_scheduler(self.session_factory)

    def close(self) -> None:
        if self.socket_mode is not None:
            self.socket_mode.close()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self.engine.dispose()


def _slack_start_error(error: Exception, settings: Settings) -> Exception:
    """Turn a failed token check or connection into a one-line message for a person."""
    cause = error.__context__ if isinstance(error, BoltError) else error
    if isinstance(cause, SlackApiError):
        code = cause.response.get("error", "unknown_error")
        token = "SLACK_APP_TOKEN" if cause.response.api_url.endswith(
            "apps.connections.open") else "SLACK_BOT_TOKEN"
        return SettingsError(f"{token} was rejected by Slack ({code}): {WHERE_TO_GET[token]}")
    return StartupError(f"cannot reach Slack's Web API at {settings.slack_api_url} "
                        f"({type(cause).__name__}: {cause}); check the network or SLACK_API_URL")


def build_runtime(settings: Settings, **engine_options: Any) -> Runtime:
    """Migrate, then build the engine, the Bolt app and (with SLACK_APP_TOKEN) Socket Mode."""
    settings.require_slack()
    schema.upgrade(settings.database_url)
    engine = make_engine(settings.database_url, **engine_options)
    session_factory = make_session_factory(engine)
    try:
        bolt_app = create_app(settings, session_factory=session_factory)
        runtime = Runtime(settings, engine, session_factory, bolt_app)
        if settings.slack_app_token is not None:
            runtime.socket_mode = OkrSocketModeHandler(
                bolt_app, settings.slack_app_token.get_secret_value())
            runtime.socket_mode.connect()
    except (BoltError, SlackApiError, OSError) as error:
        engine.dispose()
        raise _slack_start_error(error, settings) from None
    return runtime


def serve(settings: Settings) -> None:
    import uvicorn

    runtime = build_runtime(settings)
    mode = "Socket Mode" if runtime.socket_mode else f"HTTP at {settings.host}:{settings.port}"
    log.info("okr-bot serving Slack over %s", mode)
    uvicorn.run(
        runtime.web_app(), host=settings.host, port=settings.port,
        log_config=None, access_log=False, server_header=False,
        # Slack's 3 seconds include our shutdown too: do not hang on to slow clients.
        timeout_graceful_shutdown=10,
    )
