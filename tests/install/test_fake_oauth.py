"""The fake Slack's OAuth side refuses what Slack refuses: a spent code or refresh token,
wrong client credentials; and it answers auth.test as each token's own workspace."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.fakes import FakeSlack
from tests.fakes.oauth import CLIENT_ID, CLIENT_SECRET


def exchange(fake: FakeSlack, secret: str = CLIENT_SECRET, **params: str) -> dict:
    client = WebClient(base_url=fake.base_url)
    return client.oauth_v2_access(client_id=CLIENT_ID, client_secret=secret, **params).data


def test_codes_and_refresh_tokens_work_once(fake_slack: FakeSlack) -> None:
    fake_slack.oauth.add_team("T0ALPHA", "Alpha Inc")
    fake_slack.oauth.token_rotation = True
    code = fake_slack.oauth.authorize("T0ALPHA")
    first = exchange(fake_slack, code=code)
    with pytest.raises(SlackApiError, match="invalid_code"):
        exchange(fake_slack, code=code)
    refreshed = exchange(fake_slack, grant_type="refresh_token",
                         refresh_token=first["refresh_token"])
    assert refreshed["access_token"] != first["access_token"]
    with pytest.raises(SlackApiError, match="invalid_refresh_token"):
        exchange(fake_slack, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert fake_slack.oauth.refreshes == 1
    with pytest.raises(SlackApiError, match="bad_client_secret"):
        exchange(fake_slack, secret="wrong", code=fake_slack.oauth.authorize("T0ALPHA"))


def test_each_token_is_its_own_workspaces_bot(fake_slack: FakeSlack) -> None:
    for team_id, name in (("T0ALPHA", "Alpha Inc"), ("T0BETA", "Beta GmbH")):
        fake_slack.oauth.add_team(team_id, name)
    tokens = {team_id: exchange(fake_slack, code=fake_slack.oauth.authorize(team_id))
              ["access_token"] for team_id in ("T0ALPHA", "T0BETA")}
    for team_id, token in tokens.items():
        who = WebClient(token=token, base_url=fake_slack.base_url).auth_test()
        assert who["team_id"] == team_id
        assert who["user_id"] == fake_slack.oauth.teams[team_id].bot_user_id
    fake_slack.oauth.revoke("T0ALPHA")
    with pytest.raises(SlackApiError, match="invalid_auth"):
        WebClient(token=tokens["T0ALPHA"], base_url=fake_slack.base_url).auth_test()
    fake_slack.reset()  # the refused call above is the point of this test, not a problem
