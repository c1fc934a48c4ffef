"""Issue 11, item 8: a week of check-ins on the deployment's real processes. Two web replicas
(`serve --role web`) take a burst of commands and the check-in answers; at each of the week's
events two `okr-bot worker` processes run side by side on one PostgreSQL: Monday's fan-out and
an alert, the reminder, the window's close with the team's digest, and the next Monday. Every
DM, reminder, alert and digest reaches Slack exactly once, and nothing queued is left unsent.

Workers are started just before each event on a clock 20 times as fast (tests/ops/week.py), so
the week takes seconds and the outbox's two-minute lease still outlasts any one send."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.slack import ids
from tests.conftest import BOT_TOKEN, TEAM_ID
from tests.fakes import FakeSlack
from tests.fakes.signing import new_trigger_id
from tests.ops.week import (
    CHANNEL,
    DUE,
    EVERYONE,
    KPI_OWNER,
    KR_OWNER,
    MANAGER,
    MEMBERS,
    REMINDER,
    WINDOW,
    Week,
    import_the_plan,
    outbox_posts,
    outbox_rows,
    posted,
    stored,
)
from tests.slack.test_checkin_modal import ANSWERS, filled
from tests.support.templates import Content, PostgresTemplates

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(240)]

ANSWERING = [*MEMBERS[:9], MANAGER]  # the other three get a reminder and are missed


@pytest.fixture
def database(postgres_templates: PostgresTemplates) -> Iterator[str]:
    url = postgres_templates.lend(Content.MIGRATED)
    import_the_plan(url)
    yield url
    postgres_templates.give_back(url, Content.MIGRATED)


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(bot_token=BOT_TOKEN, team_id=TEAM_ID) as fake:
        yield fake


@pytest.fixture
def week(tmp_path: Path, database: str, slack: FakeSlack) -> Iterator[Week]:
    # The replicas' clock starts just after Monday's check-ins fall due and runs at real speed:
    # whatever they record lands inside the check-in window.
    running = Week(tmp_path, database, slack, web_clock=DUE + timedelta(seconds=30))
    try:
        yield running
    finally:
        running.stop_all()


def check_in(week: Week, slack: FakeSlack, n: int, user: str) -> str:
    """`/okr checkin` on one replica, the modal submitted on the other; the saved view's text."""
    trigger = new_trigger_id()
    reply = week.senders[n % 2].command("checkin", user_id=user, trigger_id=trigger)
    assert (reply.status, reply.body) == (200, ""), reply.body
    [opened] = [c for c in slack.wait_for("views.open", count=n + 1)
                if c.params["trigger_id"] == trigger]
    view = opened.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    view |= {"id": opened.response["view"]["id"], "hash": opened.response["view"]["hash"]}
    fields = dict(ANSWERS)
    if user == KR_OWNER:
        fields |= {f"{ids.VALUE}activation": "14", f"{ids.CONFIDENCE}activation": "6"}
    if user == KPI_OWNER:
        fields |= {ids.BLOCKER_TEXT: "waiting on <the SSO vendor>",
                   ids.BLOCKER_ITEM: "signup-success"}
    saved = week.senders[(n + 1) % 2].view_submission(filled(view, **fields), user_id=user)
    assert saved.json["response_action"] == "update", saved.body
    return json.dumps(saved.json["view"], ensure_ascii=False)


