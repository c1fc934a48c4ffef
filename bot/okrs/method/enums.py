"""The method's vocabulary as enums, shared by plans, tables and the health engine."""

from enum import StrEnum


class MetricKind(StrEnum):
    """What a metric is in the chain. Every measured number is a metric of one kind."""

    NORTH_STAR = "north_star"
    GOAL = "goal"  # the outcome measure of a goal (e.g. trial-to-paid conversion)
    KEY_RESULT = "key_result"
    KPI = "kpi"


class Direction(StrEnum):
    HIGHER_IS_BETTER = "higher_is_better"
    LOWER_IS_BETTER = "lower_is_better"
    WITHIN_RANGE = "within_range"


class Indicator(StrEnum):
    """Leading indicators move first and warn; lagging ones confirm."""

    LEADING = "leading"
    LAGGING = "lagging"


class Frequency(StrEnum):
    """How often a metric is measured (or reviewed)."""

    DAILY = "daily"
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


FREQUENCY_DAYS = {
    Frequency.DAILY: 1,
    Frequency.WEEKLY: 7,
    Frequency.BIWEEKLY: 14,
    Frequency.MONTHLY: 30,
    Frequency.QUARTERLY: 91,
}


class BandMode(StrEnum):
    """How green/yellow boundaries are written: as values, or as a share of the target."""

    ABSOLUTE = "absolute"
    SHARE_OF_TARGET = "share_of_target"


class Operator(StrEnum):
    """How a KPI-tree parent is computed from its children."""

    SUM = "sum"
    PRODUCT = "product"
    RATIO = "ratio"  # first child divided by the second
    WEIGHTED_SUM = "weighted_sum"


class Transform(StrEnum):
    """What a child gives its parent: itself, or 1 − itself (Retained = E × (1 − churn))."""

    IDENTITY = "identity"
    COMPLEMENT = "complement"


class TriggerKind(StrEnum):
    BELOW = "below"
    ABOVE = "above"
    PLATEAU = "plateau"


class Source(StrEnum):
    """Where a measurement came from."""

    CHECKIN = "checkin"
    SLACK = "slack"
    PLAN = "plan"
    API = "api"


class Rollup(StrEnum):
    """How an objective's health comes from its key results."""

    WORST = "worst"
    AVERAGE = "average"


class Priority(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class ActivityStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    BLOCKED = "blocked"
    DROPPED = "dropped"


class Status(StrEnum):
    """Health as shown to people. Staleness is a flag beside it, never green."""

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"
    NO_DATA = "no_data"
