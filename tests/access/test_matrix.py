"""The whole role matrix through the real entry points: for each action and each kind of
person, signed HTTP to the served bot as Slack sends it, then what the person was told and
what was stored (or not). The people's roles are written out in tests/access/matrix.py; the
table in bot/access/policy.py says what follows. SQLite for the whole matrix, PostgreSQL for
a representative part."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from bot.access.policy import TABLE, WORKSPACE, Action, Item, Role, allowed
from bot.access.roles import require, roles_toward
from bot.errors import NotAllowed
from bot.okrs import flows, value_flows
from bot.summaries import flows as summary_flows
from tests.access import matrix
from tests.conftest import TEAM_ID
from tests.slack.conftest import RunningBot

CASES = [(action, person) for action in matrix.ENTRY_POINTS for person in matrix.PEOPLE]
# On PostgreSQL: a write, a button and a read, each by someone allowed and someone not.
POSTGRES_CASES = [(Action.UPDATE_VALUE, "indirect manager"), (Action.UPDATE_VALUE, "member"),
                  (Action.ACT_ON_ALERT, "plan admin"), (Action.ACT_ON_ALERT, "team manager"),
                  (Action.SEE_TEAM_DIGEST, "team member"), (Action.SEE_LINE_DIGEST, "owner")]


def _run(bot: RunningBot, action: Action, person: str) -> None:
    kind, entry_point = matrix.ENTRY_POINTS[action]
    uid, roles = matrix.PEOPLE[person]
    expected = allowed(action, roles[kind])
    assert entry_point(bot, uid) is expected, (
        f"{person} ({', '.join(sorted(roles[kind]))}) {'may' if expected else 'may not'} "
        f"{action.value}")


@pytest.mark.parametrize(("action", "person"), CASES, ids=[f"{a.name}-{p}" for a, p in CASES])
def test_the_matrix_over_signed_http(sqlite_bot: RunningBot, action: Action,
                                     person: str) -> None:
    _run(sqlite_bot, action, person)


@pytest.mark.postgres
@pytest.mark.parametrize(("action", "person"), POSTGRES_CASES,
                         ids=[f"{a.name}-{p}" for a, p in POSTGRES_CASES])
def test_part_of_the_matrix_on_postgresql(postgres_bot: RunningBot, action: Action,
                                          person: str) -> None:
    _run(postgres_bot, action, person)


def _items(bot: RunningBot, session: Session) -> dict[str, Item]:
    workspace = flows.workspace(session, TEAM_ID)
    metric = value_flows.find_metric(session, workspace.id, matrix.KPI)
    team = summary_flows.find_team(session, workspace.id, flows.Actor.operator(), matrix.TEAM)
    return {"kpi": value_flows.metric_item(metric),
            "team": summary_flows.team_item(team, summary_flows._members(session, team)),
            "line": Item("reporting line", (matrix.MAYA,))}


def test_each_person_holds_the_roles_the_matrix_says(sqlite_bot: RunningBot) -> None:
    """What the HTTP cases rely on, asked of the resolver directly."""
    with sqlite_bot.session_factory() as session:
        workspace = flows.workspace(session, TEAM_ID)
        items = _items(sqlite_bot, session)
        for person, (uid, roles) in matrix.PEOPLE.items():
            for kind, item in items.items():
                held = roles_toward(session, workspace.id, flows.Actor(uid), item)
                assert held == roles[kind], (person, kind)


CLI_ONLY = [Action.IMPORT_PLAN, Action.RUN_JOB, Action.CREATE_API_TOKEN,
            Action.EXPORT_WORKSPACE, Action.PURGE_WORKSPACE]


@pytest.mark.parametrize("action", CLI_ONLY)
def test_what_only_the_cli_does_is_for_admins(sqlite_bot: RunningBot, action: Action) -> None:
    """No Slack command does these yet: the CLI's operator may (tests/audit runs the import
    through the CLI); of the people, only admins would."""
    with sqlite_bot.session_factory() as session:
        workspace = flows.workspace(session, TEAM_ID)
        assert require(session, workspace.id, action, flows.Actor.operator(),
                       WORKSPACE) is Role.OPERATOR
        for person, (uid, roles) in matrix.PEOPLE.items():
            if Role.ADMIN in roles["kpi"]:
                assert require(session, workspace.id, action, flows.Actor(uid),
                               WORKSPACE) is Role.ADMIN
            else:
                with pytest.raises(NotAllowed):
                    require(session, workspace.id, action, flows.Actor(uid), WORKSPACE)
                assert person != "slack admin"
    assert TABLE[action] == {Role.ADMIN, Role.OPERATOR}


def test_record_confidence_follows_the_table(sqlite_bot: RunningBot) -> None:
    """Confidence has no command of its own: the check-in modal offers a person's own items
    (tests/slack/test_checkin_modal.py). The flow it calls decides by the table for anyone."""
    from bot.checkins import flows as checkin_flows

    for _person, (uid, roles) in matrix.PEOPLE.items():
        with sqlite_bot.session_factory() as session:
            workspace = flows.workspace(session, TEAM_ID)
            try:
                checkin_flows.record_confidence(session, workspace, flows.Actor(uid),
                                                typed=matrix.KPI, confidence=6,
                                                now=matrix.datetime.now(matrix.UTC))
                done = True
            except NotAllowed:
                done = False
            session.rollback()
        assert done is allowed(Action.RECORD_CONFIDENCE, roles["kpi"])

