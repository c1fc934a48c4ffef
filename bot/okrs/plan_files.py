"""Reading and writing plan files: YAML in, every error with its path out; YAML back out."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bot.okrs.lint import Finding, Severity, lint
from bot.okrs.plan import Plan


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
        return self.plan is not None and not self.errors and not any(
            f.severity is Severity.ERROR for f in self.findings)


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
        plan = Plan.model_validate(data)
    except ValidationError as error:
        return LoadedPlan(None, validation_errors(error), [])
    return LoadedPlan(plan, [], lint(plan))


def load_plan(path: str | Path) -> LoadedPlan:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return LoadedPlan(None, [PlanError(str(path), f"cannot read the file ({error})")], [])
    return parse_plan(text)


def _key_first(node: Any) -> Any:
    if isinstance(node, dict):
        ordered = {"key": node["key"]} if "key" in node else {}
        ordered.update({k: _key_first(v) for k, v in node.items() if k != "key"})
        return ordered
    if isinstance(node, list):
        return [_key_first(item) for item in node]
    return node


def dump_plan(plan: Plan) -> str:
    """The plan as YAML, defaults left out, each node's key first."""
    data = plan.model_dump(mode="json", exclude_defaults=True, exclude_none=True)
    data = {"version": plan.version, **data}
    return yaml.safe_dump(_key_first(data), sort_keys=False, allow_unicode=True, width=100)


def json_schema() -> str:
    schema = Plan.model_json_schema()
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
