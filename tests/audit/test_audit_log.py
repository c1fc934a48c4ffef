"""The audit log: written by the flows in the change's own transaction, nothing when refused,
role changes from plan imports and from Slack, `okr-bot audit` reading it back."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from freezegun import freeze_time
from sqlalchemy import delete, select

from bot.audit import service as audit
from bot.audit.models import AuditEvent
from bot.okrs.plans.files import dump_plan, load_plan
from bot.people.models import Person, Workspace
from tests.conftest import TEAM_ID
from tests.fakes.slack_workspace import default_user
from tests.slack.conftest import RunningBot
from tests.support.cli import okr_bot

ROOT = Path(__file__).resolve().parents[2]
MAYA, PRIYA, LARS = "U0AIPM001", "U0AIUX001", "U0AIVP001"
KR = "first-week-activation"  # Maya's


def logged(bot: RunningBot) -> list[tuple]:
    with bot.session_factory() as session:
        return [(e.actor, e.action, e.subject_kind, e.subject_key, e.before, e.after)
                for e in session.scalars(select(AuditEvent).where(AuditEvent.actor != "cli")
                                         .order_by(AuditEvent.id))]


def test_a_value_and_its_undo_are_logged_with_before_and_after(planned: RunningBot) -> None:
    with freeze_time("2026-12-03T10:00:00Z"):
        assert planned.slack.command(f"update {KR} 16.5% tours live", user_id=MAYA).status == 200
        assert planned.slack.command(f"update {KR} undo", user_id=MAYA).status == 200
    recorded, undone = logged(planned)
    assert recorded == (MAYA, audit.VALUE_RECORDED, "key_result", KR, {"value": 13.8}, {
        "value": 16.5, "measured_at": "2026-12-03T10:00:00+00:00", "source": "slack",
        "note": "tours live"})
    assert undone == (MAYA, audit.VALUE_UNDONE, "key_result", KR,
                      {"value": 16.5, "measured_at": "2026-12-03T10:00:00+00:00"},
                      {"value": 13.8})


def test_a_refused_or_failed_action_logs_nothing(planned: RunningBot) -> None:
    planned.slack.command(f"update {KR} 16.5%", user_id=PRIYA)  # not hers: refused
    planned.slack.command(f"update {KR} 400%", user_id=MAYA)  # implausible: nothing recorded
    planned.slack.command("blocker resolve B-1", user_id=PRIYA)  # no such blocker
    planned.slack.command(f"blocker add {KR} " + "x" * 5000, user_id=PRIYA)  # too long
    assert logged(planned) == []


def test_blockers_raised_and_resolved_are_logged(planned: RunningBot) -> None:
    planned.slack.command(f"blocker add {KR} waiting on legal", user_id=PRIYA)
    planned.slack.command("blocker resolve B-1 legal said yes", user_id=MAYA)
    assert logged(planned) == [
        (PRIYA, audit.BLOCKER_RAISED, "blocker", "B-1", None,
         {"on": KR, "text": "waiting on legal"}),
        (MAYA, audit.BLOCKER_RESOLVED, "blocker", "B-1", {"open": True},
         {"open": False, "note": "legal said yes"})]


def test_slack_saying_someone_became_an_admin_is_a_role_change(planned: RunningBot) -> None:
    user = default_user(PRIYA, TEAM_ID, tz="Asia/Kolkata")
    user["is_admin"] = True
    assert planned.slack.event({"type": "user_change", "user": user}).status == 200
    assert planned.slack.event({"type": "user_change", "user": user}).status == 200  # no news
    user["is_admin"] = False
    assert planned.slack.event({"type": "user_change", "user": user}).status == 200
    assert [row[:2] + row[4:] for row in logged(planned)] == [
        ("slack", audit.SLACK_ADMIN_CHANGED, {"is_admin": False}, {"is_admin": True}),
        ("slack", audit.SLACK_ADMIN_CHANGED, {"is_admin": True}, {"is_admin": False})]


def _write(plan, path: Path) -> Path:  # type: ignore[no-untyped-def]
    path.write_text(dump_plan(plan))
    return path


def test_plan_imports_log_admins_managers_and_the_import_and_audit_prints_them(
        database_url: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": database_url}
    plan = load_plan(ROOT / "examples" / "ai-feature-launch.yml").plan
    first = _write(plan.model_copy(update={"admins": [LARS]}), tmp_path / "first.yml")
    people = [p.model_copy(update={"manager": LARS}) if p.slack_user_id == PRIYA else p
              for p in plan.people]
    second = _write(plan.model_copy(update={"admins": [MAYA], "people": people}),
                    tmp_path / "second.yml")
    with freeze_time("2026-12-01T09:00:00Z"):
        assert okr_bot("plan", "import", str(first), cwd=tmp_path, env=env).returncode == 0
        assert okr_bot("plan", "import", str(first), cwd=tmp_path, env=env).returncode == 0
    with freeze_time("2026-12-02T09:00:00Z"):
        assert okr_bot("plan", "import", str(second), cwd=tmp_path, env=env).returncode == 0

    printed = okr_bot("audit", "T0AIDEMO", cwd=tmp_path, env=env)
    assert printed.returncode == 0, printed.stderr
    lines = printed.stdout.splitlines()
    assert [line.split()[1:3] for line in lines].count(["cli", "plan"]) == 2  # not the re-import
    since = okr_bot("audit", "T0AIDEMO", "--since", "2026-12-02", cwd=tmp_path, env=env)
    assert since.stdout.splitlines() == [
        '2026-12-02T09:00:00Z  cli           admin changed         person U0AIPM001  '
        '{"admin": false} -> {"admin": true}',
        '2026-12-02T09:00:00Z  cli           admin changed         person U0AIVP001  '
        '{"admin": true} -> {"admin": false}',
        '2026-12-02T09:00:00Z  cli           manager changed       person U0AIUX001  '
        '{"manager": "U0AIPM001"} -> {"manager": "U0AIVP001"}',
        '2026-12-02T09:00:00Z  cli           plan imported         plan plan  - -> '
        '{"created": 0, "measurements_added": 0, "updated": 2}']
    exported = okr_bot("plan", "export", "-o", "back.yml", cwd=tmp_path, env=env)
    assert exported.returncode == 0, exported.stderr
    assert load_plan(tmp_path / "back.yml").plan.admins == [MAYA]


def test_audit_says_what_it_expects(tmp_path: Path) -> None:
    bad = okr_bot("audit", "T0AIDEMO", "--since", "last week", cwd=tmp_path)
    assert bad.returncode == 2
    assert "--since must be a date (2026-12-01) or an ISO 8601 instant" in bad.stderr
    unknown = okr_bot("audit", "T0NOSUCH", cwd=tmp_path)
    assert (unknown.returncode, unknown.stderr) == (
        1, "okr-bot: No workspace T0NOSUCH in this database.\n")


def test_a_workspace_deleted_takes_its_audit_log_with_it(planned: RunningBot) -> None:
    planned.slack.command(f"update {KR} 16.5%", user_id=MAYA)
    with planned.session_factory.begin() as session:
        assert session.scalars(select(AuditEvent)).all()
        session.execute(delete(Person))
        session.execute(delete(Workspace))
    with planned.session_factory() as session:
        assert session.scalars(select(AuditEvent)).all() == []


@pytest.mark.parametrize("text", ["x" * 500])
def test_before_and_after_stay_small(planned: RunningBot, text: str) -> None:
    with freeze_time(datetime(2026, 12, 3, 10, tzinfo=UTC)):
        planned.slack.command(f"update {KR} 16.5% {text}", user_id=MAYA)
    [(_, _, _, _, _, after)] = logged(planned)
    assert len(after["note"]) == audit.MAX_TEXT
