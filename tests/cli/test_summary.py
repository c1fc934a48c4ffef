"""`okr-bot summary TEAM [--at]`: the team's digest in the terminal, as an operator sees it."""

from __future__ import annotations

from pathlib import Path

from tests.cli.test_plan import AI_PLAN
from tests.support.cli import okr_bot


def test_the_digest_in_the_terminal(tmp_path: Path) -> None:
    assert okr_bot("plan", "import", str(AI_PLAN), cwd=tmp_path).returncode == 0
    assert okr_bot("measure", "onboarding-completion", "4.5", "--at",
                   "2026-07-30T09:00:00+00:00", cwd=tmp_path).returncode == 0

    printed = okr_bot("summary", "ai-launch", "--at", "2026-07-31T12:00:00+00:00",
                      cwd=tmp_path)

    assert printed.returncode == 0, printed.stderr
    lines = printed.stdout.splitlines()
    assert lines[0].startswith("AI Launch: the week in OKRs (no check-in yet, Fri 24 Jul")
    assert "Objective Optimize onboarding experience for AI features: red:" in printed.stdout
    assert "Needs a decision:" in printed.stdout


def test_what_it_cannot_do_is_one_line(tmp_path: Path) -> None:
    assert okr_bot("plan", "import", str(AI_PLAN), cwd=tmp_path).returncode == 0
    unknown = okr_bot("summary", "nobody", cwd=tmp_path)
    assert unknown.returncode != 0
    assert unknown.stderr.strip() == ("okr-bot: No team matches “nobody”. Name a team by its "
                                      "key or name.")
    bad_time = okr_bot("summary", "ai-launch", "--at", "yesterday", cwd=tmp_path)
    assert bad_time.returncode == 2
    assert "--at must be an ISO 8601 instant with its offset" in bad_time.stderr
    assert "'yesterday'" in bad_time.stderr


def test_post_queues_it_for_the_teams_channel(tmp_path: Path) -> None:
    assert okr_bot("plan", "import", str(AI_PLAN), cwd=tmp_path).returncode == 0
    posted = okr_bot("summary", "ai-launch", "--post", cwd=tmp_path)
    assert posted.returncode == 0, posted.stderr
    assert posted.stdout.startswith("AI Launch's digest is queued for <#C0AILAUNCH>")
    ran = okr_bot("jobs", "run", "post-digests", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert "digests posted: 1," in ran.stdout + ran.stderr
