"""Bolt's InstallationStore interface on our database, as Bolt or slack_sdk would call it."""

from __future__ import annotations

import pytest
from slack_bolt.error import BoltError
from slack_sdk.oauth.installation_store import Installation as SdkInstallation
from sqlalchemy.orm import Session, sessionmaker

from bot.install.keys import Keyring
from bot.install.stores import DatabaseInstallationStore, DatabaseStateStore
from tests.install.conftest import KEY


def sdk_installation(team_id: str = "T0ALPHA", **fields: object) -> SdkInstallation:
    values: dict = {"app_id": "A0TEST", "team_id": team_id, "team_name": "Alpha Inc",
                    "bot_token": "xoxb-alpha-1", "bot_id": "B0ALPHA",
                    "bot_user_id": "UBOTALPHA", "bot_scopes": "commands,chat:write",
                    "user_id": "U0INSTALL", "user_token": "xoxp-installer-1",
                    "user_scopes": "search:read"} | fields
    return SdkInstallation(**values)


def test_saved_installations_are_found_and_deleted(
        session_factory: sessionmaker[Session]) -> None:
    store = DatabaseInstallationStore(session_factory, Keyring(KEY))
    store.save(sdk_installation())
    bot = store.find_bot(enterprise_id=None, team_id="T0ALPHA")
    assert bot is not None
    assert (bot.bot_token, bot.bot_user_id, bot.bot_scopes) == \
        ("xoxb-alpha-1", "UBOTALPHA", ["commands", "chat:write"])
    found = store.find_installation(enterprise_id=None, team_id="T0ALPHA")
    assert found is not None and found.user_token == "xoxp-installer-1"
    assert store.find_installation(enterprise_id=None, team_id="T0ALPHA",
                                   user_id="U0SOMEONE") is None
    assert store.find_bot(enterprise_id=None, team_id="T0BETA") is None
    store.save(sdk_installation(bot_token="xoxb-alpha-2"))  # a reinstall replaces it
    again = store.find_bot(enterprise_id=None, team_id="T0ALPHA")
    assert again is not None and again.bot_token == "xoxb-alpha-2"
    store.delete_installation(enterprise_id=None, team_id="T0ALPHA")
    assert store.find_bot(enterprise_id=None, team_id="T0ALPHA") is None


def test_an_org_wide_install_is_found_for_the_org_and_its_workspaces(
        session_factory: sessionmaker[Session]) -> None:
    store = DatabaseInstallationStore(session_factory, Keyring(KEY))
    store.save(sdk_installation(team_id=None, team_name=None, enterprise_id="E0ORG",
                                enterprise_name="Grid Corp", is_enterprise_install=True,
                                bot_token="xoxb-org-1"))
    found = store.find_installation(enterprise_id="E0ORG", team_id=None,
                                    is_enterprise_install=True)
    assert found is not None and found.is_enterprise_install
    assert (found.team_id, found.enterprise_name, found.bot_token) == \
        (None, "Grid Corp", "xoxb-org-1")
    # A request from a workspace of the org names both: the org's bot answers.
    bot = store.find_bot(enterprise_id="E0ORG", team_id="T0GRID1")
    assert bot is not None and bot.bot_token == "xoxb-org-1"
    assert store.find_bot(enterprise_id="E0OTHER", team_id="T0GRID1") is None
    store.delete_installation(enterprise_id="E0ORG", team_id=None)
    assert store.find_bot(enterprise_id="E0ORG", team_id="T0GRID1") is None


def test_an_install_without_a_team_or_an_org_is_refused(
        session_factory: sessionmaker[Session]) -> None:
    store = DatabaseInstallationStore(session_factory, Keyring(KEY))
    with pytest.raises(BoltError, match="into a workspace or org-wide"):
        store.save(sdk_installation(team_id=None))


def test_a_state_works_once(session_factory: sessionmaker[Session]) -> None:
    states = DatabaseStateStore(session_factory)
    state = states.issue()
    assert states.consume(state) is True
    assert states.consume(state) is False
    assert states.consume("") is False
