"""Events API: every subscribed event handled, deliveries de-duplicated, Home tab published."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from bot.people.models import Person, Workspace
from bot.slack.models import SlackEventReceipt
from tests.conftest import TEAM_ID, sqlite_only
from tests.fakes.web_api_contract import validate_view
from tests.slack.conftest import RunningBot


def test_app_home_opened_stores_the_person_and_publishes_the_home_tab(bot: RunningBot) -> None:
    bot.fake.add_user("U0ALICE", real_name="Alice Example", tz="Asia/Kolkata",
                      profile={"display_name": "alice", "real_name": "Alice Example"})

    reply = bot.slack.event({"type": "app_home_opened", "user": "U0ALICE", "channel": "D0ALICE",
                             "tab": "home"})

    assert reply.status == 200
    publish = bot.fake.wait_for("views.publish")[0]
    assert publish.params["user_id"] == "U0ALICE"
    view = publish.params["view"]
    assert view["type"] == "home"
    assert validate_view(view, surface="home") == []
    texts = str(view["blocks"])
    assert "Hi alice!" in texts
    assert "Asia/Kolkata" in texts
    assert "/okr help" in texts
    with bot.session_factory() as session:
        person = session.scalars(select(Person)).one()
        assert (person.slack_user_id, person.time_zone) == ("U0ALICE", "Asia/Kolkata")
        assert person.workspace.slack_team_id == TEAM_ID


@sqlite_only  # Slack's side and wording: the backend does not matter
def test_home_tab_escapes_the_display_name(bot: RunningBot) -> None:
    bot.fake.add_user("U0MAL", profile={"display_name": "<!channel> boss", "real_name": "M"})

    bot.slack.event({"type": "app_home_opened", "user": "U0MAL", "tab": "home"})

    view = bot.fake.wait_for("views.publish")[0].params["view"]
    assert "&lt;!channel&gt; boss" in str(view)
    assert "<!channel>" not in str(view)


def settled(bot: RunningBot, quiet: float = 0.5, limit: float = 5) -> None:
    """Wait until the fake Slack has heard nothing for `quiet` seconds: lazy listeners run
    after the ack, so counting calls any earlier could miss a late, wrong one."""
    deadline = time.monotonic() + limit
    seen = -1
    while time.monotonic() < deadline:
        if len(bot.fake.calls) == seen:
            return
        seen = len(bot.fake.calls)
        time.sleep(quiet)
    raise AssertionError("the fake Slack never went quiet")


@sqlite_only  # Slack's side and wording: the backend does not matter
def test_messages_tab_opening_does_not_publish_home(bot: RunningBot) -> None:
    bot.fake.add_user("U0ALICE")
    reply = bot.slack.event({"type": "app_home_opened", "user": "U0ALICE", "tab": "messages"})
    assert reply.status == 200
    settled(bot)
    assert bot.fake.calls_to("views.publish") == []
    assert bot.fake.calls_to("users.info") == []

    # The control: the same person opening the Home tab does publish, exactly once; a late
    # publish from the Messages tab would show as a second.
    bot.slack.event({"type": "app_home_opened", "user": "U0ALICE", "tab": "home"})
    bot.fake.wait_for("views.publish")
    settled(bot)
    assert len(bot.fake.calls_to("views.publish")) == 1
    assert len(bot.fake.calls_to("users.info")) == 1


def test_a_redelivered_event_is_acted_on_once(bot: RunningBot) -> None:
    bot.fake.add_user("U0ALICE")
    event = {"type": "app_home_opened", "user": "U0ALICE", "tab": "home"}

    first = bot.slack.event(event, event_id="Ev0SAME")
    again = bot.slack.event(event, event_id="Ev0SAME", retry_num=1, retry_reason="http_timeout")

    assert (first.status, again.status) == (200, 200)
    bot.fake.wait_for("views.publish")
    settled(bot)
    assert len(bot.fake.calls_to("users.info")) == 1
    assert len(bot.fake.calls_to("views.publish")) == 1
    with bot.session_factory() as session:
        receipts = session.scalars(select(SlackEventReceipt)).all()
        assert [(r.event_id, r.event_type) for r in receipts] == [("Ev0SAME", "app_home_opened")]


def test_app_uninstalled_marks_the_workspace(bot: RunningBot) -> None:
    reply = bot.slack.event({"type": "app_uninstalled"})
    again = bot.slack.event({"type": "app_uninstalled"})  # a second, distinct delivery

    assert (reply.status, again.status) == (200, 200)
    with bot.session_factory() as session:
        workspace = session.scalars(select(Workspace)).one()
        assert workspace.slack_team_id == TEAM_ID
        assert workspace.uninstalled_at is not None
        assert workspace.uninstalled_at.tzinfo is not None


def test_tokens_revoked_marks_the_workspace(bot: RunningBot) -> None:
    reply = bot.slack.event({"type": "tokens_revoked",
                             "tokens": {"oauth": [], "bot": ["UBOT"]}})

    assert reply.status == 200
    with bot.session_factory() as session:
        workspace = session.scalars(select(Workspace)).one()
        assert workspace.tokens_revoked_at is not None
        assert workspace.uninstalled_at is None


@sqlite_only  # Slack's side and wording: the backend does not matter
def test_home_tab_waits_out_a_rate_limit_and_publishes(bot: RunningBot) -> None:
    bot.fake.add_user("U0ALICE")
    bot.fake.fail_next("views.publish", status=429, retry_after=3)

    reply = bot.slack.event({"type": "app_home_opened", "user": "U0ALICE", "tab": "home"})

    assert reply.status == 200
    # The retry waits 3 s; an ack that waited for it would miss Slack's 3 s.
    assert reply.elapsed < 3
    publishes = bot.fake.wait_for("views.publish", count=2, timeout=10)
    assert [call.status for call in publishes] == [429, 200]
    assert publishes[1].received_at - publishes[0].received_at >= 3, "Retry-After honoured"


def test_home_tab_failure_keeps_the_person_and_logs_a_reference(
        bot: RunningBot, caplog: pytest.LogCaptureFixture) -> None:
    bot.fake.add_user("U0ALICE", tz="Pacific/Auckland")
    bot.fake.fail_next("views.publish", status=500)

    bot.slack.event({"type": "app_home_opened", "user": "U0ALICE", "tab": "home"})

    assert [c.status for c in bot.fake.wait_for("views.publish")] == [500]
    deadline = time.monotonic() + 5
    while "event=listener_error" not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.02)
    assert "event=listener_error" in caplog.text
    assert "name=app_home_opened" in caplog.text
    with bot.session_factory() as session:
        person = session.scalars(select(Person)).one()
        assert person.time_zone == "Pacific/Auckland", "stored before Slack was called"
