"""A value is shown as precisely as it was typed, in the update reply and in `/okr status`,
from what the database stored; values stored without their decimals read as before."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import schema
from bot.okrs.method.chain import NodeKind, build_chain
from bot.okrs.method.enums import Source
from bot.okrs.method.typed_values import parse_value
from bot.okrs.plans import plan as p
from bot.okrs.store.importer import import_plan
from bot.okrs.store.loader import load_blueprints
from bot.okrs.store.measurements import record_measurement
from bot.okrs.store.models import Metric
from bot.slack.blocks.status import status_message
from bot.slack.blocks.update import recorded

OWNER = "U0OWNER1"
AT = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
PLAN = p.Plan(workspace="T0TYPED", goals=[p.Goal(key="grow", name="Grow", owner=OWNER)],
              objectives=[p.Objective(
                  key="activate", name="Activate new teams", goal="grow", owner=OWNER,
                  start=date(2026, 4, 1), end=date(2026, 6, 30),
                  key_results=[p.KeyResult(key="activation", name="Activation", unit="users",
                                           baseline=1000, target=2000,
                                           due=date(2026, 6, 30))])])


@pytest.fixture
def db(database_url: str, session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    schema.upgrade(database_url)
    with session_factory.begin() as session:
        import_plan(db_session=session, plan=PLAN)
    return session_factory


def update(db: sessionmaker[Session], typed: str, *, keep_decimals: bool = True) -> dict:
    parsed = parse_value(typed)
    with db.begin() as session:
        metric = session.scalars(select(Metric).where(Metric.key == "activation")).one()
        result = record_measurement(
            db_session=session, metric=metric, value=parsed.value, at=datetime.now(UTC),
            now=datetime.now(UTC), source=Source.SLACK, author=OWNER,
            decimals=parsed.decimals if keep_decimals else None)
    return recorded(result, author=OWNER, note="")


def status_text(db: sessionmaker[Session]) -> str:
    with db() as session:
        workspace_id = session.scalars(select(Metric.workspace_id)).first()
        chain = build_chain(load_blueprints(session, workspace_id), AT + timedelta(hours=1))
    objective = chain.nodes[(NodeKind.OBJECTIVE, "activate")]
    message = status_message(chain, objective, today=AT.date(), broken=None)
    return json.dumps(message["blocks"], ensure_ascii=False)


def test_the_reply_and_status_show_the_decimals_typed(db) -> None:
    with freeze_time(AT):
        first = update(db, "1,234.5")
    with freeze_time(AT + timedelta(minutes=1)):
        second = update(db, "1,300.25")
    assert "nothing yet → *1,234.5 users*" in first["blocks"][0]["text"]["text"]
    assert "1,234.5 users → *1,300.25 users*" in second["blocks"][0]["text"]["text"]
    assert "1,300.25 users / 2,000 users" in status_text(db)


def test_trailing_zeros_typed_are_kept(db) -> None:
    with freeze_time(AT):
        reply = update(db, "1,500.50")
    assert "*1,500.50 users*" in reply["blocks"][0]["text"]["text"]
    assert "1,500.50 users / 2,000 users" in status_text(db)


def test_a_value_stored_without_its_decimals_is_shown_as_before(db) -> None:
    with freeze_time(AT):
        reply = update(db, "1,234.5", keep_decimals=False)
    assert "*1,234 users*" in reply["blocks"][0]["text"]["text"]  # three significant digits
    assert "1,234 users / 2,000 users" in status_text(db)
