"""The install pages: GET /slack/install sends the browser to Slack's authorize page with a
state (stored in our database, and in a cookie), and GET /slack/oauth_redirect exchanges
Slack's code for tokens (oauth.v2.access) and stores them encrypted. Bolt's OAuthFlow does
the protocol; the routes, the stores and the pages a person sees are ours."""

from __future__ import annotations

import html
import logging

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.adapter.starlette.handler import to_starlette_response
from slack_bolt.oauth import OAuthFlow
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import Installation as SdkInstallation
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.config import Settings
from bot.install.service import STATE_LIFETIME
from bot.install.stores import DatabaseInstallationStore, DatabaseStateStore
from bot.install.tokens import InstallationTokens

log = logging.getLogger(__name__)

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
# The bot scopes of manifest.yml (tests/install/test_oauth_flow.py keeps the two the same).
BOT_SCOPES = ("commands", "chat:write", "im:write", "im:history", "channels:history",
              "groups:history", "users:read")
AUTHORIZE_URL = "https://slack.com/oauth/v2/authorize"

START_AGAIN = f'<a href="{INSTALL_PATH}">Start the install again</a>'
# What went wrong, for the person in the browser; Bolt's reason codes on the left.
FAILURES = {
    "invalid_browser": "This install was started in another browser, or its cookie is gone. "
                       "Open the install link and finish it in the same browser.",
    "invalid_state": "This install link has expired or was already used "
                     f"(a link works once, for {int(STATE_LIFETIME.total_seconds() // 60)} "
                     "minutes).",
    "missing_code": "Slack sent no authorization code back.",
    "invalid_code": "Slack did not accept the authorization code (it works once, for a few "
                    "minutes).",
    "storage_error": "The installation could not be saved.",
    "access_denied": "The install was cancelled in Slack.",
}


def page(title: str, message: str, status: int, headers: dict | None = None) -> BoltResponse:
    body = (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{html.escape(title)}"
            f"</title></head><body><h1>{html.escape(title)}</h1><p>{message}</p></body></html>")
    return BoltResponse(status=status, body=body,
                        headers={"Content-Type": "text/html; charset=utf-8"} | (headers or {}))


def org_wide_message(installed: SdkInstallation) -> str:
    """An org-wide install adds okr-bot to no workspace yet: an org admin picks them in
    Slack's admin page for the app, which this links to."""
    org = html.escape(installed.enterprise_name or installed.enterprise_id or "")
    add = html.escape(f"https://app.slack.com/manage/{installed.enterprise_id}/integrations/"
                      f"profile/{installed.app_id}/workspaces/add", quote=True)
    return (f"okr-bot is installed org-wide in {org}. An org admin now adds it to each "
            f'workspace that will use it: <a href="{add}">choose the workspaces</a>. Then '
            "import each workspace's plan, and type <code>/okr help</code> in Slack.")


def build_flow(settings: Settings, *, session_factory: sessionmaker[Session],
               tokens: InstallationTokens) -> OAuthFlow:
    assert settings.slack_client_id
    assert settings.slack_client_secret
    oauth_settings = OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=list(BOT_SCOPES), redirect_uri=settings.slack_redirect_uri,
        install_path=INSTALL_PATH, redirect_uri_path=REDIRECT_PATH,
        install_page_rendering_enabled=False,  # straight to Slack's page
        authorization_url=AUTHORIZE_URL,
        installation_store=DatabaseInstallationStore(session_factory, tokens.keyring,
                                                     on_change=tokens.forget),
        state_store=DatabaseStateStore(session_factory),
        state_expiration_seconds=int(STATE_LIFETIME.total_seconds()),
        logger=log)
    state_utils = oauth_settings.state_utils
    forget_state = {"Set-Cookie": [state_utils.build_set_cookie_for_deletion()]}

    def success(args: SuccessArgs) -> BoltResponse:
        installed = args.installation
        if installed.is_enterprise_install:
            return page("okr-bot is installed", org_wide_message(installed), 200,
                        forget_state)
        name = html.escape(installed.team_name or installed.team_id or "")
        return page("okr-bot is installed",
                    f"okr-bot is installed in {name}. Open Slack and type "
                    "<code>/okr help</code>.", 200, forget_state)

    def failure(args: FailureArgs) -> BoltResponse:
        reason = FAILURES.get(args.reason, f"Slack answered {html.escape(args.reason)}.")
        log.warning("install refused: %s", args.reason)
        return page("okr-bot was not installed", f"{reason} {START_AGAIN}.",
                    args.suggested_status_code, forget_state)

    oauth_settings.callback_options = CallbackOptions(success=success, failure=failure)
    # oauth.v2.access goes to the same Web API as everything else (SLACK_API_URL).
    return OAuthFlow(client=WebClient(base_url=settings.slack_api_url), settings=oauth_settings)


def _bolt_request(request: Request) -> BoltRequest:
    return BoltRequest(body="", query=request.url.query, headers=dict(request.headers))


def install_routes(flow: OAuthFlow) -> list[Route]:
    """The two pages, run in a worker thread (they talk to the database and to Slack)."""

    async def install(request: Request) -> Response:
        answer = await run_in_threadpool(flow.handle_installation, _bolt_request(request))
        return to_starlette_response(answer)

    async def redirect(request: Request) -> Response:
        answer = await run_in_threadpool(flow.handle_callback, _bolt_request(request))
        return to_starlette_response(answer)

    return [Route(INSTALL_PATH, install, methods=["GET"]),
            Route(REDIRECT_PATH, redirect, methods=["GET"])]
