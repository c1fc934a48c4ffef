"""The check-in flows: what the modal asks one person (checkin_form) and recording what they
submitted (submit_checkin), the same from the DM's button, `/okr checkin` and the CLI.

A submission is checked whole before anything is written (every wrong field is named at
once, InvalidFields), then recorded in the caller's one transaction through the same flows as
`/okr update`, confidence and `/okr blocker add`, so the same permission and range rules hold.
The same submission twice (a double click, Slack's retry) records once; a later edit adds a
new version and keeps the earlier one.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, contains_eager

from bot.checkins import flows as checkin_flows
from bot.checkins import service
from bot.checkins.blocker_rules import GENERAL, check_text
from bot.checkins.confidence import check_confidence
from bot.checkins.form import (
    DEFAULT_QUESTIONS,
    MAX_ANSWER,
    CheckinForm,
    CheckinRecorded,
    Greeting,
    OwnedItem,
    Question,
    Submission,
)
from bot.checkins.round_actions import own_round
from bot.checkins.rounds import CheckinAnswer, CheckinRound, QuestionSet
from bot.errors import DomainError, InvalidFields
from bot.okrs import flows, value_flows
from bot.okrs.method.enums import MetricKind, Source
from bot.okrs.method.health import Measurement as Point
from bot.okrs.method.health import format_value
from bot.okrs.method.plausibility import check_value
from bot.okrs.method.typed_values import parse_value
from bot.okrs.store.loader import recent_measurements
from bot.okrs.store.models import Metric, Objective
from bot.people.models import Workspace

ASKED = (MetricKind.KEY_RESULT, MetricKind.KPI)
KIND_LABEL = {MetricKind.KEY_RESULT: "Key result", MetricKind.KPI: "KPI"}


def question_set(db_session: Session, workspace: Workspace, now: datetime) -> QuestionSet:
    """The workspace's questions as worded now (the default set, stored on first use)."""
    found = db_session.scalar(select(QuestionSet).where(QuestionSet.workspace_id == workspace.id)
                              .order_by(QuestionSet.version.desc()).limit(1))
    if found is None:
        found = QuestionSet(workspace_id=workspace.id, version=1, created_at=now,
                            questions=[{"key": k, "text": t} for k, t in DEFAULT_QUESTIONS])
        db_session.add(found)
        db_session.flush()
    return found


def owned_items(db_session: Session, workspace: Workspace, person: str) -> list[Metric]:
    """The key results and KPIs a person owns, grouped by objective, in the plan's order."""
    return owned_by_each(db_session, workspace, [person])[person]


def checkin_form(db_session: Session, workspace: Workspace, actor: flows.Actor, *,
                 now: datetime, round_id: int | None = None) -> CheckinForm:
    """The questions, the person's items with their current values and confidence, what they
    said they would do this week last time, and their open blockers."""
    person = actor.slack_user_id or ""
    cycle = None
    if round_id is not None:
        found = own_round(db_session, workspace, actor, round_id, lock=False)
        cycle = found.cycle
    questions = question_set(db_session, workspace, now)
    metrics = owned_items(db_session, workspace, person)
    confidences = service.latest_confidences(db_session=db_session,
                                             metric_ids=[m.id for m in metrics])
    recent = recent_measurements(db_session, [m.id for m in metrics])  # one query, not one each
    items = []
    for metric in metrics:
        series = recent.get(metric.id, [])
        current = (format_value(series[-1].value, metric.unit, series[-1].decimals)
                   if series else "")
        items.append(OwnedItem(key=metric.key, name=metric.name, kind=KIND_LABEL[metric.kind],
                               unit=metric.unit, current=current,
                               group=metric.objective.name if metric.objective else "KPIs",
                               confidence=confidences.get(metric.id)))
    return CheckinForm(
        question_set_id=questions.id,
        questions=[Question(q["key"], q["text"]) for q in questions.questions],
        items=items, round_id=round_id, cycle=cycle,
        last_priorities=_last_answer(db_session, workspace, person, "priorities", round_id),
        open_blockers=service.open_blockers(db_session=db_session, workspace_id=workspace.id,
                                            people={person}),
        previous=_previous(db_session, workspace, person, round_id))


