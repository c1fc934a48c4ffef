"""The `post-digests` job: each team's digest in its channel when its check-in window closes,
once per team and cycle, then its detail in the headline's thread, then late answers added
there. What happens once is decided in the database: a team_digests row claimed before the
headline is queued, its `threaded_at` set in the transaction that queues the thread, and each
late answer queued under a key of its own (the outbox sends each exactly once)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.checkins.rounds import CheckinAnswer, CheckinRound, QuestionSet
from bot.db import transaction
from bot.okrs.flows import Actor, Reading
from bot.okrs.store.cache import ChainCache
from bot.outbox.models import OutboxMessage, OutboxStatus
from bot.outbox.queue import enqueue
from bot.people.models import Person, Team, TeamMembership, TeamRole, Workspace
from bot.slack.blocks.digest import detail_parts, headline, late_answer, manager_dm
from bot.summaries.flows import line_digest, team_digest
from bot.summaries.models import TeamDigest

# A window that closed longer ago than this (an outage, a first start) is not posted late:
# a digest of an old week helps nobody decide anything now.
POST_WITHIN = timedelta(days=2)
# Answers this long after their digest are not added to its thread: by then the next week's
# digest is out, and the job would read ever more past cycles every minute.
LATE_WITHIN = timedelta(days=7)


@dataclass
class PostTally:
    posted: int = 0
    threaded: int = 0
    late: int = 0

    def __str__(self) -> str:
        return (f"digests posted: {self.posted}, threads: {self.threaded}, late answers "
                f"added: {self.late}")


def post_digests(session_factory: sessionmaker[Session], chains: ChainCache,
                 now: datetime) -> PostTally:
    tally = PostTally()
    with session_factory() as session:
        teams = session.execute(
            select(Team.id, Team.workspace_id).join(Workspace)
            .where(Team.slack_channel_id.is_not(None), Workspace.reachable())
            .order_by(Team.id)).all()
    for team_id, _workspace_id in teams:
        with transaction(session_factory) as session:
            tally.posted += _post_headline(session, chains, team_id, now)
        with transaction(session_factory) as session:
            tally.posted += _post_asked_for(session, chains, team_id, now)
        with transaction(session_factory) as session:
            tally.threaded += _post_thread(session, chains, team_id, now)
        with transaction(session_factory) as session:
            tally.late += _post_late_answers(session, team_id, now)
    return tally


def _closed_cycle(session: Session, team: Team, now: datetime) -> tuple[str, datetime] | None:
    """The team's latest cycle whose every round has closed, and when the last one closed."""
    members = select(Person.slack_user_id).join(
        TeamMembership, TeamMembership.person_id == Person.id).where(
        TeamMembership.team_id == team.id)
    latest = session.execute(
        select(CheckinRound.cycle, func.max(CheckinRound.closes_at))
        .where(CheckinRound.workspace_id == team.workspace_id,
               CheckinRound.slack_user_id.in_(members), CheckinRound.due_at <= now)
        .group_by(CheckinRound.cycle).order_by(CheckinRound.cycle.desc()).limit(1)).first()
    if latest is None or latest[1] > now or latest[1] < now - POST_WITHIN:
        return None
    return latest[0], latest[1]


def _reading(session: Session, chains: ChainCache, team: Team, now: datetime) -> Reading:
    return Reading(session, chains, team.workspace, now)


def _post_headline(session: Session, chains: ChainCache, team_id: int, now: datetime) -> int:
    team = session.get(Team, team_id)
    if team is None or team.slack_channel_id is None:
        return 0
    closed = _closed_cycle(session, team, now)
    if closed is None:
        return 0
    cycle, closed_at = closed
    row = TeamDigest(workspace_id=team.workspace_id, team_id=team.id, cycle=cycle,
                     window_closed_at=closed_at, created_at=now)
    if not _claimed(session, row):
        return 0  # posted already, by an earlier tick or another replica
    reading = _queue_headline(session, chains, team, row, now)
    _tell_managers(session, reading, team, cycle, now)
    return 1


def _claimed(session: Session, row: TeamDigest) -> bool:
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True


def _queue_headline(session: Session, chains: ChainCache, team: Team, row: TeamDigest,
                    now: datetime) -> Reading:
    """The digest's headline for the team's channel, queued with its row."""
    reading = _reading(session, chains, team, now)
    message = headline(team_digest(reading, Actor.operator(), typed=team.key or team.name))
    queued = enqueue(session, team_id=reading.workspace.slack_team_id, kind="digest",
                     dedupe_key=f"digest:{team.id}:{row.cycle}", text=message["text"],
                     blocks=message["blocks"], channel=team.slack_channel_id, now=now)
    row.headline_id = queued.id
    return reading


ON_DEMAND = "on demand"  # the cycle of a digest someone asked to post now


def ask_to_post(session: Session, team: Team, now: datetime) -> bool:
    """Claim a digest of the team to be posted now (`/okr summary`, `okr-bot summary --post`):
    the next tick builds and queues it. False if one was asked for this minute already."""
    return _claimed(session, TeamDigest(
        workspace_id=team.workspace_id, team_id=team.id,
        cycle=f"{ON_DEMAND} {now:%Y-%m-%d %H:%M}", window_closed_at=now, created_at=now))


