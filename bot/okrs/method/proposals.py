"""The method's response to a KPI in trouble that nobody is working on: a yellow KPI calls for
a hypothesis-driven objective, a red one for an urgent one, each with a key result that brings
the KPI back to its target (docs/method.md, "When a KPI turns yellow or red"). Pure: it reads
a built chain.

"Nobody is working on it": no objective whose timeframe includes today sits above the KPI in
the chain (directly, through an activity it measures, or through the KPI-tree parent it
feeds). An objective that ended does not count: the work it stood for is over.
"""

from __future__ import annotations

import calendar
from collections import deque
from dataclasses import dataclass
from datetime import date

from bot.okrs.method.chain import Chain, ChainNode, NodeId, NodeKind
from bot.okrs.method.enums import Status
from bot.okrs.method.health import MetricSpec, format_value

KEY_LENGTH = 63  # the plan's keys: lowercase letters, digits and hyphens, at most 63
NAME_LENGTH = 300  # the plan's names


@dataclass(frozen=True)
class Proposal:
    """An objective the method calls for, ready to be written into the plan."""

    kpi: ChainNode
    spec: MetricSpec  # the KPI's: the key result restoring it takes its unit and direction
    urgent: bool  # red: an urgent objective; yellow: a hypothesis to test
    key: str  # the objective's
    name: str
    description: str
    key_result_key: str
    key_result_name: str
    baseline: float  # where the KPI stands now
    target: float  # the KPI's own target
    start: date
    end: date
    goal: str | None  # the goal it would serve: the nearest above the KPI (None: no goal)

    @property
    def summary(self) -> str:
        """One line for people: what is wrong and what the method calls for."""
        status = "red" if self.urgent else "yellow"
        kind = "an urgent objective" if self.urgent else "a hypothesis-driven objective"
        return (f"KPI {self.kpi.name} is {status} and no objective is working on it: the "
                f"method calls for {kind}: “{self.name}”.")


def end_of_next_quarter(today: date) -> date:
    """The last day of the calendar quarter after today's (3 Dec 2026 → 31 Mar 2027): time
    for an objective to show results, short enough to stay urgent."""
    month = 3 * ((today.month - 1) // 3 + 2)
    year = today.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return date(year, month, calendar.monthrange(year, month)[1])


def proposals(chain: Chain, today: date) -> list[Proposal]:
    """A proposal for each KPI in yellow or red (measured, not stale) that no current
    objective works on, red ones first, in the plan's order."""
    found = []
    for kpi in chain.of_kind(NodeKind.KPI):
        health, spec = kpi.health, kpi.blueprint.metric
        if health.status not in (Status.RED, Status.YELLOW) or health.stale:
            continue
        if spec is None or spec.target is None or health.value is None:
            continue  # nothing to restore it to, or nothing measured to start from
        if _worked_on(chain, kpi.id, today):
            continue
        found.append(_proposal(chain, kpi, spec, health.value, spec.target, today))
    return sorted(found, key=lambda p: not p.urgent)


def _above(chain: Chain, node_id: NodeId) -> list[ChainNode]:
    """Everything above a node, nearest first."""
    seen: set[NodeId] = {node_id}
    queue, out = deque([node_id]), []
    while queue:
        for parent in chain.parents.get(queue.popleft(), []):
            if parent not in seen and parent in chain.nodes:
                seen.add(parent)
                out.append(chain.nodes[parent])
                queue.append(parent)
    return out


def _worked_on(chain: Chain, kpi: NodeId, today: date) -> bool:
    for node in _above(chain, kpi):
        timeframe = node.blueprint.timeframe
        if node.kind is NodeKind.OBJECTIVE and (timeframe is None
                                                or timeframe[0] <= today <= timeframe[1]):
            return True
    return False


def _proposal(chain: Chain, kpi: ChainNode, spec: MetricSpec, now: float, target: float,
              today: date) -> Proposal:
    end = end_of_next_quarter(today)
    shown_now, shown_target = format_value(now, spec.unit), format_value(target, spec.unit)
    by = f"{end.day} {end:%B %Y}"
    urgent = kpi.health.status is Status.RED
    # A reason reads "red: 4.5% where the pace expects 20% …": said after "is red: " here.
    why = kpi.health.reason.split(": ", 1)[-1]
    if urgent:
        name = f"Restore {kpi.name} from {shown_now} to {shown_target} by {by}"
        description = (f"Urgent: {kpi.name} is red: {why}. Say what the team will do to "
                       "restore it, and link the activities that do it.")
    else:
        name = f"Find what brings {kpi.name} back from {shown_now} to {shown_target} by {by}"
        description = (f"Hypothesis: if we <change>, {kpi.name} will be back at {shown_target} "
                       f"by {by}, because <reason>. It is yellow: {why}. Fill in the change "
                       "and the reason, and how you will know early whether it works.")
    goal = next((n.key for n in _above(chain, kpi.id) if n.kind is NodeKind.GOAL), None)
    if goal is None:
        goal = next((g.key for g in chain.of_kind(NodeKind.GOAL)), None)
    return Proposal(
        kpi=kpi, spec=spec, urgent=urgent, key=_key(f"restore-{kpi.key}"), name=_name(name),
        description=description, key_result_key=_key(f"{kpi.key}-restored"),
        key_result_name=_name(f"{kpi.name} back at {shown_target}"), baseline=now,
        target=target, start=today, end=end, goal=goal)


def _key(key: str) -> str:
    return key[:KEY_LENGTH].rstrip("-")


def _name(name: str) -> str:
    return name if len(name) <= NAME_LENGTH else name[:NAME_LENGTH - 1].rstrip() + "…"
