"""Where the digest meets the database: the team asked for (and whether the asker may see
it), its latest check-in cycle, each member's round and answers, its objectives, the open
blockers and the latest confidences, handed to the pure digest (bot/summaries/digest.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.access.policy import Action, Item
from bot.access.roles import require
from bot.alerts.models import MetricAlert
from bot.checkins import service as checkin_service
from bot.checkins.rounds import CheckinAnswer, CheckinRound, QuestionSet
from bot.errors import InvalidInput, NotFound
from bot.okrs.flows import Actor, Reading
from bot.okrs.method.chain import ChainNode, NodeKind
from bot.okrs.store.models import Metric, Objective
from bot.okrs.team_flows import named_team
from bot.people import service as people_service
from bot.people.models import Person, Team, TeamMembership, TeamRole
from bot.summaries.digest import (
    EXCUSED,
    LATE,
    MISSED,
    ON_TIME,
    OPEN,
    Digest,
    Participant,
    build_digest,
)
from bot.summaries.models import TeamDigest

WEEK = timedelta(days=7)


def find_team(db_session: Session, workspace_id: int, actor: Actor,
              typed: str | None) -> Team:
    """The team named, or with no name the asker's own (the one they manage first)."""
    if typed:
        found = named_team(db_session, workspace_id, typed)
        if found is None:
            raise NotFound(f"No team matches “{typed}”. Name a team by its key or name.",
                           kind="team", typed=typed)
        return found
    teams = list(db_session.scalars(select(Team).where(Team.workspace_id == workspace_id)
                                    .order_by(Team.id)))
    roles = dict(db_session.execute(
        select(TeamMembership.team_id, TeamMembership.role)
        .join(Person, Person.id == TeamMembership.person_id)
        .where(Person.workspace_id == workspace_id,
               Person.slack_user_id == (actor.slack_user_id or ""))).all())
    mine = sorted((t for t in teams if t.id in roles),
                  key=lambda t: roles[t.id] is not TeamRole.MANAGER)
    if not mine:
        raise NotFound("You are in no team of the plan: name one, e.g. `summary growth`.",
                       kind="team", typed="")
    return mine[0]


def _members(db_session: Session, team: Team) -> dict[str, tuple[str, TeamRole]]:
    """Slack id → (the name the digest uses, role)."""
    rows = db_session.execute(
        select(Person.slack_user_id, Person.display_name, Person.real_name, TeamMembership.role)
        .join(TeamMembership, TeamMembership.person_id == Person.id)
        .where(TeamMembership.team_id == team.id).order_by(Person.slack_user_id)).all()
    return {uid: (display or real or uid, role) for uid, display, real, role in rows}


def team_item(team: Team, members: dict[str, tuple[str, TeamRole]]) -> Item:
    """A team's digest, as permissions see it: its managers are whose it is."""
    return Item(team.name, tuple(uid for uid, (_name, role) in members.items()
                                 if role is TeamRole.MANAGER), team_id=team.id)


def team_digest(reading: Reading, actor: Actor, *, typed: str | None = None) -> Digest:
    """The digest of the team named (or the asker's own) for its latest check-in cycle."""
    db_session, workspace = reading.db_session, reading.workspace
    team = find_team(db_session, workspace.id, actor, typed)
    members = _members(db_session, team)
    require(db_session, workspace.id, Action.SEE_TEAM_DIGEST, actor, team_item(team, members))
    keys = set(db_session.scalars(select(Objective.key).where(
        Objective.workspace_id == workspace.id, Objective.team_id == team.id)))
    objectives = [o for o in reading.chain.of_kind(NodeKind.OBJECTIVE)
                  if o.key in keys or (not keys and o.owner in members)]
    return _digest(reading, team.name, {uid: name for uid, (name, _r) in members.items()},
                   objectives, team_id=team.id)


def team_to_post(db_session: Session, workspace_id: int, actor: Actor,
                 typed: str | None) -> Team:
    """The team whose digest the actor asks to post in its channel now, if they may."""
    team = find_team(db_session, workspace_id, actor, typed)
    require(db_session, workspace_id, Action.POST_TEAM_DIGEST, actor,
            team_item(team, _members(db_session, team)))
    if team.slack_channel_id is None:
        raise InvalidInput(f"{team.name} has no channel to post in: give the team a "
                           "`channel:` in the plan.", field="team",
                           expected="a team with a channel")
    return team


