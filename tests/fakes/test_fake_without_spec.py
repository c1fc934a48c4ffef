"""The fake Slack on a clone with nothing beside it: no ../shared, so no OpenAPI spec.

Then slack_sdk's own catalogue of methods (plus the hand-written overrides) is the contract,
and the fake says so on its console.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.fakes import FakeSlack
from tests.fakes import web_api_contract as contract
from tests.support.lines import Lines

BOT_TOKEN = "xoxb-test-token"
PROJECT = Path(__file__).resolve().parents[2]
HOME = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]}


def _try_it_path(client: WebClient) -> None:
    """The calls `make run` makes first: each must be answered ok."""
    assert client.auth_test()["user_id"] == "UBOT"
    assert client.users_info(user="U0ALICE")["user"]["id"] == "U0ALICE"
    channel = client.conversations_open(users="U0ALICE")["channel"]["id"]
    assert client.chat_postMessage(channel=channel, text="Weekly check-in")["ok"]
    assert client.views_publish(user_id="U0ALICE", view=HOME)["view"]["type"] == "home"


def test_a_missing_spec_leaves_slack_sdks_catalogue(tmp_path: Path) -> None:
    missing = tmp_path / "no-shared" / "slack"
    methods = contract.catalogue(missing)
    assert not any(c.in_spec for c in methods.values())
    assert {"chat.postMessage", "views.publish", "users.info", "conversations.open",
            "auth.test", "apps.connections.open"} <= methods.keys()  # fmt: skip
    assert methods["users.info"].required == {"user"}  # the overrides still apply
    assert "slack_sdk" in contract.catalogue_source(missing)
    assert "only: no OpenAPI spec at" in contract.catalogue_source(missing)


def test_the_fake_answers_without_the_spec(tmp_path: Path) -> None:
    with FakeSlack(users={"U0ALICE": {"name": "alice"}}, spec_dir=tmp_path / "missing") as fake:
        client = WebClient(token=BOT_TOKEN, base_url=fake.base_url)
        _try_it_path(client)
        with pytest.raises(SlackApiError) as refused:  # and it still checks the contract
            client.chat_postMessage(channel="C1", text="hi", colour="red")
        assert refused.value.response["error"] == "invalid_arguments"
        assert fake.problems == ["chat.postMessage: unknown parameter 'colour'"]
        assert "only: no OpenAPI spec" in fake.source


def test_by_hand_it_says_what_it_checks_against_and_why_a_call_failed(tmp_path: Path) -> None:
    env = os.environ | {contract.SPEC_DIR_VARIABLE: str(tmp_path / "missing")}
    command = [sys.executable, "-m", "tests.fakes.slack_api", "--port", "0"]
    proc = subprocess.Popen(command, cwd=PROJECT, env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    lines = Lines(proc.stdout)
    try:
        banner, source = lines.next(), lines.next()
        base_url = banner.split(" at ")[1].split()[0]
        client = WebClient(token=BOT_TOKEN, base_url=base_url)
        assert client.auth_test()["ok"]
        auth_line = lines.next()
        # users.list never expected a non-numeric limit: the fake answers 500 and says why.
        with pytest.raises(urllib.error.HTTPError) as crashed:
            urllib.request.urlopen(f"{base_url}users.list?limit=many&token={BOT_TOKEN}")
        crash_line = lines.next()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=5)
    assert source.strip() == (
        f"Web API calls are checked against slack_sdk {contract.SDK_VERSION} only: no OpenAPI "
        f"spec at {tmp_path / 'missing' / contract.SPEC_NAME} "
        f"(set {contract.SPEC_DIR_VARIABLE} to the folder holding {contract.SPEC_NAME})"
    )
    assert auth_line.startswith("auth.test ") and "->" not in auth_line
    assert crashed.value.code == 500
    assert crash_line.startswith("  PROBLEM: fake Slack crashed on /api/users.list: ValueError(")
