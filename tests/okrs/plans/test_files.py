"""Plan files: every error with its path, the JSON Schema, and YAML that reads back the same."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.okrs.plans.files import dump_plan, json_schema, load_plan, parse_plan

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = sorted((ROOT / "examples").glob("*.yml"))
assert [e.name for e in EXAMPLES] == ["ai-feature-launch.yml", "b2b-saas.yml"]  # none lost

THREE_MISTAKES = """
workspace: T0TEST
north_star: {key: ns, name: Engaged users, baseline: 10, target: 20}
goals:
  - {key: g1, name: Grow, owner: U0ALICE}
objectives:
  - key: o1
    name: Onboard better
    goal: g1
    owner: U0ALICE
    start: 2026-05-01
    end: 2026-07-01
    key_results:
      - {key: kr1, name: Activation, baseline: 8, target: 20, due: 2026-07-01}
  - key: o2
    name: Second
    goal: g1
    owner: not-a-slack-id
    start: 2026-05-01
    end: 2026-07-01
    key_results: []
  - key: o3
    name: Third
    goal: g1
    owner: U0ALICE
    start: 2026-05-01
    end: 2026-07-01
    key_results:
      - {key: kr3, name: Retention, baseline: 1, due: 2026-07-01}
      - {key: kr4, name: Something, baseline: 1, target: 2, due: 2026-07-01, colour: red}
"""


def test_every_mistake_is_reported_with_its_path() -> None:
    loaded = parse_plan(THREE_MISTAKES)

    assert loaded.plan is None
    shown = [str(error) for error in loaded.errors]
    assert any(s.startswith("objectives[1].owner: string should match pattern") for s in shown)
    assert "objectives[2].key_results[0].target: field required" in shown
    assert "objectives[2].key_results[1].colour: unknown field (check its spelling and level)" \
        in shown
    assert len(shown) == 3


def test_mistakes_of_different_kinds_are_reported_in_one_pass() -> None:
    text = THREE_MISTAKES.replace("goal: g1\n    owner: U0ALICE\n    start: 2026-05-01\n"
                                  "    end: 2026-07-01\n    key_results:\n      - {key: kr1",
                                  "goal: g9\n    owner: U0ALICE\n    start: 2026-05-01\n"
                                  "    end: 2026-07-01\n    key_results:\n      - {key: kr1", 1)
    shown = [str(error) for error in parse_plan(text).errors]
    assert "objectives[0].goal: no goal with key 'g9'" in shown
    assert len(shown) == 4, shown


def test_a_missing_field_says_field_required() -> None:
    loaded = parse_plan("workspace: T0TEST\nobjectives:\n  - {key: o1, name: x, goal: g}\n")
    assert "objectives[0].owner: field required" in [str(e) for e in loaded.errors]


@pytest.mark.parametrize(("text", "says"), [
    ("workspace: [unclosed", "line 1, column 21: not valid YAML: expected ',' or ']'"),
    ("- just\n- a list\n", "a plan file is a YAML mapping"),
])
def test_files_that_are_not_plans(text: str, says: str) -> None:
    assert says in str(parse_plan(text).errors[0])


def test_an_unreadable_file_is_an_error_not_a_crash(tmp_path: Path) -> None:
    loaded = load_plan(tmp_path / "missing.yml")
    assert "cannot read the file" in str(loaded.errors[0])


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_examples_dump_and_read_back_as_the_same_plan(example: Path) -> None:
    loaded = load_plan(example)
    assert loaded.plan is not None, loaded.errors
    again = parse_plan(dump_plan(loaded.plan))
    assert again.errors == []
    assert again.plan == loaded.plan


def test_the_committed_json_schema_is_the_generated_one() -> None:
    committed = (ROOT / "docs" / "plan.schema.json").read_text()
    assert committed == json_schema(), "run `okr-bot plan schema > docs/plan.schema.json`"
    schema = json.loads(committed)
    assert schema["properties"]["objectives"]["type"] == "array"
    assert "workspace" in schema["required"]


def test_examples_validate_against_the_json_schema() -> None:
    import jsonschema
    import yaml

    validator = jsonschema.Draft202012Validator(json.loads(json_schema()))
    for example in EXAMPLES:
        data = json.loads(json.dumps(yaml.safe_load(example.read_text()), default=str))
        assert list(validator.iter_errors(data)) == [], example.name
