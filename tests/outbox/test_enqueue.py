"""enqueue: a row inside the caller's transaction, once per workspace and key."""

from __future__ import annotations

import threading

import pytest

from bot.db import transaction
from bot.errors import InvalidInput
from bot.outbox.queue import enqueue
from bot.scheduler import JobContext
from tests.conftest import TEAM_ID
from tests.outbox.conftest import queue_dms, rows


def test_the_same_key_is_queued_once(outbox: JobContext) -> None:
    first = queue_dms(outbox, 3)
    again = queue_dms(outbox, 3)  # the check-in job running twice for the same cycle
    assert again == first
    stored = rows(outbox.session_factory)
    assert [(r.user_id, r.status, r.attempts) for r in stored] == [
        ("U0001", "queued", 0), ("U0002", "queued", 0), ("U0003", "queued", 0)]
    assert stored[0].payload == {"text": "Hello 1"}
    assert stored[0].created_at == stored[0].next_attempt_at  # the app's clock, not the DB's
    assert len(queue_dms(outbox, 3, cycle="2026-w50")) == 3
    assert len(rows(outbox.session_factory)) == 6


def test_the_same_key_in_another_workspace_is_another_message(outbox: JobContext) -> None:
    with transaction(outbox.session_factory) as db_session:
        for team in (TEAM_ID, "T0OTHER", TEAM_ID):
            enqueue(db_session, team_id=team, kind="checkin", user_id="U0001",
                    dedupe_key="checkin:U0001:2026-w49", text="Hi")
    assert sorted(r.team_id for r in rows(outbox.session_factory)) == ["T0OTHER", TEAM_ID]


def test_nothing_is_queued_when_the_callers_work_rolls_back(outbox: JobContext) -> None:
    with pytest.raises(RuntimeError), transaction(outbox.session_factory) as db_session:
        enqueue(db_session, team_id=TEAM_ID, kind="checkin", user_id="U0001",
                dedupe_key="k", text="Hi")
        raise RuntimeError("the check-in job failed after queueing")
    assert rows(outbox.session_factory) == []


@pytest.mark.parametrize(("recipient", "text", "blocks", "field"), [
    ({"user_id": "U1", "channel": "C1"}, "Hi", None, "recipient"),
    ({}, "Hi", None, "recipient"),
    ({"user_id": "U1"}, "  ", None, "text"),
    ({"user_id": "U1"}, "Hi", [{"type": "divider"}] * 51, "blocks"),
])
def test_a_message_slack_would_refuse_is_not_queued(
        outbox: JobContext, recipient: dict[str, str], text: str,
        blocks: list[dict[str, str]] | None, field: str) -> None:
    with pytest.raises(InvalidInput) as refused, \
            transaction(outbox.session_factory) as db_session:
        enqueue(db_session, team_id=TEAM_ID, kind="checkin", dedupe_key="k", text=text,
                blocks=blocks, **recipient)
    assert refused.value.field == field and refused.value.expected
    assert rows(outbox.session_factory) == []


def test_two_transactions_queueing_one_key_at_once_make_one_message(
        outbox: JobContext) -> None:
    """Two check-in runs racing: the second insert waits for the first (PostgreSQL) or for
    the writer's lock (SQLite), then finds its row."""
    both_inside = threading.Barrier(2, timeout=10)
    found: list[int] = []
    errors: list[BaseException] = []

    def queue() -> None:
        try:
            with transaction(outbox.session_factory) as db_session:
                both_inside.wait()
                message = enqueue(db_session, team_id=TEAM_ID, kind="checkin",
                                  user_id="U0001", dedupe_key="checkin:U0001:2026-w49",
                                  text="Hi")
                db_session.flush()
                found.append(message.id)
        except BaseException as error:  # reported in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=queue) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(found) == 2 and found[0] == found[1]
    assert len(rows(outbox.session_factory)) == 1