def _post_asked_for(session: Session, chains: ChainCache, team_id: int, now: datetime) -> int:
    row = session.scalars(select(TeamDigest).where(
        TeamDigest.team_id == team_id, TeamDigest.headline_id.is_(None),
        TeamDigest.cycle.startswith(ON_DEMAND)).with_for_update().limit(1)).first()
    team = session.get(Team, team_id)
    if row is None or team is None or team.slack_channel_id is None:
        return 0
    _queue_headline(session, chains, team, row, now)
    return 1


def _tell_managers(session: Session, reading: Reading, team: Team, cycle: str,
                   now: datetime) -> None:
    """Each manager of the team, their whole reporting line's week by DM: once per manager and
    cycle, whichever of their teams closes first (the outbox's key refuses a second)."""
    managers = session.scalars(select(Person.slack_user_id).join(
        TeamMembership, TeamMembership.person_id == Person.id).where(
        TeamMembership.team_id == team.id, TeamMembership.role == TeamRole.MANAGER))
    for manager in managers:
        key = f"manager-digest:{manager}:{cycle}"
        if session.scalar(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.team_id == reading.workspace.slack_team_id,
                OutboxMessage.dedupe_key == key)):
            continue
        message = manager_dm(line_digest(reading, Actor.operator(), person=manager),
                             person=manager)
        enqueue(session, team_id=reading.workspace.slack_team_id, kind="manager-digest",
                dedupe_key=key, text=message["text"], blocks=message["blocks"],
                user_id=manager, now=now)


def _post_thread(session: Session, chains: ChainCache, team_id: int, now: datetime) -> int:
    """The detail, as replies to the headline once Slack has given the headline its ts."""
    found = session.execute(
        select(TeamDigest, OutboxMessage).join(OutboxMessage,
                                               OutboxMessage.id == TeamDigest.headline_id)
        .where(TeamDigest.team_id == team_id, TeamDigest.threaded_at.is_(None),
               OutboxMessage.status == OutboxStatus.SENT)).first()
    if found is None:
        return 0
    row, sent = found
    newest = session.scalar(select(func.max(CheckinAnswer.id)).where(
        CheckinAnswer.workspace_id == row.workspace_id)) or 0
    claimed = session.execute(update(TeamDigest).where(
        TeamDigest.id == row.id, TeamDigest.threaded_at.is_(None))
        .values(threaded_at=now, answers_through=newest))
    if claimed.rowcount != 1:
        return 0
    team = session.get(Team, team_id)
    if team is None or sent.ts is None:
        return 0  # the team left the plan meanwhile; a sent message always has its ts
    reading = _reading(session, chains, team, row.window_closed_at)
    digest = team_digest(reading, Actor.operator(), typed=team.key or team.name)
    for number, part in enumerate(detail_parts(digest, now=row.window_closed_at), start=1):
        enqueue(session, team_id=sent.team_id, kind="digest-detail",
                dedupe_key=f"digest:{team.id}:{row.cycle}:{number}", text=part["text"],
                blocks=part["blocks"], channel=sent.sent_channel or sent.channel,
                thread_ts=sent.ts, now=now)
    return 1


def _post_late_answers(session: Session, team_id: int, now: datetime) -> int:
    """Answers to a posted cycle that arrived after its thread was queued, added to it; the
    digest's `answers_through` moves past each, so the next tick reads only newer ones (the
    outbox's key still refuses a second copy from a replica that read them at the same time)."""
    rows = session.execute(
        select(TeamDigest, OutboxMessage, CheckinAnswer,
               QuestionSet.questions, Person)
        .join(OutboxMessage, OutboxMessage.id == TeamDigest.headline_id)
        .join(CheckinRound, (CheckinRound.cycle == TeamDigest.cycle)
              & (CheckinRound.workspace_id == TeamDigest.workspace_id))
        .join(Person, (Person.slack_user_id == CheckinRound.slack_user_id)
              & (Person.workspace_id == TeamDigest.workspace_id))
        .join(TeamMembership, (TeamMembership.person_id == Person.id)
              & (TeamMembership.team_id == TeamDigest.team_id))
        .join(CheckinAnswer, (CheckinAnswer.round_id == CheckinRound.id)
              & (CheckinAnswer.part == 1) & CheckinAnswer.superseded_at.is_(None))
        .join(QuestionSet, QuestionSet.id == CheckinAnswer.question_set_id)
        .where(TeamDigest.team_id == team_id, TeamDigest.threaded_at.is_not(None),
               TeamDigest.created_at >= now - LATE_WITHIN,
               OutboxMessage.status == OutboxStatus.SENT,
               CheckinAnswer.id > TeamDigest.answers_through)).all()
    told = 0
    for digest, sent, answer, questions, person in rows:
        asked = [(q["text"], str(answer.answers.get(q["key"], ""))) for q in questions
                 if str(answer.answers.get(q["key"], "")).strip()]
        message = late_answer(person.display_name or person.real_name or person.slack_user_id,
                              asked)
        enqueue(session, team_id=sent.team_id, kind="digest-late",
                dedupe_key=f"digest:{digest.team_id}:{digest.cycle}:late:{answer.id}",
                text=message["text"], blocks=message["blocks"],
                channel=sent.sent_channel or sent.channel, thread_ts=sent.ts,
                now=answer.submitted_at)
        digest.answers_through = max(digest.answers_through or 0, answer.id)
        told += 1
    return told
