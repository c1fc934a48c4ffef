"""The batch form against `/okr update`'s own flow: a batch leaves a metric exactly where the
same values recorded one by one through update_metric leave it (stored values, health, the
triggers the newest meets), on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.access.policy import Actor
from bot.api.recording import Incoming, record_batch
from bot.errors import InvalidFields
from bot.okrs import flows, value_flows
from bot.okrs.method.enums import Source
from bot.okrs.plans.files import load_plan
from bot.okrs.store.importer import import_plan
from bot.okrs.store.models import Measurement, Metric
from tests.api.conftest import ROOT
from tests.conftest import TEAM_ID

TWIN = "T0TWIN"
NOW = datetime.now(UTC).replace(microsecond=0)
CASES = {
    "rising tickets": [("onboarding-tickets", "6", 30), ("onboarding-tickets", "8", 20),
                       ("onboarding-tickets", "11", 2), ("onboarding-tickets", "7", 9)],
    "mixed metrics": [("first-week-activation", "15.5%", 3), ("trial-drop-off", "41", 8),
                      ("first-week-activation", "9%", 12), ("trial-drop-off", "35.25%", 1),
                      ("first-week-activation", "12%", 3)],
}


@pytest.fixture
def planned(database_url: str) -> str:
    return database_url


@pytest.fixture
def twins(planned: str, session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """The AI plan in TEAM_ID (the template's) and again in TWIN."""
    with session_factory.begin() as session:
        plan = load_plan(ROOT / "examples" / "ai-feature-launch.yml").plan
        import_plan(db_session=session, plan=plan.model_copy(update={"workspace": TWIN}))
    return session_factory


def _stored(session: Session, team_id: str, key: str) -> list[tuple]:
    workspace = flows.workspace(session, team_id)
    return list(session.execute(
        select(Measurement.value, Measurement.measured_at, Measurement.decimals,
               Measurement.source)
        .join(Metric, Metric.id == Measurement.metric_id)
        .where(Metric.workspace_id == workspace.id, Metric.key == key)
        .order_by(Measurement.measured_at, Measurement.id)))


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_batch_ends_where_the_same_updates_one_by_one_end(twins: sessionmaker[Session],
                                                            case: str) -> None:
    values = CASES[case]
    actor = Actor.api("twin test")
    with twins.begin() as session:
        batch = record_batch(session, flows.workspace(session, TEAM_ID), actor, [
            Incoming(key, value, NOW - timedelta(days=days), path=f"measurements[{i}]")
            for i, (key, value, days) in enumerate(values)], now=NOW)
    last: dict[str, object] = {}
    # One by one, oldest first, each in its own transaction as `/okr update` would be.
    for key, value, days in sorted(values, key=lambda v: -v[2]):
        with twins.begin() as session:
            last[key] = value_flows.update_metric(
                session, flows.workspace(session, TWIN), actor, typed=key, value_text=value,
                now=NOW, at=NOW - timedelta(days=days), source=Source.API)

    assert batch.count == len(values)
    with twins() as session:
        for update in batch.metrics:
            one_by_one = last[update.key]
            assert update.recorded.new_value == one_by_one.new_value
            assert update.recorded.health == one_by_one.health
            assert update.recorded.fired == one_by_one.fired
            assert _stored(session, TEAM_ID, update.key) == _stored(session, TWIN, update.key)


def test_nothing_is_written_when_one_item_is_wrong(twins: sessionmaker[Session]) -> None:
    with twins() as session:
        before = _stored(session, TEAM_ID, "onboarding-tickets")
    with pytest.raises(InvalidFields) as refused, twins.begin() as session:
        record_batch(session, flows.workspace(session, TEAM_ID), Actor.api("t"), [
            Incoming("onboarding-tickets", "6", path="row 2"),
            Incoming("onboarding-tickets", "6", NOW + timedelta(hours=1), path="row 3"),
            Incoming("onboarding-tickets", "x", path="row 10")], now=NOW)
    assert list(refused.value.errors) == ["row 3.at", "row 10.value"]
    with twins() as session:
        assert _stored(session, TEAM_ID, "onboarding-tickets") == before
