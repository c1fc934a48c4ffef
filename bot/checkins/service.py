"""Blockers and confidence, raised, resolved, listed and recorded the same way from `/okr` and
(later) from check-ins. The caller owns the transaction.

Neither touches the workspace's data version: the cached chain holds neither, and every reader
(`/okr status`, `/okr blockers`) asks the database for them fresh.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable
from dataclasses import replace
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Select,
    bindparam,
    func,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.access.policy import Action, Actor, Item
from bot.access.roles import require
from bot.checkins.blocker_rules import (
    BlockedItem,
    BlockerEntry,
    NotAllowedToResolve,
    Resolution,
    check_text,
    ordered,
)
from bot.checkins.confidence import Confidence, check_confidence
from bot.checkins.models import Blocker, ConfidenceReport
from bot.db import one_of
from bot.errors import InvalidInput, NotFound
from bot.okrs.method.chain import NodeId, NodeKind
from bot.okrs.method.enums import MetricKind, Source
from bot.okrs.method.names import Candidate
from bot.okrs.store.measurements import could_be_named
from bot.okrs.store.models import Activity, Metric, Objective

METRIC_KINDS = {MetricKind.KEY_RESULT: NodeKind.KEY_RESULT, MetricKind.KPI: NodeKind.KPI}
NUMBER_ATTEMPTS = 5  # two people raising at the same instant race for a number; retry
CANDIDATES = 200  # names that could fit what was typed: enough for a pick list, never the plan


class UnknownBlocker(NotFound):
    def __init__(self, number: int) -> None:
        super().__init__(f"There is no blocker B-{number} in this workspace.", kind="blocker",
                         typed=str(number))
        self.number = number


NotAllowed = NotAllowedToResolve


def _entries() -> Select:
    return (select(Blocker, Objective, Metric, Activity)
            .outerjoin(Objective, Objective.id == Blocker.objective_id)
            .outerjoin(Metric, Metric.id == Blocker.metric_id)
            .outerjoin(Activity, Activity.id == Blocker.activity_id))


def _item(objective: Objective | None, metric: Metric | None,
          activity: Activity | None) -> BlockedItem | None:
    if objective is not None:
        return BlockedItem(NodeKind.OBJECTIVE, objective.id, objective.key, objective.name,
                           objective.owner)
    if metric is not None:
        return BlockedItem(METRIC_KINDS[metric.kind], metric.id, metric.key, metric.name,
                           metric.owner)
    if activity is not None:
        return BlockedItem(NodeKind.ACTIVITY, activity.id, activity.key, activity.name,
                           activity.owner)
    return None


def _entry(blocker: Blocker, item: BlockedItem | None) -> BlockerEntry:
    return BlockerEntry(number=blocker.number, text=blocker.text, author=blocker.author,
                        created_at=blocker.created_at, source=blocker.source, item=item,
                        resolved_at=blocker.resolved_at, resolved_by=blocker.resolved_by,
                        resolution=blocker.resolution)


def blockable(*, db_session: Session, workspace_id: int, typed: str) -> list[Candidate]:
    """Objectives, key results, KPIs and activities whose key or name could be what was typed,
    as candidates for `targets.resolve` (one bounded query)."""
    def could_be(model: type) -> ColumnElement[bool]:
        return could_be_named(model.key, model.name, typed)

    def rows(model: type, kind: ColumnElement[str], *where: ColumnElement[bool]) -> Select:
        return (select(kind.label("kind"), model.id, model.key, model.name, model.owner)
                .where(model.workspace_id == workspace_id, could_be(model), *where))

    query = union_all(
        rows(Objective, literal(NodeKind.OBJECTIVE.value)),
        rows(Metric, Metric.kind, Metric.kind.in_(list(METRIC_KINDS))),
        rows(Activity, literal(NodeKind.ACTIVITY.value))).limit(CANDIDATES)
    return [Candidate(key=key, name=name, item=BlockedItem(NodeKind(kind), row_id, key, name,
                                                           owner))
            for kind, row_id, key, name, owner in db_session.execute(query)]


def raise_blocker(*, db_session: Session, workspace_id: int, author: str, text: str,
                  source: Source, now: datetime, objective_id: int | None = None,
                  metric_id: int | None = None, activity_id: int | None = None) -> BlockerEntry:
    """Store a blocker on one item (or, with none given, a general one) under the workspace's
    next number. InvalidInput when the text is empty or too long, NotFound when the item is
    not one of the workspace's objectives, key results, KPIs or activities."""
    text = check_text(text)
    given = [i for i in (objective_id, metric_id, activity_id) if i is not None]
    if len(given) > 1:
        raise TypeError("a blocker blocks one item at most")  # a caller's bug, not a person's
    item = _blockable_item(db_session, workspace_id, objective_id, metric_id, activity_id)
    attempts = 0
    while True:
        try:
            with db_session.begin_nested():
                number = db_session.scalar(
                    select(func.coalesce(func.max(Blocker.number), 0) + 1)
                    .where(Blocker.workspace_id == workspace_id))
                blocker = Blocker(workspace_id=workspace_id, number=number, author=author,
                                  text=text, objective_id=objective_id, metric_id=metric_id,
                                  activity_id=activity_id, source=source, created_at=now)
                db_session.add(blocker)
                db_session.flush()
            return _entry(blocker, item)
        except IntegrityError:
            attempts += 1
            if attempts == NUMBER_ATTEMPTS:
                raise


