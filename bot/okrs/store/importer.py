"""`okr-bot plan import`: upsert a plan into the database by key, saying what changed.

Idempotent: importing the same plan twice changes nothing the second time. Links a node owns
(its thresholds, triggers, formula inputs, counter-metrics, what it measures) are replaced as a
whole when they differ. Nothing is deleted: what the database has and the plan no longer names
is listed, so a person decides. Measurements are added when none (not taken back) exists at
that instant."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot import clock
from bot.access import plan_roles
from bot.access.policy import Actor
from bot.okrs.method.enums import MetricKind, Source
from bot.okrs.plans import plan as p
from bot.okrs.store.import_report import ImportReport
from bot.okrs.store.models import (
    ActionTrigger,
    Activity,
    ActivityGoal,
    ActivityObjective,
    CounterMetric,
    Goal,
    Measurement,
    Metric,
    MetricActivity,
    MetricEdge,
    MetricObjective,
    MetricThresholds,
    NorthStar,
    Objective,
)
from bot.people.enums import TeamRole
from bot.people.models import Person, Team, TeamMembership, Workspace
from bot.people.service import bump_data_version, get_or_create_workspace, valid_time_zone


def _shown(value: Any) -> str:
    text = repr(value.value if hasattr(value, "value") else value)
    return text if len(text) <= 40 else text[:37] + "…"


class _Importer:
    def __init__(self, session: Session, workspace: Workspace) -> None:
        self.session = session
        self.workspace = workspace
        self.report = ImportReport()
        self.metrics: dict[str, Metric] = {}
        self.fresh: set[str] = set()  # keys created in this import: their links are no news
        self.outcome = ""  # what the last upsert did: created, updated or unchanged

    # -- generic upsert --------------------------------------------------------------------
    def upsert(self, model: type, label: str, key: str, existing: dict[str, Any],
               counted: bool = True, **fields: Any) -> Any:
        """`counted=False` for a row that is part of a plan item already counted (the metric
        of a North Star or goal): its creation is no separate news, only its changes are."""
        row = existing.get(key)
        if row is None:
            row = model(workspace_id=self.workspace.id, key=key, **fields)
            self.session.add(row)
            self.session.flush()
            existing[key] = row
            if counted:
                self.report.created.append(f"{label} {key}")
            self.fresh.add(key)
            self.outcome = "created"
            return row
        changed = {name: (getattr(row, name), value) for name, value in fields.items()
                   if getattr(row, name) != value}
        if changed:
            for name, (_, value) in changed.items():
                setattr(row, name, value)
            details = ", ".join(f"{name}: {_shown(old)} → {_shown(new)}"
                                for name, (old, new) in changed.items())
            self.report.updated.append(f"{label} {key} ({details})")
            self.outcome = "updated"
        else:
            self.report.unchanged += counted
            self.outcome = "unchanged"
        return row

    def part_metric(self, node_outcome: str, fields: p.MetricFields, key: str,
                    kind: MetricKind, **extra: Any) -> None:
        """The metric of a North Star or goal, counted with its node: one item, one count."""
        self.metric(fields, key, kind, 0, counted=False, **extra)
        if self.outcome == "updated" and node_outcome == "unchanged":
            self.report.unchanged -= 1

    def replace_links(self, label: str, key: str, model: type, owner: dict[str, Any],
                      wanted: Sequence[dict[str, Any]]) -> None:
        """Make the link rows of one owner exactly `wanted` (with positions)."""
        column = next(iter(owner))
        rows = self.session.scalars(select(model).where(getattr(model, column) == owner[column]))
        # Compare what the plan decides, not surrogate ids.
        columns = [c.name for c in model.__table__.columns if c.name != "id"]
        have = sorted(({name: getattr(r, name) for name in columns} for r in rows),
                      key=lambda d: d.get("position", 0))
        want = [owner | {"position": i} | link for i, link in enumerate(wanted)]
        if have == want:
            return
        self.session.execute(delete(model).where(getattr(model, column) == owner[column]))
        self.session.add_all(model(**row) for row in want)
        if key not in self.fresh:
            self.report.updated.append(f"{label} {key} ({model.__tablename__} replaced)")

    def keyed(self, model: type) -> dict[str, Any]:
        rows = self.session.scalars(select(model).where(model.workspace_id == self.workspace.id))
        return {row.key: row for row in rows}

    # -- people and teams ------------------------------------------------------------------
    def people(self, plan: p.Plan) -> None:
        rows = {person.slack_user_id: person for person in self.session.scalars(
            select(Person).where(Person.workspace_id == self.workspace.id))}
        named = {person.slack_user_id for person in plan.people}
        mentioned = {uid for team in plan.teams for uid in (*team.members, *team.managers)}
        mentioned |= {person.manager for person in plan.people if person.manager}
        for uid in sorted(mentioned - named):
            self._person(rows, uid, {})
        for person in plan.people:
            # Only what the plan says: a person listed by id alone keeps what Slack told us.
            fields = {"real_name": person.name} if person.name else {}
            if person.time_zone:
                fields["time_zone"] = valid_time_zone(person.time_zone)
            self._person(rows, person.slack_user_id, fields)
        for person in plan.people:
            manager_id = rows[person.manager].id if person.manager else None
            row = rows[person.slack_user_id]
            if row.manager_id != manager_id:
                row.manager_id = manager_id
                if person.slack_user_id not in self.fresh:
                    self.report.updated.append(f"person {person.slack_user_id} (manager)")

    def _person(self, rows: dict[str, Person], uid: str, fields: dict[str, Any]) -> None:
        row = rows.get(uid)
        if row is None:
            row = Person(workspace_id=self.workspace.id, slack_user_id=uid,
                         **({"time_zone": "UTC"} | fields))
            self.session.add(row)
            self.session.flush()
            rows[uid] = row
            self.report.created.append(f"person {uid}")
            self.fresh.add(uid)
            return
        changed = [name for name, value in fields.items() if getattr(row, name) != value]
        for name in changed:
            setattr(row, name, fields[name])
        if changed:
            self.report.updated.append(f"person {uid} ({', '.join(changed)})")
        else:  # counted like every other plan item, so a re-import's counts match the first
            self.report.unchanged += 1

    def teams(self, plan: p.Plan) -> dict[str, Team]:
        existing = self.keyed(Team)
        people = {person.slack_user_id: person for person in self.session.scalars(
            select(Person).where(Person.workspace_id == self.workspace.id))}
        for team in plan.teams:
            row = self.upsert(Team, "team", team.key, existing, name=team.name,
                              slack_channel_id=team.channel, checkin=team.checkin
                              and team.checkin.model_dump(mode="json", exclude_unset=True))
            roles = {uid: TeamRole.MEMBER for uid in team.members}
            roles |= {uid: TeamRole.MANAGER for uid in team.managers}
            have = {m.person_id: m.role for m in row.memberships}
            want = {people[uid].id: role for uid, role in roles.items()}
            if have != want:
                row.memberships = [m for m in row.memberships if m.person_id in want]
                for membership in row.memberships:
                    membership.role = want[membership.person_id]
                for person_id in want.keys() - have.keys():
                    row.memberships.append(TeamMembership(person_id=person_id,
                                                          role=want[person_id]))
                if team.key not in self.fresh:
                    self.report.updated.append(f"team {team.key} (members)")
        return existing

    # -- metrics ---------------------------------------------------------------------------
    def metric(self, fields: p.MetricFields, key: str, kind: MetricKind, position: int,
               counted: bool = True, **extra: Any) -> Metric:
        row = self.upsert(
            Metric, kind.value.replace("_", " "), key, self.metrics, counted, kind=kind,
            name=fields.name, description=fields.description, unit=fields.unit,
            direction=fields.direction, baseline=fields.baseline, target=fields.target,
            starts_on=fields.start, due_on=fields.due, frequency=fields.frequency,
            value_range=fields.range and list(fields.range), position=position, **extra)
        self.thresholds(row, fields.thresholds)
        self.measurements(row, fields.measurements)
        return row

    def thresholds(self, metric: Metric, bands: p.Thresholds | None) -> None:
        want = None
        if bands is not None:
            green = bands.green_range or (None, None)
            yellow = bands.yellow_range or (None, None)
            want = {"mode": bands.mode, "green": bands.green, "yellow": bands.yellow,
                    "pace": bands.pace, "green_low": green[0], "green_high": green[1],
                    "yellow_low": yellow[0], "yellow_high": yellow[1]}
        row = metric.thresholds
        have = None if row is None else {name: getattr(row, name) for name in want or {}}
        if row is not None and want is not None and have == want:
            return
        if row is None and want is None:
            return
        metric.thresholds = None if want is None else MetricThresholds(**want)
        self.session.flush()
        if metric.key not in self.fresh:
            self.report.updated.append(f"metric {metric.key} (thresholds)")

    def measurements(self, metric: Metric, measurements: Iterable[p.Measurement]) -> None:
        wanted = list(measurements)
        if not wanted:
            return
        have = {row.measured_at: row for row in self.session.scalars(select(Measurement).where(
            Measurement.metric_id == metric.id, Measurement.undone_at.is_(None)))}
        for measurement in wanted:
            at = measurement.at.astimezone(UTC)
            row = have.get(at)
            if row is None:
                row = Measurement(metric_id=metric.id, value=measurement.value, measured_at=at,
                                  source=Source.PLAN, note=measurement.note)
                self.session.add(row)
                have[at] = row
                self.report.measurements_added += 1
            elif (row.value, row.note) != (measurement.value, measurement.note):
                when = at.isoformat().replace("+00:00", "Z")
                if row.source is Source.PLAN:  # the plan's own value: the plan is the truth
                    self.report.updated.append(
                        f"measurement {metric.key} at {when} ({row.value:g} → "
                        f"{measurement.value:g})")
                    row.value, row.note = measurement.value, measurement.note
                else:  # someone reported it in Slack or by API: theirs stands
                    self.report.conflicts.append(
                        f"measurement {metric.key} at {when}: kept {row.value:g} "
                        f"({row.source.value}), the plan says {measurement.value:g}")

    def metric_links(self, plan: p.Plan, objectives: dict[str, Objective],
                     activities: dict[str, Activity]) -> None:
        """Triggers, formulas, counter-metrics and what KPIs measure: all keys now exist."""
        for objective in plan.objectives:
            for kr in objective.key_results:
                self.counters(kr.key, kr.counter_metrics)
        for kpi in plan.kpis:
            metric = self.metrics[kpi.key]
            self.replace_links("kpi", kpi.key, ActionTrigger, {"metric_id": metric.id}, [
                {"kind": t.when, "value": t.value, "periods": t.periods, "period": t.period,
                 "action": t.action} for t in kpi.triggers])
            operator = kpi.formula.operator if kpi.formula else None
            if metric.formula_operator != operator:
                metric.formula_operator = operator
                if kpi.key not in self.fresh:
                    self.report.updated.append(f"kpi {kpi.key} (formula)")
            inputs = kpi.formula.inputs if kpi.formula else []
            self.replace_links("kpi", kpi.key, MetricEdge, {"parent_id": metric.id}, [
                {"child_id": self.metrics[i.metric].id, "weight": i.weight,
                 "transform": i.transform} for i in inputs])
            self.counters(kpi.key, kpi.counter_metrics)
            self.replace_links("kpi", kpi.key, MetricActivity, {"metric_id": metric.id}, [
                {"activity_id": activities[key].id} for key in kpi.measures.activities])
            self.replace_links("kpi", kpi.key, MetricObjective, {"metric_id": metric.id}, [
                {"objective_id": objectives[key].id} for key in kpi.measures.objectives])

    def counters(self, key: str, counters: Sequence[str]) -> None:
        metric = self.metrics[key]
        self.replace_links("metric", key, CounterMetric, {"metric_id": metric.id}, [
            {"counter_metric_id": self.metrics[c].id} for c in counters])

    # -- the chain -------------------------------------------------------------------------
    def north_star(self, plan: p.Plan) -> NorthStar | None:
        existing = self.keyed(NorthStar)
        for record in plan.north_star.history if plan.north_star else []:
            key = record.key or history_key(record.name, record.active_from)
            self.upsert(NorthStar, "past north star", key, existing, name=record.name,
                        active=False, active_from=record.active_from,
                        active_until=record.active_until)
        star = plan.north_star
        if star is None:
            return next((row for row in existing.values() if row.active), None)
        for row in existing.values():
            if row.active and row.key != star.key:
                row.active = False  # the company changed its North Star: keep the old one
                row.active_until = row.active_until or clock.now().date()
                self.report.updated.append(f"north star {row.key} (retired)")
        self.session.flush()
        row = self.upsert(NorthStar, "north star", star.key, existing, name=star.name,
                          active=True, active_from=star.start, active_until=None)
        self.part_metric(self.outcome, star, star.key, MetricKind.NORTH_STAR, owner=star.owner,
                         review=star.review, north_star_id=row.id)
        return row

    def run(self, plan: p.Plan) -> ImportReport:
        self.people(plan)
        teams = self.teams(plan)
        self.metrics = self.keyed(Metric)
        star = self.north_star(plan)
        goals = self.keyed(Goal)
        for position, goal in enumerate(plan.goals):
            row = self.upsert(
                Goal, "goal", goal.key, goals, name=goal.name, description=goal.description,
                owner=goal.owner, priority=goal.priority, starts_on=goal.start,
                ends_on=goal.end, team_id=teams[goal.team].id if goal.team else None,
                success_criteria=list(goal.success_criteria), risks=list(goal.risks),
                north_star_id=star.id if star else None, position=position)
            if goal.metric is not None:
                self.part_metric(self.outcome, goal.metric, goal.key, MetricKind.GOAL,
                                 owner=goal.owner, goal_id=row.id)
        objectives = self.keyed(Objective)
        for position, objective in enumerate(plan.objectives):
            row = self.upsert(
                Objective, "objective", objective.key, objectives, name=objective.name,
                description=objective.description, goal_id=goals[objective.goal].id,
                owner=objective.owner, starts_on=objective.start, ends_on=objective.end,
                team_id=teams[objective.team].id if objective.team else None,
                rollup=objective.rollup, position=position)
            for kr_position, kr in enumerate(objective.key_results):
                self.metric(kr, kr.key, MetricKind.KEY_RESULT, kr_position,
                            owner=kr.owner or objective.owner, objective_id=row.id)
        activities = self.keyed(Activity)
        for position, activity in enumerate(plan.activities):
            row = self.upsert(
                Activity, "activity", activity.key, activities, name=activity.name,
                description=activity.description, owner=activity.owner,
                priority=activity.priority, status=activity.status,
                starts_on=activity.start, ends_on=activity.end,
                resources=[r.model_dump(mode="json", exclude_none=True)
                           for r in activity.resources], position=position)
            self.replace_links("activity", activity.key, ActivityObjective,
                               {"activity_id": row.id},
                               [{"objective_id": objectives[k].id} for k in activity.objectives])
            self.replace_links("activity", activity.key, ActivityGoal, {"activity_id": row.id},
                               [{"goal_id": goals[k].id} for k in activity.goals])
        for position, kpi in enumerate(plan.kpis):
            self.metric(kpi, kpi.key, MetricKind.KPI, position, owner=kpi.owner,
                        review=kpi.review, indicator=kpi.indicator)
        self.session.flush()
        self.metric_links(plan, objectives, activities)
        self.session.flush()
        self.report.not_in_plan = self.unnamed(plan, goals, objectives, activities)
        return self.report

    def unnamed(self, plan: p.Plan, goals: dict, objectives: dict, activities: dict) -> list[str]:
        named = {node.key for node in (*plan.goals, *plan.objectives, *plan.activities,
                                       *plan.kpis)}
        named |= {kr.key for o in plan.objectives for kr in o.key_results}
        named |= {g.key for g in plan.goals if g.metric} | (
            {plan.north_star.key} if plan.north_star else set())
        kinds = [("goal", goals), ("objective", objectives), ("activity", activities),
                 ("metric", {k: m for k, m in self.metrics.items()
                             if m.kind in (MetricKind.KPI, MetricKind.KEY_RESULT)}),
                 ("goal metric", {k: m for k, m in self.metrics.items()
                                  if m.kind is MetricKind.GOAL})]
        with_metric = {g.key for g in plan.goals if g.metric}
        unnamed = [f"{label} {key}" for label, rows in kinds for key in sorted(rows)
                   if key not in (with_metric if label == "goal metric" else named)]
        if plan.north_star is None:
            unnamed += [f"north star {row.key} (still active)" for row in
                        self.session.scalars(select(NorthStar).where(
                            NorthStar.workspace_id == self.workspace.id, NorthStar.active))]
        return unnamed


def history_key(name: str, active_from: Any) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40]
    return f"{slug}-{active_from.isoformat()}" if active_from else slug


def import_plan(*, db_session: Session, plan: p.Plan, actor: Actor | None = None) -> ImportReport:
    """Upsert `plan` into its workspace, if the actor (the CLI's operator by default) may; its
    role changes and the import go to the audit log. The caller owns the transaction."""
    actor = actor or Actor.operator()
    workspace = get_or_create_workspace(db_session=db_session, slack_team_id=plan.workspace)
    if plan.enterprise:  # its org's org-wide install reaches it (bot/install/tokens.py)
        workspace.enterprise_id = plan.enterprise
    before = plan_roles.begin_import(db_session, workspace.id, actor)
    report = _Importer(db_session, workspace).run(plan)
    plan_roles.apply_import(db_session, workspace.id, admins=list(plan.admins), before=before,
                            actor=actor.name, report=report)
    if report.changed:
        bump_data_version(db_session=db_session, workspace_id=workspace.id)
    return report
