"""`okr-bot serve` and `okr-bot worker`: check (or migrate) the schema, connect to Slack (HTTP
or Socket Mode) and/or run the scheduler and the outbox sender, stop gracefully on SIGTERM."""

from __future__ import annotations

import logging
import signal
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from types import FrameType
from typing import Any

import uvicorn
from apscheduler.schedulers.background import BackgroundScheduler
from slack_bolt import App
from slack_bolt.error import BoltError
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot import clock, schema
from bot.api.routes import api_routes
from bot.config import WHERE_TO_GET, Settings, SettingsError, StartupError
from bot.db import make_engine
from bot.install.oauth import build_flow, install_routes
from bot.metrics import Metrics
from bot.metrics.collectors import ChainCacheCollector, OutboxCollector
from bot.okrs.store.cache import ChainCache
from bot.process import stopping
from bot.process.heartbeat import Heartbeat
from bot.process.readiness import Readiness, readyz_route
from bot.process.roles import Role
from bot.scheduler import JobContext, build_job_context, start_scheduler
from bot.slack.app import create_app
from bot.slack.clients import SlackClients
from bot.slack.grouped import Grouped
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
    role: Role = Role.ALL
    metrics: Metrics = field(default_factory=Metrics, repr=False)
    heartbeat: Heartbeat | None = field(default=None, repr=False)
    # Set on SIGTERM: /readyz answers 503 and nothing new is taken (bot/process/stopping.py).
    draining: threading.Event = field(default_factory=threading.Event, repr=False)
    # The /okr updates that arrive together, answered in one transaction (bot/slack/grouped.py).
    grouped: Grouped | None = field(default=None, repr=False)

    def web_app(self, *, with_scheduler: bool | None = None,
                warm_chains: bool = True) -> Starlette:
        """The ASGI app; the scheduler runs in it when the role runs jobs (by default), and
        Slack's endpoint is served when the role serves Slack."""
        runs_jobs = self.role.runs_jobs if with_scheduler is None else with_scheduler

        def start() -> None:
            if warm_chains and self.role.serves_slack:
                # Read every workspace's chain in the background, so the first commands
                # after a start or a deploy do not wait for it.
                self.chains.warm(self.engine)
            if runs_jobs:
                self.scheduler = start_scheduler(self.jobs)
                self.metrics.watch_scheduler(self.scheduler)
            beating = Role.WEB if not runs_jobs else self.role
            self.heartbeat = Heartbeat(self.session_factory, beating)
            self.heartbeat.start()

        serves_slack = self.role.serves_slack and self.socket_mode is None
        return create_web_app(
            engine=self.engine,
            bolt_app=self.bolt_app if serves_slack else None,
            mode=("worker" if not self.role.serves_slack
                  else "socket" if self.socket_mode else "http"),
            signing_secret=(self.settings.slack_signing_secret.get_secret_value()
                            if self.settings.slack_signing_secret else None),
            on_startup=start,
            on_shutdown=self.close,
            extra_routes=self.routes,
            observe_request=self.metrics.observe_request,
        )

    def drain(self) -> None:
        """Take no new work: /readyz answers 503, the scheduler fires no more, the sender
        claims no more. What runs goes on; `close` waits for it (within a bound)."""
        if self.draining.is_set():
            return
        self.draining.set()
        self.jobs.stopping.set()
        self.metrics.draining.set(1)
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.pause()
        log.info("stopping: no new work taken; /readyz answers 503")

    def close(self) -> None:
        self.drain()
        if self.socket_mode is not None:
            self.socket_mode.close()
        stopping.finish(scheduler=self.scheduler, session_factory=self.session_factory,
                        now=clock.now, timeout=self.settings.shutdown_timeout_seconds,
                        claimant=self.jobs.claimant)
        if self.heartbeat is not None:
            self.heartbeat.stop()
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


def check_schema(settings: Settings, engine: Engine, *, migrate: bool) -> None:
    """Migrate a schema that is behind when told to; refuse one this code cannot run on."""
    found, at = schema.state(engine)
    if found is schema.SchemaState.BEHIND and migrate:
        schema.upgrade(settings.database_url)  # under PostgreSQL's advisory lock (env.py)
        found, at = schema.state(engine)
    problem = schema.refusal(found, at)
    if problem is not None:
        raise StartupError(problem)


