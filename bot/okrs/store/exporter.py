"""`okr-bot plan export`: a workspace's plan, read back from the database as a Plan."""

from __future__ import annotations

from dataclasses import asdict
from operator import attrgetter
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.access.plan_roles import plan_admins
from bot.errors import NotFound
from bot.okrs.method.enums import MetricKind
from bot.okrs.plans import plan as p
from bot.okrs.store.importer import history_key
from bot.okrs.store.measurements import bands_of
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
from bot.okrs.store.rows import grouped
from bot.people.models import Person, Team, Workspace


def _by(rows: Any, column: str) -> dict[Any, list[Any]]:
    return grouped(rows, attrgetter(column), by_position=True)


class NoSuchWorkspace(NotFound):
    def __init__(self, message: str) -> None:
        super().__init__(message, kind="workspace")


class _Exporter:
    """Reads every table once for the workspace, then assembles the plan in memory."""

    def __init__(self, session: Session, workspace: Workspace) -> None:
        self.session = session
        ws = workspace.id
        self.metrics = {m.id: m for m in session.scalars(
            select(Metric).where(Metric.workspace_id == ws).order_by(Metric.position))}
        ids = list(self.metrics)

        def rows(model: type, column: str) -> Any:
            return session.scalars(select(model).where(getattr(model, column).in_(ids)))

        self.thresholds = {t.metric_id: t for t in rows(MetricThresholds, "metric_id")}
        self.measurements = _by((m for m in rows(Measurement, "metric_id")
                                 if m.undone_at is None), "metric_id")
        for items in self.measurements.values():
            items.sort(key=lambda m: (m.measured_at, m.id))
        self.triggers = _by(rows(ActionTrigger, "metric_id"), "metric_id")
        self.edges = _by(rows(MetricEdge, "parent_id"), "parent_id")
        self.counters = _by(rows(CounterMetric, "metric_id"), "metric_id")
        self.measures_activities = _by(rows(MetricActivity, "metric_id"), "metric_id")
        self.measures_objectives = _by(rows(MetricObjective, "metric_id"), "metric_id")
        self.goals = list(session.scalars(select(Goal).where(Goal.workspace_id == ws)
                                          .order_by(Goal.position)))
        self.objectives = list(session.scalars(
            select(Objective).where(Objective.workspace_id == ws).order_by(Objective.position)))
        self.activities = list(session.scalars(
            select(Activity).where(Activity.workspace_id == ws).order_by(Activity.position)))
        activity_ids = [a.id for a in self.activities]
        self.activity_objectives = _by(session.scalars(select(ActivityObjective).where(
            ActivityObjective.activity_id.in_(activity_ids))), "activity_id")
        self.activity_goals = _by(session.scalars(select(ActivityGoal).where(
            ActivityGoal.activity_id.in_(activity_ids))), "activity_id")
        self.goal_keys = {g.id: g.key for g in self.goals}
        self.objective_keys = {o.id: o.key for o in self.objectives}
        self.activity_keys = {a.id: a.key for a in self.activities}
        self.teams = list(session.scalars(select(Team).where(Team.workspace_id == ws,
                                                             Team.key.is_not(None))))
        self.team_keys = {t.id: t.key for t in self.teams}
        self.people = list(session.scalars(select(Person).where(Person.workspace_id == ws)
                                           .order_by(Person.slack_user_id)))
        self.north_stars = list(session.scalars(select(NorthStar).where(
            NorthStar.workspace_id == ws).order_by(NorthStar.active_from, NorthStar.id)))

    def metric_fields(self, metric: Metric) -> dict[str, Any]:
        bands = bands_of(self.thresholds.get(metric.id))
        thresholds = p.Thresholds(**asdict(bands)) if bands is not None else None
        return {
            "key": metric.key, "name": metric.name, "description": metric.description,
            "unit": metric.unit, "direction": metric.direction, "baseline": metric.baseline,
            "target": metric.target, "start": metric.starts_on, "due": metric.due_on,
            "frequency": metric.frequency, "thresholds": thresholds,
            "range": tuple(metric.value_range) if metric.value_range is not None else None,
            "measurements": [p.Measurement(value=m.value, at=m.measured_at, note=m.note)
                             for m in self.measurements.get(metric.id, [])],
        }

    def of_kind(self, kind: MetricKind) -> list[Metric]:
        return [m for m in self.metrics.values() if m.kind is kind]

    def north_star(self) -> p.NorthStar | None:
        active = next((n for n in self.north_stars if n.active), None)
        if active is None:
            return None
        metric = next((m for m in self.of_kind(MetricKind.NORTH_STAR)
                       if m.north_star_id == active.id), None)
        # A key the import derived from name and date is left out, as the plan left it out.
        history = [p.NorthStarRecord(
            key=None if n.key == history_key(n.name, n.active_from) else n.key,
            name=n.name, active_from=n.active_from, active_until=n.active_until)
            for n in self.north_stars if not n.active]
        fields = self.metric_fields(metric) if metric else {"key": active.key,
                                                            "name": active.name}
        extra = {"owner": metric.owner, "review": metric.review} if metric else {}
        return p.NorthStar(**fields, **extra, history=history)

    def goal(self, goal: Goal) -> p.Goal:
        metric = next((m for m in self.of_kind(MetricKind.GOAL) if m.goal_id == goal.id), None)
        goal_metric = None
        if metric is not None:
            fields = self.metric_fields(metric)
            fields.pop("key")
            goal_metric = p.GoalMetric(**fields)
        return p.Goal(key=goal.key, name=goal.name, description=goal.description,
                      owner=goal.owner, priority=goal.priority, start=goal.starts_on,
                      end=goal.ends_on, team=self.team_keys.get(goal.team_id),
                      success_criteria=goal.success_criteria, risks=goal.risks,
                      metric=goal_metric)

    def objective(self, objective: Objective) -> p.Objective:
        key_results = [
            p.KeyResult(**self.metric_fields(m),
                        owner=None if m.owner == objective.owner else m.owner,
                        counter_metrics=self.counter_keys(m))
            for m in self.of_kind(MetricKind.KEY_RESULT) if m.objective_id == objective.id]
        return p.Objective(key=objective.key, name=objective.name,
                           description=objective.description,
                           goal=self.goal_keys[objective.goal_id], owner=objective.owner,
                           start=objective.starts_on, end=objective.ends_on,
                           team=self.team_keys.get(objective.team_id), rollup=objective.rollup,
                           key_results=key_results)

    def counter_keys(self, metric: Metric) -> list[str]:
        return [self.metrics[c.counter_metric_id].key for c in self.counters.get(metric.id, [])]

    def activity(self, activity: Activity) -> p.Activity:
        return p.Activity(
            key=activity.key, name=activity.name, description=activity.description,
            owner=activity.owner, priority=activity.priority, status=activity.status,
            start=activity.starts_on, end=activity.ends_on,
            objectives=[self.objective_keys[link.objective_id]
                        for link in self.activity_objectives.get(activity.id, [])],
            goals=[self.goal_keys[link.goal_id]
                   for link in self.activity_goals.get(activity.id, [])],
            resources=[p.Resource(**r) for r in activity.resources])

    def kpi(self, metric: Metric) -> p.Kpi:
        edges = self.edges.get(metric.id, [])
        formula = None
        if metric.formula_operator is not None and edges:
            formula = p.Formula(operator=metric.formula_operator, inputs=[
                p.FormulaInput(metric=self.metrics[e.child_id].key, weight=e.weight,
                               transform=e.transform) for e in edges])
        return p.Kpi(
            **self.metric_fields(metric), owner=metric.owner, indicator=metric.indicator,
            review=metric.review, formula=formula, counter_metrics=self.counter_keys(metric),
            measures=p.Measures(
                activities=[self.activity_keys[link.activity_id]
                            for link in self.measures_activities.get(metric.id, [])],
                objectives=[self.objective_keys[link.objective_id]
                            for link in self.measures_objectives.get(metric.id, [])]),
            triggers=[p.Trigger(when=t.kind, value=t.value, periods=t.periods, period=t.period,
                                action=t.action) for t in self.triggers.get(metric.id, [])])

    def plan(self, workspace: Workspace) -> p.Plan:
        by_id = {person.id: person for person in self.people}
        # People the bot knows nothing about beyond their id (a team member the plan named
        # only there) stay out of the people section, as they were in the plan.
        people = [p.Person(slack_user_id=person.slack_user_id, name=person.real_name,
                           time_zone=person.time_zone,
                           manager=by_id[person.manager_id].slack_user_id
                           if person.manager_id else None)
                  for person in self.people
                  if person.real_name or person.manager_id or person.time_zone != "UTC"]
        teams = [p.Team(key=team.key, name=team.name, channel=team.slack_channel_id,
                        checkin=None if team.checkin is None
                        else p.CheckinSchedule.model_validate(team.checkin),
                        members=sorted(by_id[m.person_id].slack_user_id
                                       for m in team.memberships if m.role == "member"),
                        managers=sorted(by_id[m.person_id].slack_user_id
                                        for m in team.memberships if m.role == "manager"))
                 for team in self.teams]
        return p.Plan(
            workspace=workspace.slack_team_id, enterprise=workspace.enterprise_id,
            people=people, teams=teams,
            admins=plan_admins(self.session, workspace.id),
            north_star=self.north_star(), goals=[self.goal(g) for g in self.goals],
            objectives=[self.objective(o) for o in self.objectives],
            activities=[self.activity(a) for a in self.activities],
            kpis=[self.kpi(m) for m in self.of_kind(MetricKind.KPI)])


def export_plan(*, db_session: Session, slack_team_id: str | None = None) -> p.Plan:
    """The plan of the given workspace (or of the only one there is)."""
    workspace = find_workspace(db_session=db_session, slack_team_id=slack_team_id)
    return _Exporter(db_session, workspace).plan(workspace)


def find_workspace(*, db_session: Session, slack_team_id: str | None = None) -> Workspace:
    """The given workspace, or the only one there is; NoSuchWorkspace otherwise."""
    query = select(Workspace)
    if slack_team_id:
        query = query.where(Workspace.slack_team_id == slack_team_id)
    workspaces = list(db_session.scalars(query))
    if len(workspaces) != 1:
        known = ", ".join(w.slack_team_id for w in db_session.scalars(select(Workspace)))
        which = f"workspace {slack_team_id}" if slack_team_id else "a single workspace"
        raise NoSuchWorkspace(f"cannot find {which}; the database has: {known or 'none'}")
    return workspaces[0]
