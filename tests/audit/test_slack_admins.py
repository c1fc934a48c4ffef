"""Slack's admin flag as users.info tells it (the daily refresh, through the job context's
Slack clients to the fake Slack): a change is a role change in the audit log, on both
backends; and it decides at once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select

from bot import schema
from bot.access.policy import WORKSPACE, Action, Actor, Role
from bot.access.roles import require
from bot.audit import service as audit
from bot.audit.models import AuditEvent
from bot.config import Settings
from bot.errors import NotAllowed
from bot.okrs import flows
from bot.scheduler import JobContext, build_job_context, run_job
from tests.conftest import TEAM_ID
from tests.fakes import FakeSlack
from tests.people.plans import import_zones_plan


@pytest.fixture
def jobs(database_url: str, engine: Engine, settings: Settings) -> Iterator[JobContext]:
    schema.upgrade(database_url)
    context = build_job_context(settings, engine)
    import_zones_plan(context.session_factory)
    yield context
    context.chains.close()


def may_import(jobs: JobContext, uid: str) -> bool:
    with jobs.session_factory() as session:
        workspace = flows.workspace(session, TEAM_ID)
        try:
            return require(session, workspace.id, Action.IMPORT_PLAN, Actor(uid),
                           WORKSPACE) is Role.ADMIN
        except NotAllowed:
            return False


def test_an_admin_flag_slack_changes_is_logged_and_decides(jobs: JobContext,
                                                           fake_slack: FakeSlack) -> None:
    fake_slack.add_user("U0ANA", tz="America/New_York", is_owner=True)
    fake_slack.add_user("U0BEN", tz="Asia/Kolkata")
    assert not may_import(jobs, "U0ANA")

    run_job("refresh-time-zones", jobs)
    assert may_import(jobs, "U0ANA") and not may_import(jobs, "U0BEN")
    fake_slack.add_user("U0ANA", tz="America/New_York", is_owner=False)
    run_job("refresh-time-zones", jobs)

    assert not may_import(jobs, "U0ANA")
    with jobs.session_factory() as session:
        rows = [(e.actor, e.action, e.subject_key, e.before, e.after) for e in session.scalars(
            select(AuditEvent).where(AuditEvent.action == audit.SLACK_ADMIN_CHANGED)
            .order_by(AuditEvent.id))]
    assert rows == [
        ("slack", audit.SLACK_ADMIN_CHANGED, "U0ANA", {"is_admin": False}, {"is_admin": True}),
        ("slack", audit.SLACK_ADMIN_CHANGED, "U0ANA", {"is_admin": True}, {"is_admin": False})]
