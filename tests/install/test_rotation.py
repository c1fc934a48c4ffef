"""Slack's token rotation: a bot token about to expire is refreshed with its single-use
refresh token, once, even when two replicas need it at the same moment."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from freezegun import freeze_time
from slack_sdk.errors import SlackApiError
from sqlalchemy import select

from bot import clock
from bot.install import service as install_service
from bot.install.models import Installation
from bot.slack.clients import NotInstalled, SlackClients
from tests.install.conftest import OAuthBot, replica_clients, tokens_at_once


@pytest.fixture
def rotating(oauth_bot: OAuthBot) -> OAuthBot:
    oauth_bot.fake.oauth.token_rotation = True
    assert oauth_bot.install("T0ALPHA").status == 200
    return oauth_bot


def stored(bot: OAuthBot) -> Installation:
    with bot.runtime.session_factory() as session:
        return session.scalars(select(Installation)).one()


def test_a_token_far_from_expiring_is_used_as_it_is(rotating: OAuthBot) -> None:
    team = rotating.fake.oauth.teams["T0ALPHA"]
    with freeze_time(clock.now() + timedelta(hours=9)):  # 3 hours left of 12
        assert rotating.runtime.slack.token_for("T0ALPHA") == team.tokens[0]
    assert rotating.fake.oauth.refreshes == 0


def test_a_token_about_to_expire_is_refreshed_once_and_stored(rotating: OAuthBot) -> None:
    team = rotating.fake.oauth.teams["T0ALPHA"]
    before = stored(rotating)
    later = clock.now() + timedelta(hours=11)  # an hour left: inside the two-hour margin
    with freeze_time(later):
        token = rotating.runtime.slack.token_for("T0ALPHA")
        assert rotating.runtime.slack.token_for("T0ALPHA") == token  # not refreshed again
    assert token == team.tokens[1] != team.tokens[0]
    assert rotating.fake.oauth.refreshes == 1
    [refresh] = [c for c in rotating.fake.calls_to("oauth.v2.access")
                 if c.params.get("grant_type") == "refresh_token"]
    assert refresh.ok
    after = stored(rotating)
    assert after.bot_token_encrypted != before.bot_token_encrypted
    assert after.bot_refresh_token_encrypted != before.bot_refresh_token_encrypted
    assert after.bot_token_expires_at == later + timedelta(seconds=43_200)
    # The request path uses it: a client for the team carries the new token.
    with freeze_time(later):
        assert rotating.runtime.slack.client("T0ALPHA").token == token


def test_a_failed_refresh_keeps_the_still_valid_token_until_it_expires(
        rotating: OAuthBot, caplog: pytest.LogCaptureFixture) -> None:
    team = rotating.fake.oauth.teams["T0ALPHA"]
    rotating.fake.oauth.refresh_error = "internal_error"
    with freeze_time(clock.now() + timedelta(hours=11)):  # due, with an hour left
        assert rotating.runtime.slack.token_for("T0ALPHA") == team.tokens[0]
    assert "token refresh put off (SlackApiError)" in caplog.text
    with freeze_time(clock.now() + timedelta(hours=12, seconds=1)), \
            pytest.raises(SlackApiError):  # expired: nothing valid is left to use
        rotating.runtime.slack.token_for("T0ALPHA")
    rotating.fake.oauth.refresh_error = None  # Slack answers again: refreshed at next use
    with freeze_time(clock.now() + timedelta(hours=11, minutes=5)):
        assert rotating.runtime.slack.token_for("T0ALPHA") == team.tokens[1]
    assert rotating.fake.oauth.refreshes == 1


@pytest.fixture
def replicas(rotating: OAuthBot, database_url: str) -> Iterator[list[SlackClients]]:
    with replica_clients(database_url, rotating.fake) as clients:
        yield clients


def test_two_replicas_refreshing_at_once_spend_the_refresh_token_once(
        rotating: OAuthBot, replicas: list[SlackClients]) -> None:
    fake = rotating.fake.oauth
    fake.refresh_delay = 0.3  # the first refresher is still waiting for Slack
    with freeze_time(clock.now() + timedelta(hours=11)):
        tokens = tokens_at_once([(slack, "T0ALPHA") for slack in replicas])
    assert fake.refreshes == 1 and fake.refused == []
    assert tokens == [fake.teams["T0ALPHA"].tokens[1]] * 2


def test_an_uninstall_on_another_replica_counts_here_within_30_seconds(
        rotating: OAuthBot, replicas: list[SlackClients]) -> None:
    here, there = replicas
    token = rotating.fake.oauth.teams["T0ALPHA"].tokens[0]
    start = clock.now()
    with freeze_time(start):
        assert here.token_for("T0ALPHA") == token
        with rotating.runtime.session_factory.begin() as session:  # the other replica's event
            install_service.delete_for_team(db_session=session, slack_team_id="T0ALPHA")
        there.forget("T0ALPHA")
        with pytest.raises(NotInstalled):
            there.token_for("T0ALPHA")
        assert here.token_for("T0ALPHA") == token  # read less than 30 s ago
    with freeze_time(start + timedelta(seconds=31)), pytest.raises(NotInstalled):
        here.token_for("T0ALPHA")
