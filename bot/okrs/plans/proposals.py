"""A proposed objective (bot/okrs/method/proposals.py) as plan-file YAML for its owner to edit
and import: an `objectives:` entry whose key result brings the KPI back to its target, checked
against the plan's own models so that what is printed is what `okr-bot plan import` reads."""

from __future__ import annotations

import yaml

from bot.okrs.method.proposals import Proposal
from bot.okrs.plans import plan as p
from bot.okrs.plans.files import key_first


def objective_of(proposal: Proposal, *, goal: str, owner: str) -> p.Objective:
    """The objective as the plan describes one (pydantic refuses what the plan would)."""
    spec = proposal.spec
    return p.Objective(
        key=proposal.key, name=proposal.name, description=proposal.description, goal=goal,
        owner=owner, start=proposal.start, end=proposal.end,
        key_results=[p.KeyResult(
            key=proposal.key_result_key, name=proposal.key_result_name, unit=spec.unit,
            direction=spec.direction, baseline=proposal.baseline, target=proposal.target,
            due=proposal.end, frequency=spec.frequency, owner=owner,
            # What guards the KPI guards the key result that restores it.
            counter_metrics=[key for _kind, key in proposal.kpi.blueprint.counter_metrics])])


def snippet(proposal: Proposal) -> str:
    """YAML to paste into the plan, with what else to change said in comments; an empty
    string when the plan has no goal to hang an objective on (or the KPI has no owner)."""
    goal, owner = proposal.goal, proposal.kpi.owner
    if goal is None or owner is None:
        return ""
    objective = objective_of(proposal, goal=goal, owner=owner)
    data = objective.model_dump(mode="json", exclude_defaults=True, exclude_none=True)
    body = yaml.safe_dump({"objectives": [key_first(data)]}, sort_keys=False,
                          allow_unicode=True, width=100)
    return (f"# Under `objectives:` in the plan file. The goal is the nearest above "
            f"{proposal.kpi.key} in the chain (or the plan's first): change it if another fits.\n"
            f"{body}"
            f"# And in the KPI {proposal.kpi.key}, so the chain shows this objective working on "
            f"it:\n#   measures: {{objectives: [..., {proposal.key}]}}\n")