def test_a_week_of_checkins_with_two_workers_at_every_event(
        week: Week, slack: FakeSlack, database: str) -> None:
    # Monday, 09:01:30 on the replicas: a burst of commands over both, one of them turning
    # the KPI red (below its trigger too) before any worker runs.
    replies = [week.senders[n % 2].command(text, user_id=EVERYONE[n % len(EVERYONE)])
               for n, text in enumerate(["help", "status onboarding", "status", "help"] * 5)]
    red = week.senders[0].command("update signup-success 55%", user_id=KPI_OWNER)
    assert [r.status for r in replies] == [200] * 20
    assert all("Make onboarding reliable" in r.body for r in replies[1::4])
    assert red.json["text"] == "Signup success rate: nothing yet → 55% (red)", red.body

    week.workers_at(DUE, lambda: week.sent()["checkin"] == len(EVERYONE)
                    and week.sent()["alert"] == 2,
                    what="Monday: every check-in DM and both alerts sent")
    saved = [check_in(week, slack, n, user) for n, user in enumerate(ANSWERING)]
    assert [v for v in saved if "Your check-in is saved." not in v] == []
    # The key result's value from its owner's check-in (14%, on the way from 10 to 30) shows
    # at the next alerts' check, in the reminder's hour.
    week.workers_at(DUE + REMINDER, lambda: week.sent()["checkin-reminder"] == 3
                    and week.sent()["checkin-saved"] == len(ANSWERING)
                    and week.sent()["alert"] == 3,
                    what="the reminders, the answers' confirmations, the key result's alert")
    week.workers_at(DUE + WINDOW, lambda: week.sent()["manager-digest"] == 1
                    and week.sent()["digest-detail"] > 0 and not week.unsent(),
                    what="the window closed: the digest, its thread and the manager's DM")
    week.workers_at(DUE + timedelta(days=7),
                    lambda: week.sent()["checkin"] == 2 * len(EVERYONE),
                    what="the next Monday's check-ins sent")
    week.last_workers_stop()

    # Exactly once: every queued message reached Slack once, and nothing is left queued.
    rows = outbox_rows(database)
    posts = outbox_posts(slack)
    assert {row.status for row in rows} == {"sent"}
    assert set(posts) == {row.id for row in rows}
    assert [id_ for id_, times in posts.items() if times > 1] == []
    kinds = Counter(row.kind for row in rows)
    assert kinds == {"checkin": 26, "alert": 3, "checkin-saved": 10, "checkin-reminder": 3,
                     "digest": 1, "digest-detail": kinds["digest-detail"],
                     "manager-digest": 1}, kinds
    reminded = {row.user_id for row in rows if row.kind == "checkin-reminder"}
    assert reminded == set(MEMBERS[9:])

    # What people saw: the owner's alerts, one headline in the team's channel with its
    # detail in the thread, the manager's DM.
    to_owner = [p["text"] for p in posted(slack, slack.dm_channel(KPI_OWNER))]
    assert sorted(t for t in to_owner if "Signup success rate" in t) == [
        "KPI Signup success rate met a trigger: 55% is below 60%",
        "KPI Signup success rate turned red"], to_owner
    to_kr_owner = [p["text"] for p in posted(slack, slack.dm_channel(KR_OWNER))]
    assert sum("First-week activation turned" in t for t in to_kr_owner) == 1, to_kr_owner
    [head, *thread] = posted(slack, CHANNEL)
    assert head["thread_ts"] is None and thread
    assert {t["thread_ts"] for t in thread} == {next(
        r.ts for r in rows if r.kind == "digest")}
    headline = json.dumps(head["blocks"], ensure_ascii=False)
    assert "10 on time" in headline and "3 missed" in headline, headline
    detail = json.dumps([t["blocks"] for t in thread], ensure_ascii=False)
    assert "waiting on &lt;the SSO vendor&gt;" in detail
    to_manager = [p["text"] for p in posted(slack, slack.dm_channel(MANAGER))]
    assert sum("reporting line" in text for text in to_manager) == 1, to_manager

    # What is stored: each answer, the week's digest and each alert once.
    assert stored(database) == {"answers": 10, "digests": 1, "alerts": 3}

    # Both workers of some pair did work (the database shared it out), and the web replicas
    # ran no job.
    ran = [Counter(line.split(" job=")[1].split()[0] for line in worker.lines
                   if "event=job_finished" in line) for worker in week.workers]
    assert any(ran[n] and ran[n + 1] for n in range(0, len(ran), 2)), (ran, week.phases)
    for web in week.webs:
        assert not any("event=job_finished" in line for line in web.lines), web.log[-2000:]
