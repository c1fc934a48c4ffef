"""Process roles: a web replica serves Slack and never runs the scheduler; a worker runs the
scheduler and the sender and serves no Slack endpoint; a web replica is ready once a worker
beats. In-process, then as real `okr-bot serve --role web` and `okr-bot worker` processes."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot import schema
from bot.config import SettingsError
from bot.process.models import ProcessRow
from bot.process.roles import Role
from bot.scheduler import JOBS
from bot.serve import build_runtime
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, TEAM_ID
from tests.fakes import FakeSlack, SlackSender
from tests.ops.processes import Process
from tests.support.server import get, serving


def roles(served) -> list[str]:
    with served.runtime.session_factory() as db_session:
        return sorted(db_session.scalars(select(ProcessRow.role)))


def test_a_web_replica_serves_slack_and_runs_no_scheduler(serve) -> None:
    with serve(role=Role.WEB, with_scheduler=None) as web:
        reply = web.slack.command("help")
        health = web.get("/healthz")
        beating = roles(web)
        scheduler = web.runtime.scheduler
    assert reply.status == 200 and "okr-bot commands" in reply.body
    assert health.json["mode"] == "http"
    assert scheduler is None
    assert beating == ["web"]


def test_a_worker_runs_every_job_and_serves_no_slack_endpoint(serve) -> None:
    with serve(role=Role.WORKER, with_scheduler=None) as worker:
        reply = worker.slack.command("help")
        health = worker.get("/healthz")
        ready = worker.get("/readyz")
        metrics = worker.get("/metrics")
        jobs = sorted(job.id for job in worker.runtime.scheduler.get_jobs())
        beating = roles(worker)
    assert reply.status in (404, 405)  # no Slack endpoint here
    assert health.json["mode"] == "worker"
    assert ready.status == 200, ready.body
    assert ready.json["checks"]["worker"]["detail"] == "runs in this process"
    assert metrics.status == 200 and 'okrbot_info{role="worker"' in metrics.body
    assert jobs == sorted(JOBS)
    assert beating == ["worker"]


def test_web_and_worker_processes_side_by_side(tmp_path: Path, fake_slack: FakeSlack) -> None:
    url = f"sqlite:///{tmp_path / 'okr-bot.db'}"
    env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
           "SLACK_API_URL": fake_slack.base_url, "DATABASE_URL": url, "PORT": "0"}
    schema.upgrade(url)
    web = Process(tmp_path, env, "serve", "--role", "web")
    worker = None
    try:
        web_url = web.url()
        alone = get(f"{web_url}/readyz")
        worker = Process(tmp_path, env, "worker")
        worker_url = worker.url()
        together = get(f"{web_url}/readyz")
        answered = SlackSender(f"{web_url}/slack/events", SIGNING_SECRET,
                               team_id=TEAM_ID).command("help")
        on_worker = SlackSender(f"{worker_url}/slack/events", SIGNING_SECRET,
                                team_id=TEAM_ID).command("help")
    finally:
        codes = [p.stop() for p in (web, worker) if p is not None]
    assert alone.status == 503 and alone.json["failed"] == ["worker"], alone.body
    assert together.status == 200, together.body
    assert answered.status == 200 and "okr-bot commands" in answered.body
    assert on_worker.status in (404, 405)
    assert all(code in (0, -15) for code in codes), web.log[-2000:] + worker.log[-2000:]
    assert "(role web)" in web.log
    assert "okr-bot worker running the scheduler" in worker.log
    # Only the worker ever ran a job.
    assert not any("event=job_finished" in line for line in web.lines)
    assert "apscheduler" not in web.log


def test_a_worker_needs_no_signing_secret_and_a_web_replica_does(
        settings, fake_slack: FakeSlack) -> None:
    unsigned = settings.model_copy(update={"slack_signing_secret": None})
    worker = build_runtime(unsigned, role=Role.WORKER)
    try:
        with serving(worker.web_app(with_scheduler=False)) as url:
            health = get(f"{url}/healthz")
    finally:
        worker.close()
    assert health.json["mode"] == "worker"
    with pytest.raises(SettingsError) as refused:
        build_runtime(unsigned, role=Role.WEB)
    assert str(refused.value).startswith("SLACK_SIGNING_SECRET is not set")