def _blockable_item(db_session: Session, workspace_id: int, objective_id: int | None,
                    metric_id: int | None, activity_id: int | None) -> BlockedItem | None:
    if objective_id is not None:
        objective = db_session.get(Objective, objective_id)
        if objective is None or objective.workspace_id != workspace_id:
            raise NotFound("that objective is not in this workspace's plan", kind="objective")
        return _item(objective, None, None)
    if metric_id is not None:
        metric = db_session.get(Metric, metric_id)
        if metric is None or metric.workspace_id != workspace_id:
            raise NotFound("that key result or KPI is not in this workspace's plan", kind="metric")
        if metric.kind not in METRIC_KINDS:
            raise InvalidInput("only objectives, key results, KPIs and activities can be "
                               "blocked; a goal or the North Star moves through them",
                               field="item", expected="an objective, key result, KPI or activity")
        return _item(None, metric, None)
    if activity_id is not None:
        activity = db_session.get(Activity, activity_id)
        if activity is None or activity.workspace_id != workspace_id:
            raise NotFound("that activity is not in this workspace's plan", kind="activity")
        return _item(None, None, activity)
    return None


def blocker_by_number(*, db_session: Session, workspace_id: int,
                      number: int) -> BlockerEntry | None:
    row = db_session.execute(_entries().where(Blocker.workspace_id == workspace_id,
                                              Blocker.number == number)).one_or_none()
    return _entry(row[0], _item(*row[1:])) if row is not None else None


def blocker_item(blocker: BlockerEntry) -> Item:
    """A blocker is its author's and the blocked item's owner's, the latter named first."""
    owners = [blocker.item.owner] if blocker.item is not None and blocker.item.owner else []
    return Item(blocker.label, tuple(dict.fromkeys([*owners, blocker.author])))


def may_resolve(*, db_session: Session, workspace_id: int, actor: Actor,
                blocker: BlockerEntry) -> None:
    """NotAllowed (naming whose it is) unless the actor may resolve, or confirm, this blocker:
    bot/access/policy.py decides."""
    require(db_session, workspace_id, Action.RESOLVE_BLOCKER, actor, blocker_item(blocker),
            refused=NotAllowed(blocker))


def resolve_blocker(*, db_session: Session, workspace_id: int, number: int, actor: str,
                    now: datetime, note: str | None = None,
                    operator: bool = False) -> Resolution:
    """Close a blocker. UnknownBlocker if the workspace has no such number; NotAllowed (and
    nothing changes) unless `may_resolve`; a blocker already resolved stays as it was."""
    blocker = blocker_by_number(db_session=db_session, workspace_id=workspace_id, number=number)
    if blocker is None:
        raise UnknownBlocker(number)
    if not blocker.is_open:
        return Resolution(blocker, changed=False)
    may_resolve(db_session=db_session, workspace_id=workspace_id, blocker=blocker,
                actor=Actor.operator() if operator else Actor(actor))
    note = (note or "").strip() or None
    # Only an open row is closed: of two people resolving at once, one wins and the other
    # is told it was already resolved, rather than overwriting who did it.
    closed = db_session.execute(
        update(Blocker).where(Blocker.workspace_id == workspace_id, Blocker.number == number,
                              Blocker.resolved_at.is_(None))
        .values(resolved_at=now, resolved_by=actor, resolution=note))
    if closed.rowcount == 0:
        db_session.expire_all()
        again = blocker_by_number(db_session=db_session, workspace_id=workspace_id,
                                  number=number)
        return Resolution(again or blocker, changed=False)
    return Resolution(replace(blocker, resolved_at=now, resolved_by=actor, resolution=note),
                      changed=True)


