"""Reading and writing plan files: YAML in, every error with its path out; YAML back out."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bot.okrs.plans.lint import Finding, has_errors, lint
from bot.okrs.plans.plan import FROM_FILE, Plan


@dataclass(frozen=True)
class PlanError:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


@dataclass(frozen=True)
class LoadedPlan:
    plan: Plan | None
    errors: list[PlanError]
    findings: list[Finding]

    @property
    def ok(self) -> bool:
        """Valid and free of lint errors: safe to import."""
        return self.plan is not None and not self.errors and not has_errors(self.findings)


def format_path(location: tuple[Any, ...]) -> str:
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        elif isinstance(part, str) and not any(c in part for c in "[ ,"):
            # pydantic adds type tags such as "tuple[float, float]" to union paths; skip them
            path += f".{part}" if path else part
    return path


def _message(detail: dict[str, Any]) -> str:
    message = detail["msg"].removeprefix("Value error, ")
    if detail["type"] == "missing":
        return "field required"
    if detail["type"] == "extra_forbidden":
        return "unknown field (check its spelling and level)"
    return message[:1].lower() + message[1:]


def validation_errors(error: ValidationError) -> list[PlanError]:
    return [PlanError(format_path(d["loc"]), _message(d)) for d in error.errors()]


def parse_plan(text: str) -> LoadedPlan:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        return LoadedPlan(None, [PlanError(where, f"not valid YAML: {problem}")], [])
    if not isinstance(data, dict):
        return LoadedPlan(None, [PlanError("", "a plan file is a YAML mapping with at least "
                                                 "`workspace:`")], [])
    try:
        plan = Plan.model_validate(data, context={FROM_FILE: True})
    except ValidationError as error:
        # Report what the schema found and the broken references in the same pass, so one
        # round of fixes is enough.
        return LoadedPlan(None, validation_errors(error) + reference_errors(data), [])
    return LoadedPlan(plan, [], lint(plan))


def _items(data: dict[str, Any], section: str) -> list[tuple[int, dict[str, Any]]]:
    value = data.get(section)
    return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)] \
        if isinstance(value, list) else []


def _keys(items: list[tuple[int, dict[str, Any]]]) -> set[str]:
    return {item["key"] for _, item in items if isinstance(item.get("key"), str)}


def reference_errors(data: dict[str, Any]) -> list[PlanError]:
    """Keys referenced but never defined, read from the raw file (when the schema already
    failed, lint cannot run; these are the errors it would have added)."""
    goals, objectives = _items(data, "goals"), _items(data, "objectives")
    activities, kpis = _items(data, "activities"), _items(data, "kpis")
    goal_keys, objective_keys = _keys(goals), _keys(objectives)
    activity_keys, kpi_keys = _keys(activities), _keys(kpis)
    kr_keys = {kr.get("key") for _, o in objectives for kr in o.get("key_results") or []
               if isinstance(kr, dict)}
    metric_keys = kpi_keys | kr_keys | goal_keys | {
        (data.get("north_star") or {}).get("key") if isinstance(data.get("north_star"), dict)
        else None}
    errors: list[PlanError] = []

    def check(path: str, value: Any, known: set[Any], what: str) -> None:
        values = value if isinstance(value, list) else [value]
        for index, key in enumerate(values):
            if isinstance(key, str) and key not in known:
                where = f"{path}[{index}]" if isinstance(value, list) else path
                errors.append(PlanError(where, f"no {what} with key '{key}'"))

    for i, objective in objectives:
        if "goal" in objective:
            check(f"objectives[{i}].goal", objective["goal"], goal_keys, "goal")
    for i, activity in activities:
        check(f"activities[{i}].objectives", activity.get("objectives") or [], objective_keys,
              "objective")
        check(f"activities[{i}].goals", activity.get("goals") or [], goal_keys, "goal")
    for i, kpi in kpis:
        measures = kpi.get("measures") if isinstance(kpi.get("measures"), dict) else {}
        check(f"kpis[{i}].measures.activities", measures.get("activities") or [],
              activity_keys, "activity")
        check(f"kpis[{i}].measures.objectives", measures.get("objectives") or [],
              objective_keys, "objective")
        formula = kpi.get("formula") if isinstance(kpi.get("formula"), dict) else {}
        for j, formula_input in enumerate(formula.get("inputs") or []):
            if isinstance(formula_input, dict):
                check(f"kpis[{i}].formula.inputs[{j}].metric", formula_input.get("metric"),
                      metric_keys, "metric")
        check(f"kpis[{i}].counter_metrics", kpi.get("counter_metrics") or [], metric_keys,
              "metric")
    return errors


def load_plan(path: str | Path) -> LoadedPlan:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return LoadedPlan(None, [PlanError(str(path), f"cannot read the file ({error})")], [])
    return parse_plan(text)


def key_first(node: Any) -> Any:
    if isinstance(node, dict):
        ordered = {"key": node["key"]} if "key" in node else {}
        ordered.update({k: key_first(v) for k, v in node.items() if k != "key"})
        return ordered
    if isinstance(node, list):
        return [key_first(item) for item in node]
    return node


def dump_plan(plan: Plan) -> str:
    """The plan as YAML, defaults left out, each node's key first."""
    data = plan.model_dump(mode="json", exclude_defaults=True, exclude_none=True)
    data = {"version": plan.version, **data}
    return yaml.safe_dump(key_first(data), sort_keys=False, allow_unicode=True, width=100)


def json_schema() -> str:
    schema = Plan.model_json_schema()
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
