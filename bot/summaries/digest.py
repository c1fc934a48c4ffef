"""A team's weekly digest, worked out from plain data: who answered, how the team's key results
and KPIs stand and what moved in the window, what is blocked (closest to the North Star
first), each person's answers, and what needs a decision. Pure: the chain, the rounds and the
blockers come in; nothing is read or sent here (bot/summaries/flows.py gathers, the blocks
render)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.checkins.blocker_rules import BlockerEntry
from bot.checkins.confidence import Confidence
from bot.okrs.method.chain import Chain, ChainNode, NodeKind, path_up
from bot.okrs.method.enums import ActivityStatus, Frequency, Status
from bot.okrs.method.explanations import early_warnings, tree_miss
from bot.okrs.method.health import metric_health
from bot.okrs.method.movement import is_plateau
from bot.okrs.method.proposals import proposals
from bot.okrs.views import objective_parts

ON_TIME, LATE, EXCUSED, MISSED, OPEN = "on time", "late", "excused", "missed", "still open"
PARTICIPATION_ORDER = (ON_TIME, LATE, EXCUSED, MISSED, OPEN)
# An owner this sure while the number is red (or this unsure while it is green) disagrees
# with the measurement enough to say so (confidence is 1 to 10: docs/method.md).
SURE, UNSURE = 7, 3
# Work reported under way this many weekly check-ins running while what it drives stays flat.
GAP_WEEKS = 3


@dataclass(frozen=True)
class Participant:
    slack_user_id: str
    name: str  # as the digest names them: never an @-mention in a channel
    state: str  # ON_TIME, LATE, EXCUSED, MISSED or OPEN
    answers: tuple[tuple[str, str], ...] = ()  # (question as asked, answer)


@dataclass(frozen=True)
class Moved:
    node: ChainNode
    before: float | None  # the value in force when the window opened
    before_status: Status | None


@dataclass(frozen=True)
class Disagreement:
    node: ChainNode
    confidence: Confidence


@dataclass(frozen=True)
class Gap:
    """An activity under way while a KPI it should move stays flat."""

    activity: ChainNode
    kpi: ChainNode

    @property
    def text(self) -> str:
        return (f"{self.activity.name} is in progress while {self.kpi.name} has stayed flat "
                f"for {GAP_WEEKS} weeks: {self.kpi.health.reason}")


@dataclass(frozen=True)
class Digest:
    team: str
    cycle: str
    window: tuple[datetime, datetime]
    since: datetime  # what changed is counted from here: the previous digest, or the window
    participation: dict[str, list[Participant]]
    status_counts: dict[str, int]  # green, yellow, red, stale, no data
    objectives: list[tuple[ChainNode, list[Moved]]]  # each with its key results, old → new
    turned_red: list[ChainNode]
    recovered: list[ChainNode]
    new_blockers: list[BlockerEntry]
    blockers: list[BlockerEntry]  # open, closest to the North Star first, then the oldest
    north_star: ChainNode | None
    decisions: list[str] = field(default_factory=list)  # what needs a decision, in words
    reported_vs_measured: list[Disagreement] = field(default_factory=list)
    explanations: list[str] = field(default_factory=list)  # the method's diagnosis in words
    gaps: list[Gap] = field(default_factory=list)  # activity–outcome gaps
    alerts: list[str] = field(default_factory=list)  # red alerts told to owners in the window
    kpis_in_trouble: list[ChainNode] = field(default_factory=list)  # red, then yellow


def _status_then(node: ChainNode, at: datetime) -> tuple[float | None, Status | None]:
    """The node's value and status as they stood at `at`, from its own measurements."""
    spec = node.blueprint.metric
    points = [m for m in node.blueprint.measurements if m.measured_at <= at]
    if spec is None or not points:
        return None, None
    return points[-1].value, metric_health(spec, points, at).status