def submit_checkin(db_session: Session, workspace: Workspace, actor: flows.Actor,
                   submission: Submission, *, submission_key: str, question_set_id: int,
                   now: datetime, round_id: int | None = None) -> CheckinRecorded:
    """Check the whole submission, then record answers, values, confidences and a blocker."""
    person = actor.slack_user_id or ""
    repeat = db_session.scalar(select(CheckinAnswer).where(
        CheckinAnswer.workspace_id == workspace.id,
        CheckinAnswer.submission_key == submission_key))
    if repeat is not None:
        return CheckinRecorded(answer_id=repeat.id, repeated=True, edited=False)
    checkin_round = (own_round(db_session, workspace, actor, round_id)
                     if round_id is not None else None)
    if checkin_round is not None and now >= checkin_round.closes_at:
        raise InvalidFields({"accomplished": "This check-in closed "
                             f"{checkin_round.closes_at:%a %d %b %H:%M} UTC. Nothing was "
                             "saved: open a new check-in to send it as an off-cycle update."})
    metrics = {m.key: m for m in owned_items(db_session, workspace, person)}
    _check(submission, metrics)
    earlier = 0
    if round_id is not None:  # an off-cycle update never replaces another one
        earlier = db_session.execute(update(CheckinAnswer).where(
            CheckinAnswer.workspace_id == workspace.id, CheckinAnswer.slack_user_id == person,
            CheckinAnswer.round_id == round_id, CheckinAnswer.part == submission.part,
            CheckinAnswer.superseded_at.is_(None)).values(superseded_at=now)).rowcount
    answer = CheckinAnswer(workspace_id=workspace.id, slack_user_id=person, round_id=round_id,
                           question_set_id=question_set_id, part=submission.part,
                           answers=dict(submission.answers), submission_key=submission_key,
                           submitted_at=now)
    db_session.add(answer)
    recorded = value_flows.update_all(db_session, workspace, [
        value_flows.ValueUpdate(actor, typed=key, value_text=text, source=Source.CHECKIN)
        for key, text in submission.values.items() if text.strip()], now=now)
    confidences = [checkin_flows.record_confidence(db_session, workspace, actor, typed=key,
                                                   confidence=value, now=now,
                                                   source=Source.CHECKIN)
                   for key, value in submission.confidences.items()]
    blocker = None
    if submission.blocker is not None and submission.blocker.text.strip():
        helper = submission.blocker.helper
        text = submission.blocker.text + (f" (could help: <@{helper}>)" if helper else "")
        blocker = checkin_flows.raise_blocker(db_session, workspace, actor,
                                              typed=submission.blocker.item or GENERAL,
                                              text=text, now=now, source=Source.CHECKIN)
    if checkin_round is not None and checkin_round.answered_at is None:
        checkin_round.status, checkin_round.answered_at = "answered", now
    db_session.flush()
    return CheckinRecorded(answer_id=answer.id, repeated=False, edited=bool(earlier),
                           recorded=recorded, confidences=confidences, blocker=blocker)


def _check(submission: Submission, metrics: dict[str, Metric]) -> None:
    """Every wrong field at once, each in words the person can act on."""
    errors: dict[str, str] = {}
    for key, text in submission.answers.items():
        if len(text) > MAX_ANSWER:
            errors[key] = f"At most {MAX_ANSWER:,} characters (this has {len(text):,})."
    for key, text in submission.values.items():
        metric = metrics.get(key)
        if metric is None:
            errors[f"value:{key}"] = "Not one of your key results or KPIs any more."
        elif text.strip():
            try:
                check_value(parse_value(text), unit=metric.unit, name=metric.name,
                            declared=metric.value_range)
            except DomainError as error:
                errors[f"value:{key}"] = error.message
    for key, value in submission.confidences.items():
        try:
            check_confidence(value)
        except DomainError as error:
            errors[f"confidence:{key}"] = error.message
        if key not in metrics:
            errors[f"confidence:{key}"] = "Not one of your key results or KPIs any more."
    blocker = submission.blocker
    if blocker is not None and blocker.text.strip():
        try:
            check_text(blocker.text)
        except DomainError as error:
            errors["blocker_text"] = error.message
        if blocker.item not in ("", GENERAL) and blocker.item not in metrics:
            errors["blocker_item"] = "Pick one of your items, or “general”."
    if errors:
        raise InvalidFields(errors)


