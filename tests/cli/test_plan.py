"""`okr-bot plan …` and `okr-bot measure` as a person runs them (by the CLI's own `main()`, in
this process: tests/support/cli.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.okrs.plans.files import load_plan
from tests.support.cli import okr_bot

ROOT = Path(__file__).resolve().parents[2]
AI_PLAN = ROOT / "examples" / "ai-feature-launch.yml"
MARKS = ("🟢", "🟡", "🔴", "⚪")


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The AI plan imported once; tests that only need it there get a copy of the file."""
    folder = tmp_path_factory.mktemp("imported")
    assert okr_bot("plan", "import", str(AI_PLAN), cwd=folder).returncode == 0
    return folder / "okr-bot.db"


@pytest.fixture
def with_plan(imported: Path, tmp_path: Path) -> Path:
    shutil.copy(imported, tmp_path / "okr-bot.db")
    return tmp_path


def test_import_then_export_gives_back_the_same_plan(tmp_path: Path) -> None:
    imported = okr_bot("plan", "import", str(AI_PLAN), cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.strip().splitlines()[-1].startswith("35 created, 0 updated")

    exported = okr_bot("plan", "export", "-o", "exported.yml", cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr

    assert load_plan(tmp_path / "exported.yml").plan == load_plan(AI_PLAN).plan
    again = okr_bot("plan", "import", "exported.yml", cwd=tmp_path)
    assert again.stdout.strip().splitlines()[-1] == (
        "0 created, 0 updated, 35 unchanged, 0 measurement(s) added")


def test_a_re_import_counts_what_the_first_import_created_and_names_each_item_once(
        tmp_path: Path) -> None:
    plan = ROOT / "examples" / "b2b-saas.yml"
    first = okr_bot("plan", "import", str(plan), cwd=tmp_path).stdout.strip().splitlines()
    again = okr_bot("plan", "import", str(plan), cwd=tmp_path).stdout.strip().splitlines()

    created = [line for line in first if line.startswith("create ")]
    assert len(created) == len(set(created)), "an item announced twice"
    star = load_plan(plan).plan.north_star
    assert created.count(f"create north star {star.key}") == 1
    assert first[-1] == f"{len(created)} created, 0 updated, 0 unchanged, 2 measurement(s) added"
    assert again == [f"0 created, 0 updated, {len(created)} unchanged, 0 measurement(s) added"]


def test_dry_run_says_what_would_change_and_writes_nothing(tmp_path: Path) -> None:
    dry = okr_bot("plan", "import", "--dry-run", str(AI_PLAN), cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert "create objective ai-onboarding" in dry.stdout
    assert dry.stdout.strip().endswith("dry run: nothing was written")
    real = okr_bot("plan", "import", str(AI_PLAN), cwd=tmp_path)
    assert "create objective ai-onboarding" in real.stdout, "the dry run left nothing behind"


@pytest.mark.parametrize("example", sorted((ROOT / "examples").glob("*.yml")), ids=lambda p: p.name)
def test_lint_reports_no_errors_on_the_examples(tmp_path: Path, example: Path) -> None:
    result = okr_bot("plan", "lint", str(example), cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    assert result.stdout.strip().endswith("0 error(s), 0 warning(s)")


THREE_MISTAKES = """\
workspace: T0TEST
north_star: {key: ns, name: Engaged users, baseline: 10, target: 20}
goals:
  - {key: grow, name: Grow, owner: U0ALICE, priority: urgent}
objectives:
  - key: onboarding
    name: Onboard better
    goal: grow
    start: 2026-05-01
    end: 2026-07-01
    key_results:
      - {key: activation, name: Activation, baseline: 8, target: 20, due: 2026-07-01}
kpis:
  - {key: completion, name: Completion, owner: U0ALICE, baseline: 8, target: 20,
     frequency: hourly}
"""


def test_a_plan_with_three_mistakes_gets_all_three_and_changes_nothing(with_plan: Path) -> None:
    tmp_path = with_plan
    before = okr_bot("plan", "export", cwd=tmp_path).stdout
    broken = tmp_path / "broken.yml"
    broken.write_text(THREE_MISTAKES)

    result = okr_bot("plan", "import", str(broken), cwd=tmp_path)

    assert result.returncode == 1
    errors = result.stderr.strip().splitlines()
    assert errors[0] == f"{broken}: 3 error(s); nothing was written"
    assert errors[1].startswith("  goals[0].priority: input should be 'high', 'medium' or 'low'")
    assert errors[2] == "  objectives[0].owner: field required"
    assert errors[3].startswith("  kpis[0].frequency: input should be 'daily'")
    assert okr_bot("plan", "export", cwd=tmp_path).stdout == before


def test_an_invalid_plan_on_a_fresh_database_creates_nothing(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(THREE_MISTAKES)
    assert okr_bot("plan", "import", str(broken), cwd=tmp_path).returncode == 1
    assert not (tmp_path / "okr-bot.db").exists()


def test_lint_errors_block_an_import(tmp_path: Path) -> None:
    plan = tmp_path / "no-north-star.yml"
    plan.write_text("workspace: T0TEST\n")
    result = okr_bot("plan", "import", str(plan), cwd=tmp_path)
    assert result.returncode == 1
    assert "lint errors; nothing was written" in result.stderr
    assert "[north-star-count]" in result.stderr


def test_with_measurements_added_the_chain_reads_top_down_with_a_status_and_reason_at_every_node(
        with_plan: Path) -> None:
    tmp_path = with_plan
    for key, value in (("onboarding-completion", "17.5"), ("first-week-activation", "16"),
                       ("ai-engaged-users", "12400"), ("trial-conversion", "3.9")):
        measured = okr_bot("measure", key, value, cwd=tmp_path)
        assert measured.returncode == 0, measured.stderr
        assert measured.stdout.startswith(f"{key} = {float(value):g} at ")

    chain = okr_bot("plan", "chain", cwd=tmp_path)

    assert chain.returncode == 0, chain.stderr
    lines = chain.stdout.strip().splitlines()
    assert lines[0].startswith(("🟢", "🟡", "🔴")) and "North Star Monthly AI Feature" in lines[0]
    assert lines[1].lstrip().split(" ", 1)[1].startswith("Goal Increase trial-to-paid")
    assert "Objective Optimize onboarding experience" in lines[2]
    for line in lines:
        mark, rest = line.strip().split(" ", 1)
        assert mark in MARKS, line
        assert " — " in rest, f"no reason: {line}"
        assert rest.split(" — ", 1)[1].split(":")[0] in ("green", "yellow", "red", "no data")
    completion = next(line for line in lines if "[onboarding-completion]" in line)
    assert "17.5%" in completion


def test_why_walks_from_the_north_star_to_what_explains_it(with_plan: Path) -> None:
    tmp_path = with_plan
    collapsed = okr_bot("measure", "onboarding-completion", "4.5", cwd=tmp_path)
    assert collapsed.stdout.splitlines()[1].startswith("  red: ")
    assert collapsed.stdout.splitlines()[2] == (
        "  trigger: Emergency review: check for technical issues (4.5% is below 5%)")

    why = okr_bot("plan", "why", cwd=tmp_path)

    steps = why.stdout.strip().splitlines()
    assert "North Star" in steps[0]
    assert "Goal Increase trial-to-paid conversion" in steps[1]
    assert "Objective Optimize onboarding experience" in steps[2]
    assert "[onboarding-tours]" in steps[3] or "[onboarding-completion]" in steps[3]
    assert "[onboarding-completion]" in steps[-1]
    assert "4.5%" in steps[-1]


@pytest.mark.parametrize(("args", "says"), [
    (("measure", "no-such-key", "3"), "No key result or KPI matches “no-such-key”"),
    (("measure", "onboarding-completion", "abc"), '"abc" is not a number; expected a value '
                                                  "like 12, 12.5, 12%, 1,200, 1.2k or $3.5M"),
    (("measure", "onboarding-completion", "nan"), "is not a number"),
    (("measure", "onboarding-completion", "1,5"), "has a misplaced comma"),
    (("measure", "onboarding-completion", "3", "--at", "yesterday"), "needs a date, time and zone"),
    (("measure", "onboarding-completion", "3", "--at", "2999-01-01T00:00:00+00:00"),
     "is in the future"),
    (("plan", "chain", "no-such-key"), "Nothing in the plan matches “no-such-key”"),
])
def test_bad_input_gets_one_clear_line(with_plan: Path, args: tuple[str, ...], says: str) -> None:
    result = okr_bot(*args, cwd=with_plan)
    assert result.returncode == 1
    assert says in result.stderr
    assert "Traceback" not in result.stderr


def test_the_schema_command_prints_the_committed_schema(tmp_path: Path) -> None:
    result = okr_bot("plan", "schema", cwd=tmp_path)
    assert result.stdout == (ROOT / "docs" / "plan.schema.json").read_text()


def test_a_backfilled_value_does_not_re_announce_a_later_crossing(with_plan: Path) -> None:
    tmp_path = with_plan
    first = okr_bot("measure", "onboarding-completion", "4.5", cwd=tmp_path)
    assert "trigger: Emergency review" in first.stdout

    backfill = okr_bot("measure", "onboarding-completion", "14.9", "--at",
                       "2026-06-30T08:00:00+00:00", cwd=tmp_path)

    assert backfill.returncode == 0, backfill.stderr
    assert "trigger:" not in backfill.stdout
