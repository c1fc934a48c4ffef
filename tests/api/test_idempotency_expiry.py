"""An Idempotency-Key is kept a day (docs/api.md): replayed within it, forgotten after it (by
the hourly prune job, or by the request that finds it expired first), and then the same key
records again as a new request. A CSV file's hash is kept for good."""

from __future__ import annotations

from datetime import timedelta

from freezegun import freeze_time
from sqlalchemy import select

from bot import clock
from bot.api import idempotency
from bot.api.models import IdempotentRequest
from bot.people.models import Workspace
from bot.scheduler import run_job
from tests.api.conftest import Api
from tests.conftest import TEAM_ID

BODY = {"measurements": [{"metric": "onboarding-tickets", "value": 6},
                         {"metric": "first-week-activation", "value": "14%"}]}
KEY = {"Idempotency-Key": "nightly-sync-0001"}
START = "2026-12-04T09:00:00Z"


def _keys(api: Api) -> list[str]:
    with api.session_factory() as session:
        return sorted(session.scalars(select(IdempotentRequest.key)))


def test_a_key_is_replayed_for_a_day_then_pruned_and_records_again(planned: Api,
                                                                     token: str) -> None:
    with freeze_time(START) as frozen:
        first = planned.post(BODY, token=token, headers=KEY)
        assert first.status == 201, first.text
        written = planned.measurements()

        frozen.tick(timedelta(hours=23, minutes=59))
        assert "and 0 API Idempotency-Keys older than 24 hours" in run_job(
            "prune-event-receipts", planned.runtime.jobs)
        again = planned.post(BODY, token=token, headers=KEY)
        assert again.headers.get("idempotent-replayed") == "true"
        assert again.json == first.json
        assert planned.measurements() == written

        frozen.tick(timedelta(minutes=2))  # 24 h 1 min after the first
        assert "and 1 API Idempotency-Keys older than 24 hours" in run_job(
            "prune-event-receipts", planned.runtime.jobs)
        assert _keys(planned) == []
        late = planned.post(BODY, token=token, headers=KEY)

    assert late.status == 201, late.text
    assert "idempotent-replayed" not in late.headers
    assert planned.measurements() == written + 2
    assert _keys(planned) == ["api:nightly-sync-0001"]


def test_an_expired_key_the_job_has_not_pruned_yet_records_again(planned: Api,
                                                                 token: str) -> None:
    with freeze_time(START) as frozen:
        assert planned.post(BODY, token=token, headers=KEY).status == 201
        written = planned.measurements()
        frozen.tick(timedelta(hours=24))
        # Another body under the key: within the day a 422, now a new request.
        other = planned.post({"metric": "onboarding-tickets", "value": 7}, token=token,
                             headers=KEY)
        replay = planned.post({"metric": "onboarding-tickets", "value": 7}, token=token,
                              headers=KEY)

    assert other.status == 201, other.text
    assert "idempotent-replayed" not in other.headers
    assert replay.headers.get("idempotent-replayed") == "true"
    assert planned.measurements() == written + 1
    assert _keys(planned) == ["api:nightly-sync-0001"]  # now bound to the new body


def test_a_csv_files_hash_is_not_pruned(planned: Api, token: str) -> None:
    with freeze_time(START) as frozen:
        with planned.session_factory.begin() as session:
            workspace = session.scalar(select(Workspace).where(Workspace.slack_team_id == TEAM_ID))
            idempotency.claim(session, workspace.id, idempotency.CSV_FILES + "ab" * 32,
                              "ab" * 32, now=clock.now())
        assert planned.post(BODY, token=token, headers=KEY).status == 201
        frozen.tick(timedelta(days=30))
        assert "and 1 API Idempotency-Keys" in run_job("prune-event-receipts",
                                                       planned.runtime.jobs)

    assert _keys(planned) == ["csv:" + "ab" * 32]
