"""/readyz states over HTTP: ready; a web replica with no worker beating; a worker's beat
appearing, going stale and ending; a schema behind the code; a process draining. /healthz
stays liveness throughout."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import select, update

from bot import clock, schema
from bot.db import make_engine, make_session_factory, transaction
from bot.process.heartbeat import Heartbeat, stale_after
from bot.process.models import ProcessRow
from bot.process.readiness import Readiness
from bot.process.roles import Role


def test_a_process_running_everything_is_ready(serve) -> None:
    with serve(role=Role.ALL, with_scheduler=None) as bot:
        reply = bot.get("/readyz")
        with bot.runtime.session_factory() as db_session:
            beating = db_session.scalars(select(ProcessRow)).all()
    assert reply.status == 200, reply.body
    assert reply.json["status"] == "ready"
    assert reply.json["failed"] == []
    assert reply.json["checks"]["worker"] == {"ok": True, "detail": "runs in this process"}
    assert reply.json["checks"]["database"]["ok"] is True
    assert reply.json["checks"]["schema"]["detail"].startswith("current")
    # Its own row says it runs jobs.
    assert [(row.role, row.id.split(":")[1]) for row in beating] == [
        ("all", bot.runtime.heartbeat.id.split(":")[1])]


def test_a_web_replica_is_ready_only_while_some_worker_beats(serve) -> None:
    with serve(role=Role.WEB, with_scheduler=None) as web:
        alone = web.get("/readyz")
        worker = Heartbeat(web.runtime.session_factory, Role.WORKER)
        worker.start()
        with_worker = web.get("/readyz")
        # The worker's beats stop (a SIGKILL): once its last is older than the limit, the web
        # replica is not ready any more.
        with transaction(web.runtime.session_factory) as db_session:
            db_session.execute(update(ProcessRow).where(ProcessRow.id == worker.id).values(
                last_beat_at=clock.now() - stale_after() - timedelta(seconds=1)))
        stale = web.get("/readyz")
        worker.beat()  # it beats again
        again = web.get("/readyz")
        worker.stop()  # a graceful stop removes its row at once
        gone = web.get("/readyz")
        health = web.get("/healthz")
    assert alone.status == 503
    assert alone.json["failed"] == ["worker"]
    assert alone.json["checks"]["worker"]["detail"].startswith("0 worker(s) beat within")
    assert alone.json["role"] == "web"
    assert with_worker.status == 200, with_worker.body
    assert with_worker.json["checks"]["worker"]["detail"].startswith("1 worker(s)")
    assert (stale.status, stale.json["failed"]) == (503, ["worker"])
    assert again.status == 200
    assert (gone.status, gone.json["failed"]) == (503, ["worker"])
    assert health.status == 200  # liveness does not depend on any worker


def test_a_schema_behind_the_code_is_not_ready(serve, database_url: str) -> None:
    with serve(role=Role.ALL, with_scheduler=None) as bot:
        bot.runtime.heartbeat.stop()  # its table goes with the downgrade
        schema.downgrade(database_url, "0017")
        behind = bot.get("/readyz")
        schema.upgrade(database_url)
        current = bot.get("/readyz")
    assert behind.status == 503
    assert behind.json["failed"] == ["schema"]
    assert behind.json["checks"]["schema"]["detail"] == (
        f"behind (revision 0017, this code's newest {schema.head_revision()})")
    assert current.status == 200


def test_a_draining_process_is_not_ready_but_alive(serve) -> None:
    with serve(role=Role.ALL, with_scheduler=None) as bot:
        bot.runtime.drain()
        reply = bot.get("/readyz")
        health = bot.get("/healthz")
        draining = bot.samples()[("okrbot_draining", ())]
        paused = bot.runtime.scheduler.state
    assert reply.status == 503
    assert reply.json["failed"] == ["accepting"]
    assert reply.json["checks"]["accepting"]["detail"] == (
        "stopping (SIGTERM): takes no new work")
    assert health.status == 200
    assert draining == 1
    assert paused == 2  # APScheduler's STATE_PAUSED: nothing fires any more


def test_an_unreachable_database_is_named() -> None:
    # A server that is not there: nothing listens on port 9 (discard) of this machine.
    gone = make_engine("postgresql+psycopg://okr@127.0.0.1:9/okr_bot")
    try:
        readiness = Readiness(gone, make_session_factory(gone), threading.Event(),
                              local_worker=lambda: False, role="web")
        status, body = readiness.answer()
    finally:
        gone.dispose()
    assert status == 503
    assert body["failed"] == ["database"]
    assert body["checks"]["database"] == {"ok": False, "detail": "unreachable (OperationalError)"}
    assert body["checks"]["accepting"]["ok"] is True