def build_runtime(settings: Settings, *, slack: SlackClients | None = None,
                  role: Role = Role.ALL, migrate: bool = True,
                  **engine_options: Any) -> Runtime:
    """Check (and with `migrate`, bring up) the schema, then build the engine, the Bolt app
    and (with SLACK_APP_TOKEN, for a role serving Slack) Socket Mode, with state of their own:
    the chain cache, the `/okr` router, the Slack clients, the metrics registry."""
    settings.require_slack(serves_requests=role.serves_slack)
    engine = make_engine(settings.database_url, **engine_options)
    try:
        check_schema(settings, engine, migrate=migrate)
    except BaseException:
        engine.dispose()
        raise
    release_clock = drive_clock(settings)
    metrics = Metrics(str(role))
    jobs = replace(build_job_context(settings, engine, slack=slack), metrics=metrics)
    jobs.slack.observe_failures(metrics.observe_slack_failure)
    router = build_router()
    grouped = Grouped(jobs.session_factory)
    runtime = None
    try:
        bolt_app = create_app(settings, session_factory=jobs.session_factory,
                              chains=jobs.chains, router=router, slack=jobs.slack,
                              grouped=grouped, serves_requests=role.serves_slack)
        runtime = Runtime(settings, engine, jobs.session_factory, bolt_app, jobs.chains,
                          router, jobs, release_clock=release_clock, role=role,
                          metrics=metrics, grouped=grouped)
        add_operations_routes(runtime)
        if jobs.slack.installations is not None and role.serves_slack:
            # OAuth mode: the install pages, where Slack's endpoint is.
            runtime.routes.extend(install_routes(build_flow(
                settings, session_factory=jobs.session_factory,
                tokens=jobs.slack.installations)))
        if role.serves_slack:
            runtime.routes.extend(api_routes(jobs.session_factory, jobs.chains))
        if settings.slack_app_token is not None and role.serves_slack:
            runtime.socket_mode = OkrSocketModeHandler(
                bolt_app, settings.slack_app_token.get_secret_value())
            runtime.socket_mode.observe_request = metrics.observe_request
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


def add_operations_routes(runtime: Runtime) -> None:
    """/readyz and /metrics beside /healthz, on every role."""
    runtime.metrics.watch(OutboxCollector(runtime.session_factory))
    runtime.metrics.watch(ChainCacheCollector(runtime.chains))
    runtime.routes.append(readyz_route(Readiness(
        runtime.engine, runtime.session_factory, runtime.draining,
        local_worker=lambda: runtime.scheduler is not None and not runtime.draining.is_set(),
        role=str(runtime.role))))

    async def metrics(_request: Request) -> Response:
        from starlette.concurrency import run_in_threadpool

        body, content_type = await run_in_threadpool(runtime.metrics.exposition)
        return Response(body, media_type=content_type)

    runtime.routes.append(Route("/metrics", metrics, methods=["GET"]))


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


def serve(settings: Settings, *, role: Role = Role.ALL, migrate: bool = True) -> None:
    sock = listen(settings)
    runtime = build_runtime(settings, role=role, migrate=migrate)
    host, port = sock.getsockname()[:2]
    if role.serves_slack:
        mode = "Socket Mode" if runtime.socket_mode else "HTTP"
        log.info("okr-bot serving Slack over %s (role %s); listening on http://%s:%s",
                 mode, role, host, port)
        if settings.oauth:
            log.info("OAuth mode: workspaces install at /slack/install (docs/install.md)")
    else:
        log.info("okr-bot worker running the scheduler and the outbox sender (no Slack "
                 "endpoint); listening on http://%s:%s for health and metrics", host, port)
    config = uvicorn.Config(runtime.web_app(), log_config=None, access_log=False,
                            server_header=False,
                            timeout_graceful_shutdown=settings.shutdown_timeout_seconds)
    DrainingServer(config, runtime, settings.shutdown_drain_seconds).run(sockets=[sock])


class DrainingServer(uvicorn.Server):
    """uvicorn, except that SIGTERM drains first: the runtime takes no
    new work and /readyz answers 503 for `drain_seconds` while requests are still served, so a
    load balancer stops routing here; then uvicorn shuts down as usual (and the runtime's
    close waits for in-flight work and gives back its claims). Ctrl-C, or a second signal,
    skips the drain."""

    def __init__(self, config: uvicorn.Config, runtime: Runtime, drain_seconds: float) -> None:
        super().__init__(config)
        self.runtime, self.drain_seconds = runtime, drain_seconds
        self.timer: threading.Timer | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.timer is not None or self.should_exit or sig != signal.SIGTERM:
            super().handle_exit(sig, frame)
            return
        # Not in the signal handler itself: it may interrupt the main thread holding a lock
        # the drain takes (the scheduler's, a log handler's).
        threading.Thread(target=self.runtime.drain, name="okr-bot-drain", daemon=True).start()
        self.timer = threading.Timer(self.drain_seconds, super().handle_exit, (sig, None))
        self.timer.daemon = True
        self.timer.start()
