"""Tokens at rest: ciphertext in every column, nothing in clear in the SQLite file or a log
line; the keys rotate; OAuth mode refuses to start without a key and says how to make one."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import make_url, select

from bot.config import SettingsError, load_settings
from bot.install.keys import Keyring, UnknownKey
from bot.install.models import Installation
from bot.logs import LogfmtFormatter
from tests.fakes.oauth import CLIENT_ID, CLIENT_SECRET
from tests.install.conftest import KEY, NEW_KEY, OAuthBot
from tests.support.cli import okr_bot

COLUMNS = ("bot_token_encrypted", "bot_refresh_token_encrypted", "user_token_encrypted",
           "user_refresh_token_encrypted")


def secrets_of(bot: OAuthBot) -> list[str]:
    teams = bot.fake.oauth.teams.values()
    issued = [token for team in teams for token in team.tokens]
    refreshes = [f"xoxe-1-{team.team_id}-refresh" for team in teams]  # their common prefix
    return [*issued, *refreshes, CLIENT_SECRET]


def stored_bytes(database_url: str) -> bytes:
    path = Path(make_url(database_url).database or "")
    return b"".join(f.read_bytes() for f in path.parent.glob(path.name + "*"))


def test_nothing_is_stored_or_logged_in_clear(oauth_bot: OAuthBot, database_url: str,
                                              caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="slack_sdk")  # whatever an earlier test left
    oauth_bot.fake.oauth.token_rotation = True
    assert oauth_bot.install("T0ALPHA").status == 200
    assert oauth_bot.install("T0BETA").status == 200
    oauth_bot.come_back({"code": "code-never-issued", "state": "x"}, "slack-app-oauth-state=x")
    secrets = secrets_of(oauth_bot)
    assert len(secrets) == 5  # two bot tokens, two refresh tokens, the client secret
    with oauth_bot.runtime.session_factory() as session:
        rows = session.scalars(select(Installation)).all()
        raw = session.execute(select(*(getattr(Installation, name) for name in COLUMNS)))
        stored = " ".join(str(value) for row in raw for value in row)
    assert len(rows) == 2 and all(row.bot_refresh_token_encrypted for row in rows)
    # The lines okr-bot writes: every record, slack_sdk's DEBUG ones with Slack's answers
    # among them, through the formatter `okr-bot serve` logs with.
    formatter = LogfmtFormatter(oauth_bot.runtime.settings.secrets())
    logged = "\n".join(formatter.format(record) for record in caplog.records)
    assert "oauth.v2.access" in logged
    assert "installed into workspace T0ALPHA" in logged  # the logs were captured
    for secret in secrets:
        assert secret not in stored
        assert secret not in logged
    if database_url.startswith("sqlite"):
        on_disk = stored_bytes(database_url)
        assert b"T0ALPHA" in on_disk  # the file was read
        for secret in secrets:
            assert secret.encode() not in on_disk


def test_keys_rotate_re_encrypts_every_token_with_the_first_key(
        oauth_bot: OAuthBot, database_url: str) -> None:
    oauth_bot.fake.oauth.token_rotation = True
    oauth_bot.install("T0ALPHA")
    oauth_bot.install("T0BETA")
    env = {"DATABASE_URL": database_url, "OKR_BOT_ENCRYPTION_KEY": f"{NEW_KEY}, {KEY}"}
    done = okr_bot("keys", "rotate", cwd=Path.cwd(), env=env)
    assert done.returncode == 0, done.stderr
    assert "re-encrypted 4 stored tokens with the first key" in done.stdout
    new_only, old_only = Keyring(NEW_KEY), Keyring(KEY)
    with oauth_bot.runtime.session_factory() as session:
        rows = session.scalars(select(Installation).order_by(Installation.slack_team_id)).all()
    assert [new_only.decrypt(row.bot_token_encrypted) for row in rows] == \
        [oauth_bot.fake.oauth.teams[team].tokens[-1] for team in ("T0ALPHA", "T0BETA")]
    with pytest.raises(UnknownKey, match="put the old key back after the new one"):
        old_only.decrypt(rows[0].bot_token_encrypted)
    assert KEY not in done.stdout + done.stderr and NEW_KEY not in done.stdout + done.stderr


def test_keys_new_prints_a_key_that_works() -> None:
    done = okr_bot("keys", "new", cwd=Path.cwd())
    assert done.returncode == 0
    key = done.stdout.strip()
    assert Keyring(key).decrypt(Keyring(key).encrypt("xoxb-1")) == "xoxb-1"


def test_oauth_mode_needs_a_key_and_says_how_to_make_one() -> None:
    settings = load_settings(env_file=None, slack_client_id=CLIENT_ID,
                             slack_client_secret=CLIENT_SECRET, slack_signing_secret="s")
    with pytest.raises(SettingsError, match=r"OKR_BOT_ENCRYPTION_KEY is not set: make one "
                                            r"with `okr-bot keys new`"):
        settings.require_slack()
    with pytest.raises(SettingsError) as refused:
        settings.require_slack()
    assert "SLACK_BOT_TOKEN" not in str(refused.value)


def test_a_malformed_key_is_named_by_position_never_shown() -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(env_file=None, okr_bot_encryption_key=f"{KEY},not-a-key-at-all")
    message = str(refused.value)
    assert "OKR_BOT_ENCRYPTION_KEY key 2 is not a Fernet key" in message
    assert "okr-bot keys new" in message
    assert "not-a-key-at-all" not in message and KEY not in message


def test_half_the_client_credentials_is_refused() -> None:
    settings = load_settings(env_file=None, slack_client_id=CLIENT_ID, okr_bot_encryption_key=KEY,
                             slack_signing_secret="s")
    with pytest.raises(SettingsError, match="SLACK_CLIENT_SECRET is not set"):
        settings.require_slack()


def test_a_redirect_uri_must_be_a_url() -> None:
    with pytest.raises(SettingsError, match="SLACK_REDIRECT_URI must be the https:// URL of "
                                            "/slack/oauth_redirect on your host"):
        load_settings(env_file=None, slack_redirect_uri="okr.example.com/slack/oauth_redirect")