def open_blockers(*, db_session: Session, workspace_id: int,
                  people: Collection[str] | None = None,
                  on: Iterable[NodeId] | None = None) -> list[BlockerEntry]:
    """Open blockers of the workspace in the order they are listed (see blockers.ordered), in
    one query. `people`: only those raised by them or blocking something they own. `on`: only
    those blocking these nodes of the chain."""
    keys: dict[NodeKind, list[str]] = {}
    for kind, key in on or ():
        keys.setdefault(kind, []).append(key)
    named = {"objectives": keys.get(NodeKind.OBJECTIVE, []),
             "metrics": keys.get(NodeKind.KEY_RESULT, []) + keys.get(NodeKind.KPI, []),
             "activities": keys.get(NodeKind.ACTIVITY, [])}
    parameters: dict[str, object] = {"workspace_id": workspace_id}
    if people is None and on is not None:
        # `/okr status`'s question, on every request: a statement built once.
        query = _open_blockers_on(db_session.get_bind().dialect.name)
        parameters = {**parameters, **named}
    else:
        query = _entries().where(Blocker.workspace_id == workspace_id,
                                 Blocker.resolved_at.is_(None))
        if people is not None:
            query = query.where(or_(Blocker.author.in_(people), Objective.owner.in_(people),
                                    Metric.owner.in_(people), Activity.owner.in_(people)))
        if on is not None:
            query = query.where(or_(Objective.key.in_(named["objectives"]),
                                    Metric.key.in_(named["metrics"]),
                                    Activity.key.in_(named["activities"])))
    return ordered(_entry(row[0], _item(*row[1:]))
                   for row in db_session.execute(query, parameters))


@functools.cache
def _open_blockers_on(dialect: str) -> Select:
    """Open blockers on named items. Building a statement costs more Python than running it
    warm (SQLAlchemy caches the SQL, not the expression), so this one is built once; it is
    immutable, and its values are bound per call."""
    return _entries().where(
        Blocker.workspace_id == bindparam("workspace_id"), Blocker.resolved_at.is_(None),
        or_(one_of(Objective.key, "objectives", dialect),
            one_of(Metric.key, "metrics", dialect),
            one_of(Activity.key, "activities", dialect)))


def record_confidence(*, db_session: Session, metric: Metric, confidence: int,
                      reported_by: str, at: datetime, source: Source,
                      note: str | None = None) -> Confidence:
    """Store one report of confidence in a key result or KPI (1–10, see confidence.py).
    InvalidInput for another kind of metric or a value off the scale."""
    if metric.kind not in METRIC_KINDS:
        raise InvalidInput(f"confidence is reported for key results and KPIs, not a "
                           f"{metric.kind.value.replace('_', ' ')}", field="item",
                           expected="a key result or KPI")
    confidence = check_confidence(confidence)
    note = (note or "").strip() or None
    db_session.add(ConfidenceReport(metric_id=metric.id, confidence=confidence,
                                    reported_by=reported_by, reported_at=at, source=source,
                                    note=note))
    db_session.flush()
    return Confidence(metric_key=metric.key, confidence=confidence, reported_by=reported_by,
                      reported_at=at, source=source, note=note)


def latest_confidences_by_key(*, db_session: Session, workspace_id: int,
                              keys: Collection[str]) -> dict[str, Confidence]:
    """The newest confidence report of each of the workspace's metrics with these keys, in
    one statement built once (see _open_blockers_on)."""
    rows = db_session.execute(_latest_by_key(db_session.get_bind().dialect.name),
                              {"workspace_id": workspace_id,
                                                 "keys": list(keys)})
    return {row.metric_key: Confidence(metric_key=row.metric_key, confidence=row.confidence,
                                       reported_by=row.reported_by,
                                       reported_at=row.reported_at, source=Source(row.source),
                                       note=row.note)
            for row in rows}


@functools.cache
def _latest_by_key(dialect: str) -> Select:
    ids = select(Metric.id).where(Metric.workspace_id == bindparam("workspace_id"),
                                  one_of(Metric.key, "keys", dialect))
    return _latest_of(ids)


def _latest_of(metric_ids: Collection[int] | Select) -> Select:
    ranked = (select(ConfidenceReport, Metric.key.label("metric_key"),
                     func.row_number().over(
                         partition_by=ConfidenceReport.metric_id,
                         order_by=(ConfidenceReport.reported_at.desc(),
                                   ConfidenceReport.id.desc())).label("recency"))
              .join(Metric, Metric.id == ConfidenceReport.metric_id)
              .where(ConfidenceReport.metric_id.in_(metric_ids)).subquery())
    return select(ranked).where(ranked.c.recency == 1)


def latest_confidences(*, db_session: Session,
                       metric_ids: Collection[int] | Select) -> dict[int, Confidence]:
    """The newest confidence report of each of these metrics that has one, in one query."""
    rows = db_session.execute(_latest_of(metric_ids))
    return {row.metric_id: Confidence(metric_key=row.metric_key, confidence=row.confidence,
                                      reported_by=row.reported_by, reported_at=row.reported_at,
                                      source=Source(row.source), note=row.note)
            for row in rows}