def _last_answer(db_session: Session, workspace: Workspace, person: str, key: str,
                 round_id: int | None) -> str:
    """What the person answered to `key` in their latest earlier round ("" if never)."""
    query = (select(CheckinAnswer.answers).where(
        CheckinAnswer.workspace_id == workspace.id, CheckinAnswer.slack_user_id == person,
        CheckinAnswer.superseded_at.is_(None), CheckinAnswer.part == 1)
        .order_by(CheckinAnswer.submitted_at.desc(), CheckinAnswer.id.desc()).limit(1))
    if round_id is not None:
        query = query.where(func.coalesce(CheckinAnswer.round_id, 0) != round_id)
    answers = db_session.scalar(query) or {}
    return str(answers.get(key, ""))


def _previous(db_session: Session, workspace: Workspace, person: str,
              round_id: int | None) -> dict[str, str]:
    """The answers already given this round (an edit starts from them)."""
    if round_id is None:
        return {}
    answers = db_session.scalar(select(CheckinAnswer.answers).where(
        CheckinAnswer.workspace_id == workspace.id, CheckinAnswer.slack_user_id == person,
        CheckinAnswer.round_id == round_id, CheckinAnswer.part == 1,
        CheckinAnswer.superseded_at.is_(None)))
    return {str(k): str(v) for k, v in (answers or {}).items()}


def open_round(db_session: Session, workspace: Workspace, person: str,
               now: datetime) -> CheckinRound | None:
    """The person's round whose window is open now, if any (what `/okr checkin` answers)."""
    return db_session.scalar(select(CheckinRound).where(
        CheckinRound.workspace_id == workspace.id, CheckinRound.slack_user_id == person,
        CheckinRound.due_at <= now, CheckinRound.closes_at > now,
        CheckinRound.status.in_(("due", "answered")))
        .order_by(CheckinRound.due_at.desc()).limit(1))


def greeting(db_session: Session, workspace: Workspace, person: str, *, since: datetime | None,
             closes: str) -> Greeting:
    """What the DM says: how many key results and KPIs the person owns, and which of them
    moved since their last check-in (`since`; None: never checked in)."""
    metrics = owned_items(db_session, workspace, person)
    recent = recent_measurements(db_session, [m.id for m in metrics])
    return greeting_of(metrics, recent, since=since, closes=closes)


def owned_by_each(db_session: Session, workspace: Workspace,
                  people: Collection[str]) -> dict[str, list[Metric]]:
    """owned_items of many people in one query (the check-in job greets them in batches)."""
    found: dict[str, list[Metric]] = {person: [] for person in people}
    for metric in db_session.scalars(
            select(Metric).outerjoin(Objective, Metric.objective_id == Objective.id)
            .where(Metric.workspace_id == workspace.id, Metric.owner.in_(list(people)),
                   Metric.kind.in_(ASKED))
            .order_by(Metric.kind, Objective.position.nulls_last(), Metric.position,
                      Metric.key)
            .options(contains_eager(Metric.objective))):
        found[metric.owner or ""].append(metric)
    return found


def greeting_of(metrics: list[Metric], recent: Mapping[int, Sequence[Point]], *,
                since: datetime | None, closes: str) -> Greeting:
    """The greeting from what was read already: the person's items and their recent values."""
    changes = []
    for metric in metrics:
        series = recent.get(metric.id, [])
        if not series or (since is not None and series[-1].measured_at <= since):
            continue
        before = [p for p in series if since is not None and p.measured_at <= since]
        new = format_value(series[-1].value, metric.unit, series[-1].decimals)
        if before:
            old = format_value(before[-1].value, metric.unit, before[-1].decimals)
            changes.append(f"{metric.name}: {old} → {new}")
        else:
            changes.append(f"{metric.name}: {new}")
    return Greeting(key_results=sum(m.kind is MetricKind.KEY_RESULT for m in metrics),
                    kpis=sum(m.kind is MetricKind.KPI for m in metrics), changes=changes,
                    closes=closes)
