"""`okr-bot serve`: migrate, connect to Slack (HTTP or Socket Mode), run the scheduler."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from slack_bolt import App
from slack_bolt.error import BoltError
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.routing import BaseRoute

from bot import clock, schema
from bot.api.routes import api_routes
from bot.config import WHERE_TO_GET, Settings, SettingsError, StartupError
from bot.db import make_engine
from bot.install.oauth import build_flow, install_routes
from bot.okrs.store.cache import ChainCache
from bot.scheduler import JobContext, build_job_context, start_scheduler
from bot.slack.app import create_app
from bot.slack.clients import SlackClients
from bot.slack.listeners.commands import build_router
from bot.slack.router import Router
from bot.slack.server import create_web_app
from bot.slack.socket_mode import OkrSocketModeHandler

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """Everything a running okr-bot holds, so it can be started and stopped as one. Nothing
    in it is shared with another runtime in the same process."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    bolt_app: App
    chains: ChainCache
    router: Router
    jobs: JobContext
    socket_mode: OkrSocketModeHandler | None = None
    scheduler: BackgroundScheduler | None = field(default=None, repr=False)
    # Gives the process back the real time, when this runtime drives the app's clock.
    release_clock: Callable[[], None] | None = field(default=None, repr=False)
    # What this runtime serves over HTTP beside Slack's endpoint and /healthz: each package
    # that serves something (install pages, the API, metrics) appends its routes here.
    routes: list[BaseRoute] = field(default_factory=list, repr=False)

    def web_app(self, *, with_scheduler: bool = True, warm_chains: bool = True) -> Starlette:
        def start() -> None:
            if warm_chains:
                # Read every workspace's chain in the background, so the first commands
                # after a start or a deploy do not wait for it.
                self.chains.warm(self.engine)
            if with_scheduler:
                self.scheduler = start_scheduler(self.jobs)

        return create_web_app(
            engine=self.engine,
            bolt_app=None if self.socket_mode else self.bolt_app,
            mode="socket" if self.socket_mode else "http",
            signing_secret=(self.settings.slack_signing_secret.get_secret_value()
                            if self.settings.slack_signing_secret else None),
            on_startup=start,
            on_shutdown=self.close,
            extra_routes=self.routes,
        )

    def close(self) -> None:
        if self.socket_mode is not None:
            self.socket_mode.close()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        # Let lazy listeners that are still talking to Slack finish before the pool goes.
        self.bolt_app.listener_runner.listener_executor.shutdown(wait=True)
        self.chains.close()
        self.engine.dispose()
        if self.release_clock is not None:
            self.release_clock()

    @property
    def slack(self) -> SlackClients:
        return self.jobs.slack


# Answers that mean the token itself is wrong, as opposed to Slack or a proxy having a bad day.
TOKEN_ERRORS = frozenset({"invalid_auth", "not_authed", "token_revoked", "token_expired",
                          "account_inactive", "not_allowed_token_type"})


def _slack_start_error(error: Exception, settings: Settings) -> Exception:
    """Turn a failed token check or connection into a one-line message for a person."""
    cause = error.__context__ if isinstance(error, BoltError) else error
    if isinstance(cause, SlackApiError):
        response = cause.response
        code = response.get("error") if isinstance(response.data, dict) else None
        if response.status_code == 200 and code in TOKEN_ERRORS:
            token = ("SLACK_APP_TOKEN" if response.api_url.endswith("apps.connections.open")
                     else "SLACK_BOT_TOKEN")
            return SettingsError(f"{token} was rejected by Slack ({code}): {WHERE_TO_GET[token]}")
        return StartupError(f"Slack's Web API at {settings.slack_api_url} answered "
                            f"{response.status_code} ({code or 'not JSON'}) at start-up; "
                            "check SLACK_API_URL, or Slack's status, and try again")
    return StartupError(f"cannot reach Slack's Web API at {settings.slack_api_url} "
                        f"({type(cause).__name__}: {cause}); check the network or SLACK_API_URL")


def build_runtime(settings: Settings, *, slack: SlackClients | None = None,
                  **engine_options: Any) -> Runtime:
    """Migrate, then build the engine, the Bolt app and (with SLACK_APP_TOKEN) Socket Mode,
    with state of their own: the chain cache, the `/okr` router, the Slack clients."""
    settings.require_slack()
    schema.upgrade(settings.database_url)
    engine = make_engine(settings.database_url, **engine_options)
    release_clock = drive_clock(settings)
    jobs = build_job_context(settings, engine, slack=slack)
    router = build_router()
    runtime = None
    try:
        bolt_app = create_app(settings, session_factory=jobs.session_factory,
                              chains=jobs.chains, router=router, slack=jobs.slack)
        runtime = Runtime(settings, engine, jobs.session_factory, bolt_app, jobs.chains,
                          router, jobs, release_clock=release_clock)
        if jobs.slack.installations is not None:  # OAuth mode: the install pages
            runtime.routes.extend(install_routes(build_flow(
                settings, session_factory=jobs.session_factory,
                tokens=jobs.slack.installations)))
        runtime.routes.extend(api_routes(jobs.session_factory, jobs.chains))
        if settings.slack_app_token is not None:
            runtime.socket_mode = OkrSocketModeHandler(
                bolt_app, settings.slack_app_token.get_secret_value())
            runtime.socket_mode.connect()
    except (BoltError, SlackApiError, OSError) as error:
        if runtime is not None:
            runtime.close()  # the Socket Mode client's threads, the listener pool
        else:
            jobs.chains.close()
            if release_clock is not None:
                release_clock()
        engine.dispose()
        raise _slack_start_error(error, settings) from None
    return runtime


def drive_clock(settings: Settings) -> Callable[[], None] | None:
    """Start the app's clock at OKR_BOT_CLOCK_START, OKR_BOT_CLOCK_SPEED times as fast, when
    a test asks (the settings refuse both outside OKR_BOT_ENV=test); what gives it back."""
    if not settings.clock_driven:
        return None
    driver = clock.DrivenClock(settings.okr_bot_clock_start or clock.now(),
                               settings.okr_bot_clock_speed or 1.0)
    log.warning("the app's clock is driven: it starts at %s and runs %g times as fast",
                driver.start.isoformat(), driver.speed)
    return clock.drive(driver)


def listen(settings: Settings) -> socket.socket:
    """Bind HOST:PORT ourselves, so a busy port or a bad address is one clear line."""
    try:
        infos = socket.getaddrinfo(settings.host, settings.port, type=socket.SOCK_STREAM)
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as error:
        raise StartupError(f"cannot listen on {settings.host}:{settings.port} "
                           f"({error.strerror or error}); check HOST and PORT") from None
    return sock


def serve(settings: Settings) -> None:
    import uvicorn

    sock = listen(settings)
    runtime = build_runtime(settings)
    host, port = sock.getsockname()[:2]
    mode = "Socket Mode" if runtime.socket_mode else "HTTP"
    log.info("okr-bot serving Slack over %s; listening on http://%s:%s", mode, host, port)
    if settings.oauth:
        log.info("OAuth mode: workspaces install at /slack/install (docs/install.md)")
    server = uvicorn.Server(uvicorn.Config(
        runtime.web_app(), log_config=None, access_log=False, server_header=False,
        timeout_graceful_shutdown=10))
    server.run(sockets=[sock])
