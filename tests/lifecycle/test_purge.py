"""Export and purge on both backends: a workspace's export holds every row it owns (and its
plan with the history), a purge leaves nothing of it in any table and all of the other
workspace, which has the same plan, names and user ids; the retention job purges only what
was uninstalled long enough ago."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.access.policy import Actor
from bot.errors import NotAllowed
from bot.install import service as install_service
from bot.install.models import Installation
from bot.lifecycle import flows, ownership
from bot.lifecycle.job import purge_uninstalled
from bot.okrs.plans.files import dump_plan, parse_plan
from bot.people import service as people_service
from bot.people.models import Workspace
from tests.lifecycle.populate import MAYA, counts, populate, totals

ONE, OTHER = "T0ONE", "T0OTHER"
NOW = datetime(2027, 1, 20, 12, tzinfo=UTC)


def populate_two(session_factory: sessionmaker[Session]) -> None:
    populate(session_factory, ONE)
    populate(session_factory, OTHER)


# Populating two workspaces took seconds per test: written once into a template, copied.
pytestmark = pytest.mark.filled_by.with_args(populate_two)


@pytest.fixture
def two(session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """Two workspaces, each holding something in every table (populate_two's rows)."""
    return session_factory


def uninstall(db: sessionmaker[Session], team_id: str, at: datetime) -> None:
    with db.begin() as session:
        flows.uninstalled(session, team_id, at=at)


def test_every_table_belongs_to_a_workspace_and_the_example_fills_each(
        two: sessionmaker[Session]) -> None:
    with two() as session:
        held = counts(session, ONE)
    # A table added later must be reachable from its workspace (ownership.py) and filled by
    # tests/lifecycle/populate.py, so that exports and purges are seen to cover it.
    assert [table for table, rows in held.items() if rows == 0] == []


def test_a_purge_leaves_nothing_of_the_workspace_and_all_of_the_other(
        two: sessionmaker[Session]) -> None:
    with two() as session:
        other_before = counts(session, OTHER)
        one_before = counts(session, ONE)
    uninstall(two, ONE, NOW)
    with two() as session:
        assert counts(session, ONE)["slack_installations"] == 0, "its tokens went at once"

    with two.begin() as session:
        purged = flows.purge_workspace(session, ONE, Actor.operator())

    assert purged.rows == {t: n for t, n in one_before.items() if t != "slack_installations"}
    with two() as session:
        assert set(counts(session, ONE).values()) == {0}
        assert counts(session, OTHER) == other_before
        # Nothing is left that belongs to nobody: every row is the other workspace's.
        assert totals(session) == other_before


def test_a_purge_is_refused_while_installed_unless_confirmed(two: sessionmaker[Session]) -> None:
    with two.begin() as session, pytest.raises(flows.StillInstalled) as refused:
        flows.purge_workspace(session, ONE, Actor.operator())
    assert "still installed in workspace T0ONE" in refused.value.message
    with two() as session:
        assert counts(session, ONE)["measurements"] > 0
    with two.begin() as session:
        flows.purge_workspace(session, ONE, Actor.operator(), installed_too=True)
    with two() as session:
        assert set(counts(session, ONE).values()) == {0}


def test_only_an_admin_or_operator_may_export_or_purge(two: sessionmaker[Session]) -> None:
    uninstall(two, ONE, NOW)
    with two() as session, pytest.raises(NotAllowed):
        flows.export_workspace(session, ONE, Actor(MAYA))
    with two() as session, pytest.raises(NotAllowed):
        flows.purge_preview(session, ONE, Actor(MAYA))
    # The plan's admin may.
    with two() as session:
        assert flows.purge_preview(session, ONE, Actor("U0AIVP001")).total > 0


def test_an_export_holds_every_row_the_workspace_owns_and_its_plan_with_history(
        two: sessionmaker[Session]) -> None:
    with two() as session:
        export = flows.export_workspace(session, ONE, Actor.operator())
        owned = counts(session, ONE)

    assert export.row_counts() == {t: n for t, n in owned.items()
                                   if t not in ownership.NEVER_EXPORTED}
    assert set(export.files) == {"checkins.json", "blockers.json", "audit.json",
                                 "workspace.json"}
    assert export.files["blockers.json"]["blockers"][0]["text"] == "no export"
    assert {row["action"] for row in export.files["audit.json"]["audit_events"]} >= {
        "value recorded", "blocker raised", "confidence recorded"}
    answers = export.files["checkins.json"]["checkin_answers"]
    assert answers[0]["answers"]["accomplished"] == "shipped the wizard"
    assert export.files["workspace.json"]["api_tokens"][0]["name"] == "warehouse"
    assert "token_hash" not in export.files["workspace.json"]["api_tokens"][0]
    # Only its own: the other workspace's team id appears nowhere.
    assert OTHER not in str(export.files)
    # The plan file reads back as a plan, with the values recorded since the import.
    loaded = parse_plan(dump_plan(export.plan))
    assert loaded.ok, loaded.errors
    kr = next(kr for o in loaded.plan.objectives for kr in o.key_results
              if kr.key == "first-week-activation")
    assert [m.value for m in kr.measurements][-2:] == [31, 12]


def test_the_retention_job_purges_what_was_uninstalled_long_enough_ago(
        two: sessionmaker[Session]) -> None:
    retention = timedelta(days=30)
    uninstall(two, ONE, NOW - timedelta(days=31))
    uninstall(two, OTHER, NOW - timedelta(days=29))
    with two.begin() as session:
        session.add(Workspace(slack_team_id="T0BACK", uninstalled_at=NOW - timedelta(days=90)))
    with two.begin() as session:
        assert flows.reinstalled(session, "T0BACK")

    purged = purge_uninstalled(two, now=NOW, retention=retention)
    again = purge_uninstalled(two, now=NOW, retention=retention)

    assert [p.slack_team_id for p in purged] == [ONE] and again == []
    with two() as session:
        assert set(counts(session, ONE).values()) == {0}
        assert counts(session, OTHER)["measurements"] > 0
        assert session.scalar(select(Workspace.slack_team_id).where(
            Workspace.slack_team_id == "T0BACK")) == "T0BACK"
    # A day later the other one's period is over too.
    later = purge_uninstalled(two, now=NOW + timedelta(days=1, minutes=1), retention=retention)
    assert [p.slack_team_id for p in later] == [OTHER]


def test_an_org_wide_installation_is_the_orgs_and_outlives_a_purge_of_one_of_its_workspaces(
        two: sessionmaker[Session]) -> None:
    with two.begin() as session:
        session.add(Installation(enterprise_id="E0ORG", is_enterprise_install=True,
                                 bot_token_encrypted="gAAAA-not-a-token", installed_at=NOW))
        for team_id in (ONE, OTHER):
            people_service.note_enterprise(db_session=session, slack_team_id=team_id,
                                           enterprise_id="E0ORG")
    with two.begin() as session:
        export = flows.export_workspace(session, ONE, Actor.operator())
        assert "slack_installations" not in export.row_counts()  # secrets never leave
        flows.purge_workspace(session, ONE, Actor.operator(), installed_too=True)
    with two() as session:
        assert session.scalars(select(Installation.enterprise_id).where(
            Installation.is_enterprise_install)).all() == ["E0ORG"]
    # The org's uninstall stops the workspaces reached through it (one with an installation
    # of its own keeps it) and then deletes it.
    with two.begin() as session:
        assert flows.org_uninstalled(session, "E0ORG", at=NOW) == []
    with two.begin() as session:
        session.add(Installation(enterprise_id="E0ORG", is_enterprise_install=True,
                                 bot_token_encrypted="gAAAA-not-a-token", installed_at=NOW))
        install_service.delete_for_team(db_session=session, slack_team_id=OTHER)
    with two.begin() as session:
        assert flows.org_uninstalled(session, "E0ORG", at=NOW) == [OTHER]
    with two() as session:
        assert session.scalars(select(Installation.enterprise_id).where(
            Installation.is_enterprise_install)).all() == []
        assert session.scalars(select(Workspace.uninstalled_at).where(
            Workspace.slack_team_id == OTHER)).one() == NOW
