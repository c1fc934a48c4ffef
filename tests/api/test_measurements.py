"""POST /api/v1/measurements as a client sends it: one value or a batch, recorded through the
same flow as `/okr update` (health, triggers, alerts, the audit log, the cached chain), all or
nothing, and only ever in the token's own workspace."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.alerts.models import MetricAlert
from bot.audit.models import AuditEvent
from bot.okrs.store.models import Measurement, Metric
from bot.outbox.models import OutboxMessage
from tests.api.conftest import Api

TICKETS = "onboarding-tickets"  # per 100; its trigger: above 9
ACTIVATION = "first-week-activation"  # %


def _values(api: Api, key: str) -> list[tuple[float, str | None, str]]:
    with api.session_factory() as session:
        return [(v, n, s.value) for v, n, s in session.execute(
            select(Measurement.value, Measurement.note, Measurement.source)
            .join(Metric, Metric.id == Measurement.metric_id).where(Metric.key == key)
            .order_by(Measurement.measured_at, Measurement.id))]


def test_one_value_is_recorded_like_an_update_and_read_back(planned: Api, token: str) -> None:
    reply = planned.post({"metric": TICKETS, "value": "12", "note": "from the warehouse"},
                         token=token)

    assert reply.status == 201, reply.text
    assert reply.json["recorded"] == 1
    [ticket] = reply.json["metrics"]
    assert ticket["key"] == TICKETS and ticket["value"] == 12 and ticket["count"] == 1
    assert ticket["status"] == "red"
    assert ticket["triggers"] == ["Pause tour changes and read the newest tickets together"]
    assert _values(planned, TICKETS)[-1] == (12.0, "from the warehouse", "api")
    with planned.session_factory() as session:
        audit = session.scalars(select(AuditEvent).where(AuditEvent.action == "value recorded"))
        [event] = audit.all()
        alerts = session.scalars(select(MetricAlert)).all()
        told = session.scalar(select(func.count()).select_from(OutboxMessage))
    assert event.actor == "api:warehouse" and event.subject_key == TICKETS
    assert event.after["value"] == 12 and event.after["source"] == "api"
    assert [a.action for a in alerts] == [ticket["triggers"][0]]  # the owner is told, once
    assert told >= 1

    planned.runtime.chains.wait_idle()
    shown = planned.call("GET", f"/api/v1/metrics/{TICKETS}", token=token)
    assert shown.status == 200, shown.text
    assert shown.json["current"] == 12 and shown.json["status"] == "red"
    assert shown.json["unit"] == "per 100" and shown.json["owner"] == "U0AIUX001"
    assert shown.json["baseline"] == 6 and shown.json["target"] == 4
    assert shown.json["kind"] == "kpi" and shown.json["direction"] == "lower_is_better"
    unknown = planned.call("GET", "/api/v1/metrics/no-such-kpi", token=token)
    assert unknown.status == 404 and "no-such-kpi" in unknown.json["message"]


def test_typed_values_and_instants_are_read_as_in_slack(planned: Api, token: str) -> None:
    at = (datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0)
    reply = planned.post({"measurements": [
        {"metric": ACTIVATION, "value": "12.5%", "at": at.isoformat()},
        {"metric": ACTIVATION, "value": 13.25, "at": at.astimezone().isoformat()
         .replace("+00:00", "Z")},
        {"metric": "trial-drop-off", "value": 38}]}, token=token)

    assert reply.status == 201, reply.text
    by_key = {m["key"]: m for m in reply.json["metrics"]}
    assert by_key[ACTIVATION]["count"] == 2 and by_key[ACTIVATION]["value"] == 13.25
    assert by_key[ACTIVATION]["previous_value"] == 12.5
    assert [v for v, _, _ in _values(planned, ACTIVATION)][-2:] == [12.5, 13.25]
    with planned.session_factory() as session:
        decimals = session.scalars(select(Measurement.decimals).order_by(
            Measurement.id.desc()).limit(3)).all()
    assert sorted(d for d in decimals if d is not None) == [0, 1, 2]


def test_a_batch_of_1000_is_recorded_in_one_go(planned: Api, token: str) -> None:
    start = datetime.now(UTC) - timedelta(days=2000)
    keys = [TICKETS, ACTIVATION, "trial-drop-off", "tutorial-completion"]
    body = {"measurements": [
        {"metric": keys[i % 4], "value": 5 + i % 7,
         "at": (start + timedelta(days=i // 4, hours=i % 4)).isoformat()} for i in range(1000)]}
    before = planned.measurements()

    reply = planned.post(body, token=token)

    assert reply.status == 201, reply.text[:500]
    assert reply.json["recorded"] == 1000
    assert sorted(m["count"] for m in reply.json["metrics"]) == [250] * 4
    assert planned.measurements() == before + 1000
    with planned.session_factory() as session:
        audited = session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "value recorded"))
    assert audited == 1000


def test_more_than_1000_or_none_is_refused(planned: Api, token: str) -> None:
    before = planned.measurements()
    many = planned.post({"measurements": [{"metric": TICKETS, "value": 5}] * 1001}, token=token)
    assert many.status == 400
    assert many.json["errors"] == [{"field": "measurements",
                                    "message": "at most 1,000 measurements in one request"}]
    none = planned.post({"measurements": []}, token=token)
    assert none.status == 400 and none.json["errors"][0]["field"] == "measurements"
    assert planned.measurements() == before


def test_every_wrong_field_is_named_and_nothing_is_written(planned: Api, token: str) -> None:
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    good = {"metric": TICKETS, "value": 5}
    before = planned.measurements()

    reply = planned.post({"measurements": [
        good, {"metric": TICKETS}, {"metric": TICKETS, "value": True},
        {"metric": ACTIVATION, "value": "12 apples"}, {"metric": ACTIVATION, "value": "140%"},
        {"metric": TICKETS, "value": 5, "at": "2026-12-01T09:00:00"},
        {"metric": TICKETS, "value": 5, "at": future},
        {"metric": "no-such-metric", "value": 5}, {**good, "colour": "red"},
        {**good, "at": 1764835200}]}, token=token)

    assert reply.status == 400, reply.text
    errors = {e["field"]: e["message"] for e in reply.json["errors"]}
    assert set(errors) == {"measurements[1].value", "measurements[2].value",
                           "measurements[3].value", "measurements[4].value",
                           "measurements[5].at", "measurements[6].at",
                           "measurements[7].metric", "measurements[8].colour",
                           "measurements[9].at"}
    assert errors["measurements[1].value"].startswith("required")
    assert errors["measurements[2].value"].startswith("expected a number or a value")
    assert "12 apples" in errors["measurements[3].value"]
    assert "140%" in errors["measurements[4].value"]
    assert "offset" in errors["measurements[5].at"] and "offset" in errors["measurements[9].at"]
    assert "future" in errors["measurements[6].at"]
    assert "no-such-metric" in errors["measurements[7].metric"]
    assert planned.measurements() == before


def test_bodies_that_are_not_measurements_are_400(planned: Api, token: str) -> None:
    for raw, field in ((b"{", "body"), (b"[1, 2]", "body"), (b'"12"', "body"),
                       (b'{"metric": "x", "value": NaN}', "body"),
                       (b'{"metric": "", "value": 1}', "metric")):
        reply = planned.post(raw=raw, token=token)
        assert reply.status == 400, (raw, reply.text)
        assert reply.json["errors"][0]["field"] == field, reply.text


def test_a_body_past_2_mb_is_refused_before_it_is_read(planned: Api, token: str) -> None:
    host, port = planned.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(f"POST /api/v1/measurements HTTP/1.1\r\nHost: {host}\r\n"
                           f"Authorization: Bearer {token}\r\nContent-Type: application/json"
                           "\r\nContent-Length: 3000000\r\n\r\n".encode())
        answer = ""
        while "}" not in answer:  # the JSON body's end; a busy server sends it in pieces
            piece = connection.recv(4096).decode()
            if not piece:
                break
            answer += piece
    assert answer.startswith("HTTP/1.1 413"), answer
    assert "1,000 measurements" in answer


def test_another_workspaces_token_can_neither_read_nor_write_here(planned: Api, token: str,
                                                                  other_token: str) -> None:
    before = _values(planned, TICKETS)
    written = planned.post({"metric": TICKETS, "value": 3}, token=other_token)
    assert written.status == 400
    assert written.json["errors"][0]["field"] == "metric"
    assert TICKETS in written.json["errors"][0]["message"]
    assert _values(planned, TICKETS) == before
    assert planned.call("GET", f"/api/v1/metrics/{TICKETS}", token=other_token).status == 404

    # Its own workspace's metric is where its values go; this workspace sees none of it.
    theirs = planned.post({"metric": "gross-churn", "value": "9%"}, token=other_token)
    assert theirs.status == 201, theirs.text
    assert planned.call("GET", "/api/v1/metrics/gross-churn", token=token).status == 404
    planned.runtime.chains.wait_idle()
    own = planned.call("GET", "/api/v1/metrics/gross-churn", token=other_token)
    assert own.status == 200 and own.json["current"] == 9


def test_each_value_of_a_batch_is_audited_with_the_value_before_it(planned: Api,
                                                                    token: str) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    first = planned.post({"metric": TICKETS, "value": 6, "at": (now - timedelta(days=10))
                          .isoformat()}, token=token)
    assert first.status == 201, first.text
    reply = planned.post({"measurements": [
        {"metric": TICKETS, "value": 8, "at": (now - timedelta(days=1)).isoformat()},
        {"metric": TICKETS, "value": 5, "at": (now - timedelta(days=20)).isoformat()},
        {"metric": TICKETS, "value": 7, "at": (now - timedelta(days=5)).isoformat()}]},
        token=token)
    assert reply.status == 201, reply.text

    with planned.session_factory() as session:
        events = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "value recorded").order_by(AuditEvent.id)).all()
    recorded = [(e.before["value"], e.after["value"]) for e in events]
    # The plan measures no tickets: the first request's 6 comes after nothing, then the batch
    # oldest first: 5 after nothing too (it is older than 6), 7 after 6, 8 after 7.
    assert _values(planned, TICKETS)[0] == (5, None, "api")
    assert recorded == [(None, 6), (None, 5), (6, 7), (7, 8)]
    assert reply.json["metrics"][0]["value"] == 8
    assert reply.json["metrics"][0]["previous_value"] == 7
