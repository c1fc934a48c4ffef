"""`okr-bot workspace export|purge`: what an operator runs before and for deleting a workspace."""

from __future__ import annotations

import json
from pathlib import Path

from bot.okrs.plans.files import load_plan
from tests.cli.test_plan import AI_PLAN
from tests.support.cli import okr_bot

TEAM = "T0AIDEMO"  # the example plan's workspace


def test_export_writes_the_plan_and_every_row_but_never_a_token(tmp_path: Path) -> None:
    assert okr_bot("plan", "import", str(AI_PLAN), cwd=tmp_path).returncode == 0
    assert okr_bot("measure", "onboarding-completion", "4.5", cwd=tmp_path).returncode == 0

    done = okr_bot("workspace", "export", TEAM, "--to", "out", cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Exported workspace {TEAM} to out/ (plan.yml, ")
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == [
        "audit.json", "blockers.json", "checkins.json", "plan.yml", "workspace.json"]
    plan = load_plan(out / "plan.yml").plan
    assert plan.workspace == TEAM and plan.north_star is not None
    tables = json.loads((out / "workspace.json").read_text())
    assert len(tables["metrics"]) == 21 and tables["workspaces"][0]["slack_team_id"] == TEAM
    # A second export into the same, no longer empty, directory is refused.
    again = okr_bot("workspace", "export", TEAM, "--to", "out", cwd=tmp_path)
    assert again.returncode == 1 and "is not empty" in again.stderr


def test_purge_is_a_dry_run_then_exports_before_it_deletes(tmp_path: Path) -> None:
    assert okr_bot("plan", "import", str(AI_PLAN), cwd=tmp_path).returncode == 0
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")

    installed = okr_bot("workspace", "purge", TEAM, cwd=tmp_path)
    assert installed.returncode == 1
    assert installed.stderr.startswith(f"okr-bot: okr-bot is still installed in workspace {TEAM}")
    dry = okr_bot("workspace", "purge", TEAM, "--installed", cwd=tmp_path)
    assert dry.returncode == 0 and "Nothing was deleted: add --yes" in dry.stdout
    assert "metrics 21" in dry.stdout
    unwritable = okr_bot("workspace", "purge", TEAM, "--installed", "--yes", "--export-to",
                         "full", cwd=tmp_path)
    assert unwritable.returncode == 1
    assert "cannot write the export, so nothing was deleted" in unwritable.stderr

    done = okr_bot("workspace", "purge", TEAM, "--installed", "--yes", "--export-to", "saved",
                   cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Exported workspace {TEAM} to saved/ and deleted it: ")
    assert load_plan(tmp_path / "saved" / "plan.yml").plan.workspace == TEAM
    gone = okr_bot("workspace", "export", TEAM, cwd=tmp_path)
    assert gone.returncode == 1 and f"no workspace {TEAM}" in gone.stderr