def _count(nodes: list[ChainNode]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for node in nodes:
        if node.health.stale:
            counts["stale"] += 1
        else:
            counts[node.health.status.value.replace("_", " ")] += 1
    return {name: counts[name] for name in ("green", "yellow", "red", "stale", "no data")}


def build_digest(*, team: str, cycle: str, window: tuple[datetime, datetime], chain: Chain,
                 objectives: list[ChainNode], participants: list[Participant],
                 blockers: list[BlockerEntry], confidences: dict[str, Confidence],
                 now: datetime, alerts: list[str] | None = None,
                 since: datetime | None = None) -> Digest:
    """The digest of one team for one cycle (`window`: when answers were collected). What
    changed is counted from `since`, the previous digest (else the window's opening)."""
    start = since or window[0]
    participation: dict[str, list[Participant]] = {state: [] for state in PARTICIPATION_ORDER}
    for person in participants:
        participation[person.state].append(person)
    measured: dict[tuple[NodeKind, str], ChainNode] = {}
    per_objective = []
    activities: set[tuple[NodeKind, str]] = set()
    earlier: dict[tuple[NodeKind, str], tuple[float | None, Status | None]] = {}
    for objective in objectives:
        key_results, driving, kpis = objective_parts(chain, objective)
        activities |= {a.id for a in driving}
        moved = []
        for node in (*key_results, *kpis.values()):
            measured[node.id] = node
            if node.id not in earlier:  # judged once, however many objectives it serves
                earlier[node.id] = _status_then(node, start)
            if node.kind is NodeKind.KEY_RESULT:
                moved.append(Moved(node, *earlier[node.id]))
        per_objective.append((objective, moved))
    nodes = list(measured.values())
    then = {node_id: status for node_id, (_value, status) in earlier.items()}
    turned_red = [n for n in nodes if n.health.status is Status.RED and not n.health.stale
                  and then[n.id] is not Status.RED]
    recovered = [n for n in nodes if n.health.status is Status.GREEN
                 and then[n.id] in (Status.YELLOW, Status.RED)]
    shown = set(measured) | {o.id for o in objectives} | activities
    ours = [b for b in blockers if b.item is None or b.item.id in shown]
    ours.sort(key=lambda b: (_distance(chain, b), b.created_at))
    decisions = [f"{n.label} {n.name} has been red since before {start:%-d %b}: "
                 f"{n.health.reason.removeprefix('red: ')}"
                 for n in nodes if n.health.status is Status.RED and not n.health.stale
                 and then[n.id] is Status.RED]
    decisions += [f"{b.label} has blocked {b.item.name if b.item else 'the team'} for "
                  f"{(now - b.created_at).days} days: {b.text}"
                  for b in ours if now - b.created_at >= timedelta(days=14)]
    decisions += [f"{p.kpi.name} is red and no objective works on it: the method calls for "
                  f"“{p.name}”" for p in proposals(chain, now.date())
                  if p.urgent and p.kpi.id in measured]
    disagreements = []
    for node in nodes:
        reported = confidences.get(node.key)
        if reported is None or node.health.stale:
            continue
        if (node.health.status is Status.RED and reported.confidence >= SURE) or (
                node.health.status is Status.GREEN and reported.confidence <= UNSURE):
            disagreements.append(Disagreement(node, reported))
    explanations = [miss for n in nodes if (miss := tree_miss(chain, n)) is not None]
    explanations += [w.text for w in early_warnings(chain, shown | set(measured))]
    gaps = [Gap(activity, kpi) for objective in objectives
            for activity in chain.children_of(objective.id)
            if activity.kind is NodeKind.ACTIVITY
            and activity.blueprint.activity_status is ActivityStatus.IN_PROGRESS
            for kpi in chain.children_of(activity.id)
            if kpi.kind is NodeKind.KPI and is_plateau(
                kpi.blueprint.measurements, GAP_WEEKS, Frequency.WEEKLY, now,
                spec=kpi.blueprint.metric)]
    return Digest(
        team=team, cycle=cycle, window=window, since=start, participation=participation,
        status_counts=_count(nodes), objectives=per_objective, turned_red=turned_red,
        recovered=recovered,
        new_blockers=[b for b in ours if start <= b.created_at <= now],
        blockers=ours, north_star=chain.north_star, decisions=decisions,
        reported_vs_measured=disagreements, explanations=explanations, gaps=gaps,
        alerts=list(alerts or ()),
        kpis_in_trouble=sorted((n for n in nodes if n.kind is NodeKind.KPI
                                and n.health.status in (Status.RED, Status.YELLOW)
                                and not n.health.stale),
                               key=lambda n: n.health.status is not Status.RED))


def _distance(chain: Chain, blocker: BlockerEntry) -> int:
    """How many links from what it blocks up to the North Star (a general blocker: last)."""
    if blocker.item is None or blocker.item.id not in chain.nodes:
        return 1_000
    return len(path_up(chain, blocker.item.id))
