"""The plan file: a company's North Star, goals, objectives and key results, activities and KPIs
as YAML. These pydantic models are the format's definition; its JSON Schema is generated from
them (`okr-bot plan schema`). Cross-references use human-readable keys, never database ids."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bot.errors import InvalidInput
from bot.okrs.method.enums import (
    ActivityStatus,
    BandMode,
    Direction,
    Frequency,
    Indicator,
    Operator,
    Priority,
    Rollup,
    Transform,
    TriggerKind,
)
from bot.okrs.method.plausibility import check_plausible

Key = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$",
                           description="lowercase letters, digits and hyphens; unique in the plan")]
SlackUserId = Annotated[str, Field(pattern=r"^[UW][A-Z0-9]{2,}$",
                                   description="a Slack user id such as U024BE7LH")]
Text = Annotated[str, Field(min_length=1, max_length=300)]
# Validation context of a plan read from a file (files.parse_plan): its values are checked.
FROM_FILE = "from_file"
LongText = Annotated[str, Field(max_length=3000)]


class PlanModel(BaseModel):
    # NaN and infinity are never a measurement, a baseline or a target.
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False,
                              allow_inf_nan=False)


class Thresholds(PlanModel):
    """When a metric is green, yellow or red.

    `share_of_target`: `green`/`yellow` are shares of the target reached (0.9 = 90 %), or in
    pace mode shares of the progress expected by now. `absolute`: they are values on the
    metric's own scale. A `within_range` metric uses `green_range` and `yellow_range`.
    """

    mode: BandMode = BandMode.SHARE_OF_TARGET
    green: float | None = None
    yellow: float | None = None
    pace: bool = Field(default=False, description="compare with the value expected by now, "
                       "on the line from baseline at the start to target at the due date")
    green_range: tuple[float, float] | None = None
    yellow_range: tuple[float, float] | None = None


class Trigger(PlanModel):
    """An action a threshold calls for: below X, above X, or flat for N periods."""

    when: TriggerKind
    value: float | None = None
    periods: int | None = Field(default=None, ge=2)
    period: Frequency | None = Field(default=None, description="defaults to the metric's "
                                     "measurement frequency")
    action: Text

    @model_validator(mode="after")
    def _fits_kind(self) -> Trigger:
        if self.when is TriggerKind.PLATEAU:
            if self.periods is None:
                raise ValueError("a plateau trigger needs periods (how many periods flat)")
        elif self.value is None:
            raise ValueError(f"a {self.when.value} trigger needs a value")
        return self


class Measurement(PlanModel):
    value: float
    at: datetime
    note: LongText | None = None

    @field_validator("at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("needs a time zone, e.g. 2026-05-04T09:00:00Z")
        return value


class MetricFields(PlanModel):
    """What every measured number has, whatever its place in the chain."""

    name: Text
    description: LongText | None = None
    unit: Annotated[str, Field(max_length=20)] = ""
    direction: Direction = Direction.HIGHER_IS_BETTER
    baseline: float | None = None
    target: float | None = None
    start: date | None = None
    due: date | None = None
    frequency: Frequency | None = None
    thresholds: Thresholds | None = None
    range: tuple[float | None, float | None] | None = Field(
        default=None, description="[min, max] the values can take, either end null for no "
        "bound; without it a % is 0 to 100 and money or a count is 0 or more")
    measurements: list[Measurement] = Field(default_factory=list)

    @model_validator(mode="after")
    def _plausible(self, info: ValidationInfo) -> MetricFields:
        if self.range is not None and None not in self.range and self.range[0] >= self.range[1]:
            raise ValueError(f"range {list(self.range)} needs its min below its max")
        # Values are checked where people write them (a plan file, FROM_FILE): an export of
        # what is stored is still written when an old value is out of range, for someone to fix.
        if not (info.context or {}).get(FROM_FILE):
            return self
        given = [("baseline", self.baseline), ("target", self.target)]
        given += [(f"the measurement at {m.at.isoformat()}", m.value) for m in self.measurements]
        problems = []  # every one at once, so a plan is fixed in one pass
        for what, value in given:
            try:
                if value is not None:
                    check_plausible(value, unit=self.unit, declared=self.range, name=self.name)
            except InvalidInput as error:
                problems.append(f"{what}: {error.message}")
        if problems:  # pydantic reports a ValueError with its location
            raise ValueError("; ".join(problems))
        return self


class NorthStarRecord(PlanModel):
    """A North Star the company used before; kept so history reads right."""

    key: Key | None = Field(default=None, description="its key while it was active, if it had one")
    name: Text
    active_from: date | None = None
    active_until: date | None = None


class NorthStar(MetricFields):
    key: Key
    owner: SlackUserId | None = None
    review: Frequency | None = None
    history: list[NorthStarRecord] = Field(default_factory=list)


class GoalMetric(MetricFields):
    """The outcome a goal is judged by, e.g. trial-to-paid conversion 2.3 % → 4.5 %."""


class Goal(PlanModel):
    key: Key
    name: Text
    description: LongText | None = None
    owner: SlackUserId
    priority: Priority = Priority.MEDIUM
    start: date | None = None
    end: date | None = None
    team: Key | None = None
    success_criteria: list[Text] = Field(default_factory=list)
    risks: list[Text] = Field(default_factory=list)
    metric: GoalMetric | None = None


class KeyResult(MetricFields):
    """A key result is a number with a start point, a goal and a date: all three required."""

    baseline: float
    target: float
    due: date
    key: Key
    owner: SlackUserId | None = Field(default=None, description="defaults to the objective's")
    counter_metrics: list[Key] = Field(default_factory=list)


class Objective(PlanModel):
    key: Key
    name: Text
    description: LongText | None = None
    goal: Key
    owner: SlackUserId
    start: date
    end: date
    team: Key | None = None
    rollup: Rollup = Rollup.WORST
    key_results: list[KeyResult]


class Resource(PlanModel):
    """People time or money an activity needs."""

    kind: Literal["person", "cost"]
    description: Text
    weeks: float | None = Field(default=None, gt=0)
    allocation: float | None = Field(default=None, gt=0, le=1)
    amount: float | None = Field(default=None, ge=0)
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] | None = None
    per: Literal["once", "month", "year"] = "once"


class Activity(PlanModel):
    key: Key
    name: Text
    description: LongText | None = None
    owner: SlackUserId
    objectives: list[Key] = Field(default_factory=list)
    goals: list[Key] = Field(default_factory=list, description="a skipped level, flagged by "
                             "lint: activities should drive objectives")
    priority: Priority = Priority.MEDIUM
    status: ActivityStatus = ActivityStatus.PLANNED
    start: date | None = None
    end: date | None = None
    resources: list[Resource] = Field(default_factory=list)


class FormulaInput(PlanModel):
    metric: Key
    weight: float | None = None
    transform: Transform = Transform.IDENTITY


class Formula(PlanModel):
    """A KPI-tree node: this KPI computed from others (Revenue = New + Expansion + Retained)."""

    operator: Operator
    inputs: list[FormulaInput] = Field(min_length=1)


class Measures(PlanModel):
    activities: list[Key] = Field(default_factory=list)
    objectives: list[Key] = Field(default_factory=list)


class Kpi(MetricFields):
    key: Key
    owner: SlackUserId
    indicator: Indicator | None = None
    review: Frequency | None = None
    measures: Measures = Field(default_factory=Measures)
    formula: Formula | None = None
    counter_metrics: list[Key] = Field(default_factory=list)
    triggers: list[Trigger] = Field(default_factory=list)


class Person(PlanModel):
    """Someone the plan names, so the bot knows their time zone and manager before Slack does."""

    slack_user_id: SlackUserId
    name: Text | None = None
    time_zone: str | None = None
    manager: SlackUserId | None = None


WALL_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


class CheckinSchedule(PlanModel):
    """When the team's weekly check-in DM goes out: at `time` on `weekday` in each member's own
    time zone (from Slack, else their `time_zone` in this plan), so 09:00 is 09:00 for everyone
    wherever they are and whatever daylight saving does."""

    weekday: Weekday = Field(default="monday", description="moves to the person's first work "
                             "day of that week when it is not a work day")
    time: Annotated[str, Field(json_schema_extra={"pattern": WALL_CLOCK.pattern},
                               description="wall-clock time, 24-hour HH:MM, quoted")] = "09:00"
    every_weeks: Literal[1, 2] = Field(default=1, description="2: every other week, counted "
                                       "from `starting`")
    starting: date | None = Field(default=None, description="a day in the first check-in "
                                  "week; with every_weeks 2 the weeks alternate from it")
    window_hours: int = Field(default=48, ge=1, le=168,
                              description="how long answers are taken after the DM")
    work_days: list[Weekday] = Field(
        default_factory=lambda: list(WEEKDAYS[:5]), min_length=1,
        description="the team's working days, e.g. sunday to thursday")
    holidays: list[date] = Field(default_factory=list, description="days with no check-in: "
                                 "the cycle counts as excused")
    reminder_after_hours: int = Field(default=24, ge=0, description="0: no reminder")
    paused: bool = False

    @field_validator("time", mode="before")
    @classmethod
    def _wall_clock(cls, value: object) -> object:
        if isinstance(value, int) and not isinstance(value, bool):
            # YAML 1.1 reads an unquoted 10:30 as the base-60 number 630.
            hours, minutes = divmod(value, 60)
            raise ValueError(f"expected a quoted wall-clock time such as \"{hours:02d}:"
                             f"{minutes:02d}\"; unquoted, YAML reads it as the number {value}")
        if not isinstance(value, str) or not WALL_CLOCK.fullmatch(value):
            raise ValueError(f"expected a wall-clock time as HH:MM, 24-hour, such as \"09:00\" "
                             f"or \"17:30\", not {value!r}")
        return value

    @field_validator("work_days")
    @classmethod
    def _once_each(cls, days: list[str]) -> list[str]:
        twice = sorted({day for day in days if days.count(day) > 1}, key=WEEKDAYS.index)
        if twice:
            raise ValueError(f"lists {', '.join(twice)} more than once; name each work day once")
        return days

    @model_validator(mode="after")
    def _reminder_inside_window(self) -> CheckinSchedule:
        if self.reminder_after_hours and self.reminder_after_hours >= self.window_hours:
            raise ValueError(
                f"reminder_after_hours ({self.reminder_after_hours}) must be below window_hours "
                f"({self.window_hours}): a reminder after the window closes asks for an answer "
                "no longer taken; use 0 for no reminder")
        return self


class Team(PlanModel):
    key: Key
    name: Text
    channel: Annotated[str, Field(pattern=r"^[CG][A-Z0-9]{2,}$")] | None = None
    members: list[SlackUserId] = Field(default_factory=list)
    managers: list[SlackUserId] = Field(default_factory=list)
    checkin: CheckinSchedule | None = Field(default=None, description="the weekly check-in; "
                                            "absent: every Monday at 09:00 with the defaults")


class Plan(PlanModel):
    """A whole plan file."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False,
                              json_schema_extra={"$id": "https://okr-bot.dev/plan.schema.json"})

    version: Literal[1] = 1
    workspace: Annotated[str, Field(pattern=r"^[TE][A-Z0-9]{2,}$",
                                    description="the Slack workspace (team) id")]
    enterprise: Annotated[str | None, Field(
        pattern=r"^E[A-Z0-9]{2,}$", description="the Enterprise Grid org the workspace "
        "belongs to, when okr-bot is installed org-wide there (docs/install.md)")] = None
    admins: list[SlackUserId] = Field(
        default_factory=list, description="workspace admins for okr-bot besides those Slack "
        "names (is_admin or is_owner): they may do what an admin may (docs/roles.md)")
    people: list[Person] = Field(default_factory=list)
    teams: list[Team] = Field(default_factory=list)
    north_star: NorthStar | None = None
    goals: list[Goal] = Field(default_factory=list)
    objectives: list[Objective] = Field(default_factory=list)
    activities: list[Activity] = Field(default_factory=list)
    kpis: list[Kpi] = Field(default_factory=list)
