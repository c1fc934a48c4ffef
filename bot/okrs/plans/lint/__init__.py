"""The method's advice as checks over a plan: `lint(plan)` returns findings, worst first.

Errors are things the plan cannot mean (a reference to nothing, a cycle, a target that asks for
no change); warnings are the method's advice (3 to 5 goals, a leading driver for every lagging
KPI); info is worth a look but often fine. Pure: a `Plan` in, findings out — no clock, no
Slack, no database (only the system's list of time-zone names is read, once).

The checks live by what they look at: `references` (keys, references, people), `numbers`
(dates, targets, thresholds, KPI-tree formulas), `counts` (the plan's shape), `key_results`
(what each metric carries) and `links` (the chain's links); `rules` lists every rule.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.okrs.plans.lint.counts import counts
from bot.okrs.plans.lint.index import PlanIndex
from bot.okrs.plans.lint.key_results import key_results
from bot.okrs.plans.lint.links import links
from bot.okrs.plans.lint.numbers import numbers
from bot.okrs.plans.lint.references import keys_and_people, references
from bot.okrs.plans.lint.rules import RANK, RULES, Finding, Rule, Severity, natural
from bot.okrs.plans.plan import Plan

__all__ = ["RULES", "Finding", "Rule", "Severity", "has_errors", "lint"]

CHECKS = (keys_and_people, references, numbers, counts, key_results, links)


def lint(plan: Plan) -> list[Finding]:
    index = PlanIndex(plan)
    findings = [finding for check in CHECKS for finding in check(plan, index)]
    return sorted(findings, key=lambda f: (RANK[f.severity], natural(f.path), f.rule, f.message))


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(finding.severity is Severity.ERROR for finding in findings)
