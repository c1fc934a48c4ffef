"""Events API listeners: every event the manifest subscribes to has one here."""

from __future__ import annotations

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot import clock
from bot.checkins.job import outlook
from bot.lifecycle import flows as lifecycle
from bot.people import service as people_service
from bot.slack.blocks.home import home_view
from bot.slack.errors import reported
from bot.slack.listeners.ack import acknowledge
from bot.slack.middleware import db_session


@reported
def publish_home(event: dict, body: dict, client: WebClient, context: BoltContext) -> None:
    """Refresh the person (their time zone may have changed) and publish their Home tab.
    `client` is the team's, from the runtime's SlackClients (bot/slack/middleware.py)."""
    if event.get("tab") != "home":
        return
    slack_user = client.users_info(user=event["user"])["user"]
    with context["unit_of_work"] as session:  # a lazy listener's own unit of work
        workspace = people_service.get_or_create_workspace(
            db_session=session, slack_team_id=body["team_id"])
        person = people_service.upsert_person(
            db_session=session, workspace=workspace, slack_user=slack_user)
        name = person.display_name or person.real_name
        time_zone = person.time_zone
        checkin = outlook(session, workspace, person, clock.now())
    # The person is stored before we tell Slack anything.
    client.views_publish(user_id=event["user"],
                         view=home_view(context["router"], name=name, time_zone=time_zone,
                                        checkin=checkin))


def _org_wide(context: BoltContext) -> str | None:
    """The Enterprise Grid org whose org-wide install the event is for, if it is."""
    return context.enterprise_id if context.is_enterprise_install else None


def record_uninstall(body: dict, context: BoltContext) -> None:
    """Uninstalled: the workspace's jobs and queued messages stop and its installation (its
    tokens) is deleted, in one transaction; its data goes after the retention period
    (bot/lifecycle). Uninstalled org-wide: so for every workspace of the org."""
    if org := _org_wide(context):
        lifecycle.org_uninstalled(db_session(context), org, at=clock.now())
        context["slack"].forget(None, org)
        return
    lifecycle.uninstalled(db_session(context), body["team_id"], at=clock.now())
    context["slack"].forget(body["team_id"])


def record_tokens_revoked(event: dict, body: dict, context: BoltContext) -> None:
    """The bot's token among the revoked ones: as an uninstall, but the data is kept. A user
    token alone changes nothing (okr-bot asks for no user scopes, so holds none)."""
    tokens = event.get("tokens") if isinstance(event.get("tokens"), dict) else {}
    bot_tokens = tokens.get("bot") if isinstance(tokens.get("bot"), list) else []
    if org := _org_wide(context):
        lifecycle.org_tokens_revoked(db_session(context), org, at=clock.now(),
                                     bot_tokens=bot_tokens)
        context["slack"].forget(None, org)
        return
    if lifecycle.tokens_revoked(db_session(context), body["team_id"], at=clock.now(),
                                bot_tokens=bot_tokens):
        context["slack"].forget(body["team_id"])


def record_user_change(event: dict, body: dict, context: BoltContext) -> None:
    """Someone edited their profile, moved zone among them: their next check-in follows.
    The event carries the whole user object, so no Web API call is needed."""
    user = event.get("user")
    if isinstance(user, dict) and user.get("id"):
        people_service.refresh_known_person(db_session=db_session(context),
                                            slack_team_id=body["team_id"], slack_user=user)


EVENTS = {
    # app_home_opened calls Slack twice; acking first keeps us inside Slack's 3 seconds.
    "app_home_opened": {"ack": acknowledge, "lazy": [publish_home]},
    "app_uninstalled": {"ack": record_uninstall, "lazy": []},
    "tokens_revoked": {"ack": record_tokens_revoked, "lazy": []},
    "user_change": {"ack": record_user_change, "lazy": []},
}


def register(app: App) -> None:
    for event_type, listener in EVENTS.items():
        app.event(event_type)(**listener)