def line_digest(reading: Reading, actor: Actor, *, person: str) -> Digest:
    """What a manager's DM says: the same digest over their whole reporting line (everyone
    below them, directly or through others) and what those people own. For the manager,
    anyone above them, and workspace admins."""
    db_session, workspace = reading.db_session, reading.workspace
    require(db_session, workspace.id, Action.SEE_LINE_DIGEST, actor,
            Item("reporting line", (person,)))
    line = people_service.reporting_line(db_session=db_session, workspace_id=workspace.id,
                                         slack_user_id=person)
    names = dict(db_session.execute(select(
        Person.slack_user_id, func.coalesce(Person.display_name, Person.real_name,
                                            Person.slack_user_id))
        .where(Person.workspace_id == workspace.id,
               Person.slack_user_id.in_(list(line)))).all())
    members = {uid: names.get(uid, uid) for uid in line if uid != person}
    objectives = [o for o in reading.chain.of_kind(NodeKind.OBJECTIVE) if o.owner in line]
    return _digest(reading, f"{names.get(person, person)}'s reporting line", members,
                   objectives)


def _digest(reading: Reading, title: str, members: dict[str, str],
            objectives: list[ChainNode], team_id: int | None = None) -> Digest:
    db_session, workspace, now = reading.db_session, reading.workspace, reading.now
    rounds = list(db_session.scalars(select(CheckinRound).where(
        CheckinRound.workspace_id == workspace.id,
        CheckinRound.slack_user_id.in_(list(members)), CheckinRound.due_at <= now)))
    cycle = max((r.cycle for r in rounds), default=None)
    current = {r.slack_user_id: r for r in rounds if r.cycle == cycle}
    window = ((min(r.due_at for r in current.values()), max(r.closes_at for r in current.values()))
              if current else (now - WEEK, now))
    answers = _answers(db_session, workspace.id, [r.id for r in current.values()])
    participants = [
        Participant(uid, name, _state(current[uid], now), answers.get(current[uid].id, ()))
        for uid, name in members.items() if uid in current]
    chain = reading.chain
    blockers = checkin_service.open_blockers(db_session=db_session, workspace_id=workspace.id)
    confidences = checkin_service.latest_confidences_by_key(
        db_session=db_session, workspace_id=workspace.id,
        keys=[n.key for n in chain.nodes.values()
              if n.kind in (NodeKind.KEY_RESULT, NodeKind.KPI)])
    red = db_session.execute(
        select(Metric.name, MetricAlert.reason, MetricAlert.action, Metric.objective_id)
        .join(Metric, Metric.id == MetricAlert.metric_id)
        .where(MetricAlert.workspace_id == workspace.id, MetricAlert.level == "red",
               MetricAlert.opened_at >= window[0], MetricAlert.opened_at <= now)
        .order_by(MetricAlert.opened_at)).all()
    ours = {o.key for o in objectives}
    objective_keys = dict(db_session.execute(select(Objective.id, Objective.key).where(
        Objective.workspace_id == workspace.id)).all())
    alerts = [f"{name}: {reason}" + (f" (the plan says: {action})" if action else "")
              for name, reason, action, objective_id in red
              if objective_id is None or objective_keys.get(objective_id) in ours]
    # What changed since the team's previous digest (a manager's line: since the window).
    since = db_session.scalar(select(func.max(TeamDigest.window_closed_at)).where(
        TeamDigest.team_id == team_id, TeamDigest.cycle != (cycle or ""),
        TeamDigest.window_closed_at < window[0])) if team_id is not None else None
    return build_digest(team=title, cycle=cycle or "no check-in yet", window=window,
                        chain=chain, objectives=objectives, participants=participants,
                        blockers=blockers, confidences=confidences, now=now, alerts=alerts,
                        since=since)


def _state(checkin_round: CheckinRound, now: datetime) -> str:
    if checkin_round.status == "answered" and checkin_round.answered_at is not None:
        return ON_TIME if checkin_round.answered_at <= checkin_round.closes_at else LATE
    if checkin_round.status == "excused":
        return EXCUSED
    if checkin_round.status == "missed" or checkin_round.closes_at <= now:
        return MISSED
    return OPEN


def _answers(db_session: Session, workspace_id: int,
             round_ids: list[int]) -> dict[int, tuple[tuple[str, str], ...]]:
    """Each round's answers to the three questions, worded as they were asked."""
    if not round_ids:
        return {}
    rows = db_session.execute(
        select(CheckinAnswer.round_id, CheckinAnswer.answers, QuestionSet.questions)
        .join(QuestionSet, QuestionSet.id == CheckinAnswer.question_set_id)
        .where(CheckinAnswer.workspace_id == workspace_id,
               CheckinAnswer.round_id.in_(round_ids), CheckinAnswer.part == 1,
               CheckinAnswer.superseded_at.is_(None))).all()
    out = {}
    for round_id, answers, questions in rows:
        out[round_id] = tuple((q["text"], str(answers.get(q["key"], "")))
                              for q in questions if str(answers.get(q["key"], "")).strip())
    return out
