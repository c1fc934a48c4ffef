"""Socket Mode: with SLACK_APP_TOKEN the same listeners answer over a WebSocket."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bot.config import Settings, load_settings
from bot.people.models import Workspace
from bot.serve import Runtime, build_runtime
from tests.conftest import APP_TOKEN, BOT_TOKEN, TEAM_ID, sqlite_only
from tests.fakes import FakeSlack, SlackSender
from tests.fakes.web_api_contract import validate_blocks
from tests.support.server import get, serving


@pytest.fixture
def socket_settings(database_url: str, fake_slack: FakeSlack) -> Settings:
    # No signing secret: Socket Mode requests come over a connection we opened ourselves.
    return load_settings(env_file=None, slack_bot_token=BOT_TOKEN, slack_app_token=APP_TOKEN,
                         slack_api_url=fake_slack.base_url, database_url=database_url)


@pytest.fixture
def runtime(socket_settings: Settings, fake_slack: FakeSlack) -> Iterator[Runtime]:
    runtime = build_runtime(socket_settings)
    try:
        fake_slack.socket_mode.wait_connected()
        yield runtime
    finally:
        runtime.close()


def command_payload(text: str) -> dict:
    return {"token": "legacy", "team_id": TEAM_ID, "team_domain": "fake", "channel_id": "C1",
            "channel_name": "general", "user_id": "U0ALICE", "user_name": "alice",
            "command": "/okr", "text": text, "api_app_id": "A0TEST",
            "is_enterprise_install": "false", "response_url": "https://hooks.slack.com/x",
            "trigger_id": "1.2.3"}


@sqlite_only  # transport: the backend does not matter
def test_slash_command_is_answered_in_the_ack(runtime: Runtime, fake_slack: FakeSlack,
                                              caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="bot.slack.requests"):
        envelope = fake_slack.socket_mode.send_envelope("slash_commands", command_payload("help"))
        ack = fake_slack.socket_mode.wait_ack(envelope)

    assert fake_slack.calls_to("apps.connections.open")
    payload = ack["payload"]
    assert payload["response_type"] == "ephemeral"
    assert validate_blocks(payload["blocks"]) == []
    assert "/okr help" in str(payload["blocks"])
    assert "transport=socket type=command" in caplog.text


@sqlite_only  # transport: the backend does not matter
def test_events_reach_the_same_listeners(runtime: Runtime, fake_slack: FakeSlack) -> None:
    envelope = SlackSender("http://unused", "unused", team_id=TEAM_ID).event_envelope(
        {"type": "app_uninstalled"})

    ack = fake_slack.socket_mode.wait_ack(
        fake_slack.socket_mode.send_envelope("events_api", envelope))

    assert ack["envelope_id"]
    with runtime.session_factory() as session:
        workspace = session.scalars(select(Workspace)).one()
        assert workspace.uninstalled_at is not None


@sqlite_only  # transport: the backend does not matter
def test_socket_mode_serves_health_but_no_http_endpoint(runtime: Runtime) -> None:
    with serving(runtime.web_app(with_scheduler=False)) as url:
        health = get(f"{url}/healthz")
        events = SlackSender(f"{url}/slack/events", "any").command("help")
    assert health.status == 200
    assert health.json["mode"] == "socket"
    assert events.status == 404


@sqlite_only  # transport: the backend does not matter
def test_a_rejected_app_token_stops_start_up_with_a_clear_line(
        database_url: str, fake_slack: FakeSlack) -> None:
    from bot.config import SettingsError

    settings = load_settings(env_file=None, slack_bot_token=BOT_TOKEN,
                             slack_app_token="xapp-1-revoked", slack_api_url=fake_slack.base_url,
                             database_url=database_url)
    with pytest.raises(SettingsError, match=r"^SLACK_APP_TOKEN was rejected by Slack "
                                            r"\(invalid_auth\)"):
        build_runtime(settings)
    # The fake counts a rejected token as a problem; here it is the point of the test.
    assert fake_slack.problems == ["apps.connections.open: answered invalid_auth (token xapp-…)"]
    fake_slack.problems.clear()
