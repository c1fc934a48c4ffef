"""/metrics, scraped over HTTP after signed requests, sends and job runs: each figure counts
what happened in its own runtime, and the outbox's depth and age are read from the database."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from bot import __version__, clock
from bot.config import load_settings
from bot.db import transaction
from bot.job_outcome import Outcome
from bot.metrics import Metrics
from bot.metrics.registry import MAX_ERROR_CODES
from bot.outbox.models import OutboxMessage
from bot.outbox.queue import enqueue
from bot.scheduler import run_job
from bot.serve import build_runtime
from tests.conftest import APP_TOKEN, BOT_TOKEN, TEAM_ID, sqlite_only
from tests.fakes import FakeSlack
from tests.ops.conftest import Served, sample
from tests.outbox.conftest import LIMITS
from tests.slack.test_socket_mode import command_payload
from tests.support.server import serving

REQUESTS = "okrbot_slack_requests_total"


def test_requests_are_counted_by_type_and_outcome_with_their_ack_latency(serve) -> None:
    with serve() as bot:
        for _ in range(3):
            assert bot.slack.command("help").status == 200
        assert bot.slack.command("help", signing_secret="not-the-secret").status == 401
        assert bot.slack.url_verification("abc").status == 200
        samples = bot.samples()
    assert sample(samples, REQUESTS, type="command", outcome="ok") == 3
    assert sample(samples, REQUESTS, type="other", outcome="refused") == 1
    assert sample(samples, REQUESTS, type="url_verification", outcome="ok") == 1
    assert sample(samples, "okrbot_slack_ack_seconds_count", type="command") == 3
    # Every answer came well within Slack's three seconds.
    assert sample(samples, "okrbot_slack_ack_seconds_bucket", type="command", le="2.8") == 3
    assert sample(samples, "okrbot_slack_ack_seconds_sum", type="command") > 0
    assert sample(samples, "okrbot_info", version=__version__, role="all") == 1
    assert sample(samples, "okrbot_draining") == 0


def test_two_runtimes_in_one_process_share_no_figure(serve) -> None:
    with serve() as first, serve() as second:
        first.slack.command("help")
        first.slack.command("help")
        assert sample(first.samples(), REQUESTS, type="command", outcome="ok") == 2
        assert sample(second.samples(), REQUESTS, type="command", outcome="ok") == 0
        assert first.runtime.metrics.registry is not second.runtime.metrics.registry


def test_the_outbox_depth_and_oldest_age_are_read_from_the_database(serve) -> None:
    with serve() as bot:
        before = bot.samples()
        with transaction(bot.runtime.session_factory) as db_session:
            for n in range(3):
                enqueue(db_session, team_id=TEAM_ID, kind="checkin", user_id=f"U{n}",
                        dedupe_key=f"k{n}", text="hi", now=clock.now() - timedelta(minutes=n))
        with transaction(bot.runtime.session_factory) as db_session:
            db_session.execute(update(OutboxMessage).where(OutboxMessage.user_id == "U0")
                               .values(status="failed"))
        after = bot.samples()
    assert sample(before, "okrbot_outbox_depth", status="queued") == 0
    assert sample(before, "okrbot_outbox_oldest_age_seconds") == 0
    assert sample(after, "okrbot_outbox_depth", status="queued") == 2
    assert sample(after, "okrbot_outbox_depth", status="failed") == 1
    # The oldest waiting one was queued two minutes ago (the failed one is not waiting).
    assert 120 <= sample(after, "okrbot_outbox_oldest_age_seconds") < 180
    assert sample(after, "okrbot_outbox_scrape_ok") == 1


@sqlite_only  # counting in the process: the backend does not matter
def test_dms_sent_and_slack_refusals_are_counted(serve, fake_slack: FakeSlack) -> None:
    with serve() as bot:
        with transaction(bot.runtime.session_factory) as db_session:
            for n in range(3):
                enqueue(db_session, team_id=TEAM_ID, kind="checkin", user_id=f"U{n}",
                        dedupe_key=f"k{n}", text="hi")
            enqueue(db_session, team_id=TEAM_ID, kind="digest", channel="C1",
                    dedupe_key="d", text="digest")
        fake_slack.fail_next("chat.postMessage", status=429, retry_after=1)
        fake_slack.fail_next("conversations.open", error="user_not_found")
        jobs = replace(bot.runtime.jobs, outbox=LIMITS)
        for _ in range(30):
            run_job("send-outbox", jobs)
            if sample(bot.samples(), "okrbot_slack_messages_sent_total",
                      kind="checkin", to="dm") == 2:
                break
            time.sleep(0.2)
        samples = bot.samples()
    assert sample(samples, "okrbot_slack_messages_sent_total", kind="digest", to="channel") == 1
    # One person was not found: two DMs went, and that one failed for good.
    assert sample(samples, "okrbot_slack_messages_sent_total", kind="checkin", to="dm") == 2
    assert sample(samples, "okrbot_slack_rate_limited_total", method="chat.postMessage") == 1
    assert sample(samples, "okrbot_slack_errors_total", method="conversations.open",
                  error="user_not_found") == 1
    assert len([c for c in fake_slack.calls_to("chat.postMessage") if c.ok]) == 3


def test_job_runs_are_counted_by_name_and_outcome(serve) -> None:
    with serve() as bot:
        scheduler = BackgroundScheduler(timezone="UTC")
        bot.runtime.metrics.watch_scheduler(scheduler)
        scheduler.add_job(lambda: Outcome("nothing", idle=True), id="quiet")
        scheduler.add_job(lambda: "did it", id="busy")
        scheduler.add_job(lambda: 1 / 0, id="broken")
        scheduler.start()
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and sum(
                    v for k, v in bot.samples().items() if k[0] == "okrbot_job_runs_total") < 3:
                time.sleep(0.05)
        finally:
            scheduler.shutdown(wait=True)
        samples = bot.samples()
    assert sample(samples, "okrbot_job_runs_total", job="quiet", outcome="idle") == 1
    assert sample(samples, "okrbot_job_runs_total", job="busy", outcome="done") == 1
    assert sample(samples, "okrbot_job_runs_total", job="broken", outcome="error") == 1


@sqlite_only  # counting in the process: the backend does not matter
def test_chain_cache_hits_and_misses(serve, planned: None) -> None:
    with serve() as bot:
        bot.runtime.chains.wait_idle()
        bot.runtime.chains.clear()  # warmed at start: forgotten, so the first asks in vain
        for _ in range(3):
            reply = bot.slack.command("status")
            assert reply.status == 200
            bot.runtime.chains.wait_idle()
        samples = bot.samples()
    assert sample(samples, "okrbot_chain_cache_misses_total") >= 1
    assert sample(samples, "okrbot_chain_cache_hits_total") >= 1
    assert sample(samples, "okrbot_chain_cache_hits_total") + sample(
        samples, "okrbot_chain_cache_misses_total") >= 3


@sqlite_only  # counting in the process: the backend does not matter
def test_socket_mode_requests_are_counted_too(database_url: str, fake_slack: FakeSlack) -> None:
    settings = load_settings(env_file=None, slack_bot_token=BOT_TOKEN, slack_app_token=APP_TOKEN,
                             slack_api_url=fake_slack.base_url, database_url=database_url)
    runtime = build_runtime(settings)
    try:
        fake_slack.socket_mode.wait_connected()
        with serving(runtime.web_app(with_scheduler=False)) as url:
            envelope = fake_slack.socket_mode.send_envelope("slash_commands",
                                                            command_payload("help"))
            fake_slack.socket_mode.wait_ack(envelope)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and not sample(
                    Served(url, runtime, None).samples(), REQUESTS, type="command",
                    outcome="ok"):
                time.sleep(0.02)
            samples = Served(url, runtime, None).samples()
    finally:
        runtime.close()
    assert sample(samples, REQUESTS, type="command", outcome="ok") == 1
    assert sample(samples, "okrbot_slack_ack_seconds_count", type="command") == 1


@sqlite_only  # counting in the process: the backend does not matter
def test_slack_refusals_met_while_answering_are_counted_too(serve, fake_slack: FakeSlack) -> None:
    fake_slack.add_user("U0ALICE")
    fake_slack.fail_next("views.publish", status=429, retry_after=1)
    fake_slack.fail_next("users.info", status=500)
    with serve() as bot:
        first = bot.slack.event({"type": "app_home_opened", "user": "U0ALICE", "tab": "home"})
        assert first.status == 200
        # users.info failed (500, nothing published); the second opening gets a 429 first.
        fake_slack.wait_for("users.info")
        bot.slack.event({"type": "app_home_opened", "user": "U0ALICE", "tab": "home"})
        fake_slack.wait_for("views.publish", count=2, timeout=10)
        samples = bot.samples()
    assert sample(samples, "okrbot_slack_rate_limited_total", method="views.publish") == 1
    assert sample(samples, "okrbot_slack_errors_total", method="users.info",
                  error="http_5xx") == 1


@sqlite_only  # counting in the process: the backend does not matter
def test_ok_false_answers_met_while_answering_are_counted_by_method_and_code(
        serve, fake_slack: FakeSlack) -> None:
    fake_slack.add_user("U0ALICE")
    fake_slack.fail_next("users.info", error="user_not_found")
    fake_slack.fail_next("views.publish", error="invalid_blocks")
    fake_slack.fail_next("views.publish", error="Not a Slack code!")
    opened = {"type": "app_home_opened", "user": "U0ALICE", "tab": "home"}
    with serve() as bot:
        for _ in range(4):  # users.info refused; then views.publish twice; then all goes
            assert bot.slack.event(opened).status == 200
        fake_slack.wait_for("views.publish", count=3, timeout=10)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and sum(
                v for k, v in bot.samples().items() if k[0] == "okrbot_slack_errors_total") < 3:
            time.sleep(0.05)
        samples = bot.samples()
    assert sample(samples, "okrbot_slack_errors_total", method="users.info",
                  error="user_not_found") == 1
    assert sample(samples, "okrbot_slack_errors_total", method="views.publish",
                  error="invalid_blocks") == 1
    assert sample(samples, "okrbot_slack_errors_total", method="views.publish",
                  error="other") == 1
    # The calls Slack answered ok (auth.test, users.info, the last views.publish) are not
    # errors: three series, three failures.
    errors = {k: v for k, v in samples.items() if k[0] == "okrbot_slack_errors_total"}
    assert sum(errors.values()) == 3, errors
    assert [c.ok for c in fake_slack.calls_to("views.publish")] == [False, False, True]


def test_error_codes_beyond_the_cap_are_counted_as_other() -> None:
    metrics = Metrics()
    for n in range(MAX_ERROR_CODES + 5):
        code = "code_" + "".join(chr(ord("a") + int(digit)) for digit in f"{n:03d}")
        metrics.observe_slack_failure("chat.postEphemeral", 200, code)
    text = metrics.exposition()[0].decode()
    families = {s.labels["error"]: s.value for f in text_string_to_metric_families(text)
                for s in f.samples if s.name == "okrbot_slack_errors_total"}
    assert len(families) == MAX_ERROR_CODES + 1
    assert families["other"] == 5
