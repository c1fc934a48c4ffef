"""`okr-bot plan propose`: a KPI in red that no current objective works on gets the objective
the method calls for, as plan-file YAML; pasted into the plan and imported, the KPI has an
objective working on it and nothing more is proposed for it."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.cli.test_plan import AI_PLAN
from tests.support.cli import okr_bot


def test_propose_paste_import_and_the_kpi_is_worked_on(tmp_path: Path) -> None:
    assert okr_bot("plan", "import", str(AI_PLAN), cwd=tmp_path).returncode == 0
    # Every objective of the example plan ended in 2026: a red KPI now has nobody on it.
    assert okr_bot("measure", "onboarding-completion", "4.5", cwd=tmp_path).returncode == 0

    proposed = okr_bot("plan", "propose", cwd=tmp_path)

    assert proposed.returncode == 0, proposed.stderr
    assert ("KPI AI feature onboarding completion rate is red and no objective is working on "
            "it: the method calls for an urgent objective: “Restore AI feature onboarding "
            "completion rate from 4.5% to 20% by ") in proposed.stdout
    [entry] = yaml.safe_load(proposed.stdout.split("\n", 1)[1])["objectives"]
    assert entry["key"] == "restore-onboarding-completion"

    plan = yaml.safe_load(AI_PLAN.read_text(encoding="utf-8"))
    plan["objectives"].append(entry)
    kpi = next(k for k in plan["kpis"] if k["key"] == "onboarding-completion")
    kpi["measures"]["objectives"].append(entry["key"])
    (tmp_path / "plan.yml").write_text(yaml.safe_dump(plan, sort_keys=False), encoding="utf-8")
    imported = okr_bot("plan", "import", "plan.yml", cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr + imported.stdout

    again = okr_bot("plan", "propose", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "onboarding completion" not in again.stdout
    chain = okr_bot("plan", "chain", cwd=tmp_path).stdout
    assert "Restore AI feature onboarding completion rate" in chain
