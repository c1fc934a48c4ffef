"""`okr-bot outbox list` and `okr-bot outbox retry`, run as a person runs them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.cli.main import main
from bot.config import Settings
from bot.scheduler import JobContext, run_job
from tests.conftest import BOT_TOKEN
from tests.fakes import FakeSlack
from tests.outbox.conftest import MovableClock, delivered, queue_dms, rows


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_API_URL", settings.slack_api_url)


def test_a_failed_message_is_listed_and_sent_again_from_the_command_line(
        outbox: JobContext, fake_slack: FakeSlack, app_clock: MovableClock, cli_env: None,
        capsys: pytest.CaptureFixture[str]) -> None:
    [first] = queue_dms(outbox, 1)
    fake_slack.fail_next("chat.postMessage", status=500, times=outbox.outbox.max_attempts)
    for _ in range(outbox.outbox.max_attempts):
        run_job("send-outbox", outbox)
        app_clock.advance(timedelta(hours=1))
    [second] = queue_dms(outbox, 1, kind="reminder")
    run_job("send-outbox", outbox)
    assert [(r.id, r.status, r.attempts) for r in rows(outbox.session_factory)] == [
        (first, "failed", outbox.outbox.max_attempts), (second, "sent", 1)]

    assert main(["outbox", "list", "--status", "failed"]) == 0
    [listed] = capsys.readouterr().out.splitlines()
    assert listed.startswith(f"{first}\tfailed\tT0TEST\tcheckin\t@U0001\tattempts 4\t")
    assert listed.endswith("HTTP 500")
    assert main(["outbox", "list"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2

    assert main(["outbox", "retry", str(second)]) == 1  # sent: nothing to retry
    assert f"outbox message {second} is sent, not failed" in capsys.readouterr().err
    assert main(["outbox", "retry", "--all-failed"]) == 0
    assert capsys.readouterr().out.startswith(f"queued 1 message(s) again: {first};")
    assert main(["jobs", "run", "send-outbox"]) == 0
    assert capsys.readouterr().out.startswith("sent 1, ")
    assert delivered(fake_slack) == {first: 1, second: 1}
    assert [r.status for r in rows(outbox.session_factory)] == ["sent", "sent"]


def test_retry_says_what_it_expects(outbox: JobContext, cli_env: None,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["outbox", "retry", "999"]) == 1
    assert "there is no outbox message 999" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        main(["outbox", "list", "--status", "lost"])
    assert usage.value.code == 2
    assert "invalid choice: 'lost'" in capsys.readouterr().err
    assert main(["outbox", "list", "--status", "failed"]) == 0
    assert capsys.readouterr().out == "no messages failed\n"
