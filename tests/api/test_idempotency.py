"""Idempotency-Key: a replay answers the same and writes nothing, the key with another body is
422, a refused request can be corrected under its key; and the OpenAPI document."""

from __future__ import annotations

import json
import threading

import jsonschema
from sqlalchemy import func, select

from bot.api.models import IdempotentRequest
from bot.audit.models import AuditEvent
from tests.api.conftest import Api

BODY = {"measurements": [{"metric": "onboarding-tickets", "value": 6},
                         {"metric": "first-week-activation", "value": "14%"}]}


def _audited(api: Api) -> int:
    with api.session_factory() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == "value recorded"))


def test_a_replay_answers_the_same_and_writes_nothing(planned: Api, token: str) -> None:
    key = {"Idempotency-Key": "sync-2026-12-04"}
    first = planned.post(BODY, token=token, headers=key)
    assert first.status == 201, first.text
    written, audited = planned.measurements(), _audited(planned)

    again = planned.post(BODY, token=token, headers=key)

    assert again.status == 201
    assert again.json == first.json
    assert again.headers.get("idempotent-replayed") == "true"
    assert "idempotent-replayed" not in first.headers
    assert (planned.measurements(), _audited(planned)) == (written, audited)


def test_the_key_with_another_body_is_422_and_writes_nothing(planned: Api, token: str) -> None:
    key = {"Idempotency-Key": "k1"}
    assert planned.post(BODY, token=token, headers=key).status == 201
    written = planned.measurements()

    other = planned.post({"metric": "onboarding-tickets", "value": 7}, token=token, headers=key)

    assert other.status == 422, other.text
    assert other.json["error"] == "idempotency_key_reused"
    assert "“k1”" in other.json["message"]
    assert planned.measurements() == written


def test_without_a_key_the_same_body_is_recorded_twice(planned: Api, token: str) -> None:
    before = planned.measurements()
    assert planned.post(BODY, token=token).status == 201
    assert planned.post(BODY, token=token).status == 201
    assert planned.measurements() == before + 4
    with planned.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(IdempotentRequest)) == 0


def test_a_refused_request_can_be_corrected_under_its_key(planned: Api, token: str) -> None:
    key = {"Idempotency-Key": "retry-me"}
    bad = planned.post({"metric": "onboarding-tickets", "value": "lots"}, token=token,
                       headers=key)
    assert bad.status == 400
    fixed = planned.post({"metric": "onboarding-tickets", "value": "8"}, token=token,
                         headers=key)
    assert fixed.status == 201, fixed.text


def test_a_key_too_long_is_refused_before_anything(planned: Api, token: str) -> None:
    before = planned.measurements()
    reply = planned.post(BODY, token=token, headers={"Idempotency-Key": "k" * 201})
    assert reply.status == 400
    assert reply.json["errors"] == [{"field": "Idempotency-Key", "message": reply.json[
        "message"]}] and "1 to 200 characters" in reply.json["message"]
    assert planned.measurements() == before


def test_keys_are_per_workspace(planned: Api, token: str, other_token: str) -> None:
    key = {"Idempotency-Key": "shared-name"}
    assert planned.post(BODY, token=token, headers=key).status == 201
    theirs = planned.post({"metric": "gross-churn", "value": "9%"}, token=other_token,
                          headers=key)
    assert theirs.status == 201, theirs.text
    assert "idempotent-replayed" not in theirs.headers


def test_the_same_request_at_once_is_recorded_once(planned: Api, token: str) -> None:
    before = planned.measurements()
    key = {"Idempotency-Key": "racing"}
    replies = []

    def send() -> None:
        replies.append(planned.post(BODY, token=token, headers=key))

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [r.status for r in replies] == [201] * 6, [r.text for r in replies]
    assert len({json.dumps(r.json, sort_keys=True) for r in replies}) == 1
    assert planned.measurements() == before + 2


def test_the_openapi_document_describes_what_is_validated(planned: Api) -> None:
    reply = planned.call("GET", "/api/v1/openapi.json")
    assert reply.status == 200
    document = reply.json
    assert document["openapi"] == "3.1.0"
    schemas = document["components"]["schemas"]
    measurement = schemas["MeasurementIn"]
    assert set(measurement["properties"]) == {"metric", "value", "at", "note"}
    assert measurement["required"] == ["metric", "value"]
    assert measurement["additionalProperties"] is False
    assert schemas["MeasurementBatch"]["properties"]["measurements"]["maxItems"] == 1000
    post = document["paths"]["/api/v1/measurements"]["post"]
    assert set(post["responses"]) == {"201", "400", "401", "422"}
    refs = json.dumps(document)
    for name in schemas:
        assert f"#/components/schemas/{name}" in refs or name == "MeasurementsRecorded"
    for ref in {part.split('"')[0] for part in refs.split("#/components/schemas/")[1:]}:
        assert ref in schemas, ref


def test_bodies_the_api_takes_are_the_ones_its_schema_allows(planned: Api, token: str) -> None:
    document = planned.call("GET", "/api/v1/openapi.json").json
    schema = {**document["paths"]["/api/v1/measurements"]["post"]["requestBody"]["content"][
        "application/json"]["schema"], "components": document["components"],
        "$schema": "https://json-schema.org/draft/2020-12/schema"}
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    at = "2026-12-01T09:00:00+00:00"
    good = [{"metric": "onboarding-tickets", "value": 6},
            {"metric": "first-week-activation", "value": "12.5%", "at": at, "note": "n"},
            {"measurements": [{"metric": "trial-drop-off", "value": 38.5}]}]
    bad = [{"metric": "onboarding-tickets"}, {"metric": "onboarding-tickets", "value": [1]},
           {"metric": "onboarding-tickets", "value": 6, "colour": "red"},
           {"measurements": []}, {"measurements": [{"metric": "x", "value": 1}] * 1001}]
    for body in good:
        assert validator.is_valid(body), body
        assert planned.post(body, token=token).status == 201
    for body in bad:
        assert not validator.is_valid(body), body
        assert planned.post(body, token=token).status == 400
