"""The rules a plan is linted against, and the finding each one reports."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    path: str  # where, in the plan's own terms: "objectives[2].key_results[0]"
    message: str


@dataclass(frozen=True)
class Rule:
    severity: Severity
    description: str


_E, _W, _I = Severity.ERROR, Severity.WARNING, Severity.INFO
RULES: Mapping[str, Rule] = {
    "north-star-count": Rule(_E, "exactly one North Star: the root everything traces to"),
    "duplicate-key": Rule(_E, "every key is unique across the whole plan"),
    "unknown-reference": Rule(_E, "every key referenced exists and is of the right kind"),
    "duplicate-person": Rule(_E, "each person is listed once"),
    "unknown-time-zone": Rule(_E, "time zones are IANA names; check-ins are scheduled by them"),
    "end-before-start": Rule(_E, "nothing ends before it starts"),
    "target-equals-baseline": Rule(_E, "a target differs from its baseline"),
    "direction-contradicts-target": Rule(_E, "the target is on the better side of the baseline"),
    "thresholds-invalid": Rule(_E, "green is the stricter band; within_range has a green_range"),
    "formula-cycle": Rule(_E, "KPI-tree formulas bottom out in measured metrics"),
    "formula-shape": Rule(_E, "a ratio has two inputs; a weighted sum weighs every input"),
    "counter-metric-self": Rule(_E, "a metric is not its own counter-metric"),
    "goal-count": Rule(_W, "3 to 5 goals (at most 5 per team)"),
    "goal-without-objectives": Rule(_W, "every goal is driven by at least one objective"),
    "objective-count": Rule(_W, "at most 5 objectives per goal"),
    "key-result-count": Rule(_W, "2 to 5 key results per objective"),
    "objective-duration": Rule(_W, "objectives last 30 to 90 days (a calendar quarter counts)"),
    "metric-incomplete": Rule(_W, "key results, KPIs and the North Star carry the numbers and "
                                 "cadences the method asks of them"),
    "owner-missing": Rule(_W, "the North Star has an owner and every team a manager"),
    "skipped-level": Rule(_W, "activities drive objectives, not goals directly"),
    "activity-without-objective": Rule(_W, "every activity drives at least one objective"),
    "kpi-disconnected": Rule(_W, "every KPI measures work, or sits under or guards one that does"),
    "lagging-without-leading": Rule(_W, "every lagging KPI has a leading driver"),
    "counter-metric-missing": Rule(_W, "higher-is-better key results and leading KPIs have a "
                                      "counter-metric: people push these week to week, so a "
                                      "win there can hide a loss"),
    "output-not-outcome": Rule(_W, "key results measure a change, not a task shipped"),
    "circular-goal": Rule(_W, "a goal does not merely restate a KPI"),
    "kpi-counter-metric-missing": Rule(_I, "a standalone lagging KPI has a counter-metric; only "
                                          "info: results are hard to game directly, and tree "
                                          "parts are guarded at their root"),
    "objective-without-activities": Rule(_I, "some activity drives each objective"),
}


def finding(rule: str, path: str, message: str) -> Finding:
    return Finding(rule, RULES[rule].severity, path, message)


def a(noun: str) -> str:
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"


def listed(words: Sequence[str], conjunction: str) -> str:
    return f" {conjunction} ".join([", ".join(words[:-1]), words[-1]] if len(words) > 1 else words)


def natural(path: str) -> list[str | int]:
    # kpis[10] sorts after kpis[2]
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path)]
