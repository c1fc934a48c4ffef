"""The app factory: a Bolt App wired to our settings, database and listeners."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.db import transaction
from bot.lifecycle import flows as lifecycle
from bot.okrs.store.cache import ChainCache
from bot.slack.clients import SlackClients
from bot.slack.errors import handle_error
from bot.slack.grouped import Grouped
from bot.slack.listeners import register_listeners
from bot.slack.middleware import (
    CommitUnitOfWork,
    answer_replays,
    attach_unit_of_work,
    refuse_control_characters,
    skip_duplicate_events,
)
from bot.slack.router import Router

# Lazy listeners share this pool; Bolt's default of 5 is small for a team's Monday morning.
LISTENER_WORKERS = 16


class _DropClientTokenWarning(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN from the environment on its own, then warns that the client
    we pass wins over it. That is exactly what we want, so the warning is noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("As you gave `client` as well")


def create_app(settings: Settings, *, session_factory: sessionmaker[Session],
               chains: ChainCache, router: Router, slack: SlackClients, grouped: Grouped,
               serves_requests: bool = True) -> App:
    """Build the Bolt App around the runtime's state. With one bot token, verifies it with
    auth.test first (SlackApiError, OSError), as Bolt does when it is given the token itself;
    in OAuth mode each workspace's installation says who the bot is there."""
    settings.require_slack(serves_requests=serves_requests)
    if not settings.oauth:
        identity = slack.verify()
        # The token works, so the app is installed there: a workspace marked uninstalled (or
        # its token revoked) before the token was replaced gets its jobs back and no purge.
        with transaction(session_factory) as session:
            lifecycle.reinstalled(session, identity.get("team_id") or "")
    signing_secret = settings.slack_signing_secret
    bolt_logger = logging.getLogger("bot.slack.bolt")
    if not any(isinstance(f, _DropClientTokenWarning) for f in bolt_logger.filters):
        bolt_logger.addFilter(_DropClientTokenWarning())
    app = App(
        name="okr-bot",
        # Each request is authorized, and its client made, by the runtime's resolver; Bolt
        # only copies the address, timeout and retries from this one.
        client=slack.bolt_template(),
        authorize=slack.bolt_authorize(),
        # Never fall back on Bolt's own reading of the environment: Settings is the one source.
        signing_secret=signing_secret.get_secret_value() if signing_secret else "",
        # Signatures are checked once, on the raw bytes and on the app's clock, before Bolt
        # sees an HTTP request (bot/slack/dispatch.py); Bolt's own check would read the
        # machine's clock, which a driven runtime does not follow. Socket Mode has none.
        request_verification_enabled=False,
        # Listeners run in the request thread and the reply leaves when they return: no 10 ms
        # ack polling. Slow work goes to lazy listeners.
        process_before_response=True,
        logger=bolt_logger,
        listener_executor=ThreadPoolExecutor(max_workers=LISTENER_WORKERS,
                                             thread_name_prefix="okr-bot-listener"),
    )
    app.use(refuse_control_characters)  # before anything opens a session
    app.use(attach_unit_of_work(session_factory, chains=chains, router=router, slack=slack,
                                grouped=grouped))
    app.use(skip_duplicate_events)
    app.use(answer_replays)
    app.listener_runner.listener_completion_handler = CommitUnitOfWork()
    app.error(handle_error)
    register_listeners(app)
    return app
