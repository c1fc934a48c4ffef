"""Team views: what a person's reporting line, a channel's team or a named team owns, the same
for `/okr team`, `/okr blockers team` and (later) the managers' digests."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.errors import Ambiguous, NotFound
from bot.okrs.flows import Actor, Reading, choices_of, owned_by
from bot.okrs.method.names import Candidate, resolve
from bot.okrs.views import TeamView
from bot.people import service as people_service
from bot.people.models import Person, Team, TeamMembership, Workspace


def reporting_line(db_session: Session, workspace: Workspace, actor: Actor) -> dict[str, int]:
    """The actor and everyone below them: Slack id → levels below (0 the actor, 1 a direct
    report, 2 and more reached through others)."""
    if actor.slack_user_id is None:
        return {}
    return people_service.reporting_line(db_session=db_session, workspace_id=workspace.id,
                                         slack_user_id=actor.slack_user_id)


def team(reading: Reading, actor: Actor, *, person: str | None = None,
         channel: str | None = None, name: str | None = None) -> TeamView:
    """What a team owns: a person's whole reporting line (`person`), the team whose channel is
    `channel`, or the team called `name`."""
    db_session, workspace_id = reading.db_session, reading.workspace.id
    if person is not None:
        line = people_service.reporting_line(db_session=db_session, workspace_id=workspace_id,
                                             slack_user_id=person)
        title = f"Team of {'you' if person == actor.slack_user_id else 'that person'}"
        further = sum(1 for level in line.values() if level > 1)
        if len(line) > 1:
            title += (f": {len(line) - 1} in the reporting line"
                      + (f", {further} of them through others" if further else ""))
        return TeamView(title, owned_by(reading.chain, set(line)), dict(line))
    teams = select(Team).where(Team.workspace_id == workspace_id)
    if channel is not None:
        found = db_session.scalars(teams.where(Team.slack_channel_id == channel)).first()
        typed = f"<#{channel}>"
    else:
        typed = name or ""
        found = named_team(db_session, workspace_id, typed)
    if found is None:
        raise NotFound(f"No team matches “{typed}”. Name a team, a #channel with a team, or an "
                       "@person.", kind="team", typed=typed)
    members = set(db_session.scalars(
        select(Person.slack_user_id).join(TeamMembership, TeamMembership.person_id == Person.id)
        .where(TeamMembership.team_id == found.id)))
    return TeamView(f"Team {found.name}", owned_by(reading.chain, members), {})


def named_team(db_session: Session, workspace_id: int, typed: str) -> Team | None:
    """The team whose key or name the words give (None: no team); Ambiguous with the
    candidates when several fit."""
    match = resolve(typed, [Candidate(t.key or t.name, t.name, t) for t in db_session.scalars(
        select(Team).where(Team.workspace_id == workspace_id).order_by(Team.id))])
    if match.ambiguous:
        raise Ambiguous(f"“{typed}” fits {len(match.choices)} teams. Which one?",
                        typed=typed, choices=choices_of(match.choices), kind="team")
    return match.found
