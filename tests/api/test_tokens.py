"""API tokens as an operator makes them (`okr-bot api-token …`) and as a client presents
them: shown once, stored hashed, refused once revoked, and never good for another workspace."""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot.api.models import ApiToken
from bot.audit.models import AuditEvent
from bot.people.models import Workspace
from tests.api.conftest import OTHER_TEAM, Api
from tests.conftest import TEAM_ID

TICKETS = "/api/v1/metrics/onboarding-tickets"


def test_a_token_is_shown_once_and_only_its_hash_is_stored(planned: Api, tmp_path: Path) -> None:
    secret = planned.new_token(tmp_path, name="warehouse sync")

    with planned.session_factory() as session:
        row = session.scalar(select(ApiToken))
        events = session.scalars(select(AuditEvent.action)).all()
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in (row.token_hash, row.prefix, row.name)
    assert secret.startswith(row.prefix) and len(row.prefix) < 12
    assert "api token created" in events

    listed = planned.cli("api-token", "list", TEAM_ID, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "warehouse sync" in listed.stdout and row.prefix in listed.stdout
    assert secret not in listed.stdout
    assert "last used never" in listed.stdout


def test_a_used_token_says_when_and_a_revoked_one_is_refused(planned: Api, token: str,
                                                            tmp_path: Path) -> None:
    assert planned.call("GET", TICKETS, token=token).status == 200
    with planned.session_factory() as session:
        row = session.scalar(select(ApiToken))
        assert row.last_used_at is not None

    revoked = planned.cli("api-token", "revoke", TEAM_ID, str(row.id), cwd=tmp_path)
    assert revoked.returncode == 0, revoked.stderr
    assert "revoked" in revoked.stdout

    refused = planned.call("GET", TICKETS, token=token)
    assert refused.status == 401
    assert refused.headers["www-authenticate"].startswith("Bearer")
    before = planned.measurements()
    assert planned.post({"metric": "onboarding-tickets", "value": 5}, token=token).status == 401
    assert planned.measurements() == before
    listed = planned.cli("api-token", "list", TEAM_ID, cwd=tmp_path).stdout
    assert "revoked 20" in listed


def test_missing_malformed_and_unknown_tokens_get_401_with_a_challenge(planned: Api,
                                                                       token: str) -> None:
    before = planned.measurements()
    for headers in ({}, {"Authorization": token}, {"Authorization": f"Basic {token}"},
                    {"Authorization": "Bearer "}, {"Authorization": "Bearer okr_not-a-token"},
                    {"Authorization": f"Bearer {token}x"}):
        for reply in (planned.call("GET", TICKETS, headers=headers),
                      planned.post({"metric": "onboarding-tickets", "value": 5},
                                   headers=headers)):
            assert reply.status == 401, (headers, reply.text)
            assert reply.headers["www-authenticate"] == 'Bearer realm="okr-bot"'
            assert reply.json["error"] == "unauthorized"
            assert token not in reply.text
    # Nothing about the body or the key is said to a caller without a good token.
    for raw, key in ((b"{", "k"), (b"{}", "k" * 300)):
        reply = planned.post(raw=raw, headers={"Idempotency-Key": key})
        assert reply.status == 401 and reply.json["errors"] == []
    assert planned.measurements() == before


def test_revoking_another_workspaces_token_is_not_found(planned: Api, token: str,
                                                         other_token: str,
                                                         tmp_path: Path) -> None:
    with planned.session_factory() as session:
        theirs = session.scalar(select(ApiToken.id).where(ApiToken.name == "other"))
    refused = planned.cli("api-token", "revoke", TEAM_ID, str(theirs), cwd=tmp_path)
    assert refused.returncode == 1
    assert f"{TEAM_ID} has no API token {theirs}" in refused.stderr
    listed = planned.cli("api-token", "list", OTHER_TEAM, cwd=tmp_path).stdout
    assert "revoked" not in listed


def test_a_token_needs_a_name_and_a_workspace_with_a_plan(planned: Api, tmp_path: Path) -> None:
    blank = planned.cli("api-token", "create", TEAM_ID, " ", cwd=tmp_path)
    assert blank.returncode == 1 and "name" in blank.stderr
    nowhere = planned.cli("api-token", "create", "T0NOPE", "x", cwd=tmp_path)
    assert nowhere.returncode == 1 and "T0NOPE" in nowhere.stderr


def test_requests_are_logged_without_the_token_or_the_body(planned: Api, token: str,
                                                           caplog: pytest.LogCaptureFixture
                                                           ) -> None:
    caplog.set_level(logging.INFO, logger="bot.api")
    assert planned.post({"metric": "onboarding-tickets", "value": 5, "note": "private words"},
                        token=token, headers={"Idempotency-Key": "k-secret"}).status == 201
    assert planned.call("GET", TICKETS, token=token + "x").status == 401

    lines = [r.getMessage() for r in caplog.records if r.name.startswith("bot.api")]
    assert any("event=api_request" in line and "status=201" in line for line in lines)
    assert any("status=401" in line for line in lines)
    logged = "\n".join(lines)
    assert token not in logged and "private words" not in logged and "k-secret" not in logged


def test_a_workspace_that_uninstalled_the_app_has_no_api(planned: Api, token: str) -> None:
    assert planned.call("GET", TICKETS, token=token).status == 200
    with planned.session_factory.begin() as session:
        session.execute(update(Workspace).where(Workspace.slack_team_id == TEAM_ID)
                        .values(uninstalled_at=datetime.now(UTC)))
    assert planned.call("GET", TICKETS, token=token).status == 401
    assert planned.post({"metric": "onboarding-tickets", "value": 5}, token=token).status == 401
