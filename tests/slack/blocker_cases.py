"""The people, days and helpers the blocker tests share, on the AI example plan."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from freezegun import freeze_time
from sqlalchemy import select

from bot.checkins.models import Blocker
from bot.people.models import Workspace
from tests.conftest import TEAM_ID
from tests.fakes.web_api_contract import validate_blocks
from tests.slack.conftest import RunningBot

ROOT = Path(__file__).resolve().parents[2]
TOMAS, OLIVIA, KWAME, MAYA, PRIYA, LARS = ("U0AIFE001", "U0AIGM001", "U0AIML001", "U0AIPM001",
                                           "U0AIUX001", "U0AIVP001")
OUTSIDER = "U0NOBODY1"
DAY0 = datetime(2026, 6, 22, 9, tzinfo=UTC)  # inside the onboarding objective's timeframe


@contextmanager
def on(day: datetime) -> Iterator[None]:
    """The bot's clock (and the signatures' timestamps) at `day`, still ticking."""
    # The served app's event loop (asyncio) keeps real time, or its timers (set in the
    # frozen present) never fire once the clock is back and the server cannot stop.
    with freeze_time(day, tick=True, ignore=["asyncio"]):
        yield


def shown(reply) -> str:
    return json.dumps(reply.json["blocks"], ensure_ascii=False)


def within_limits(reply) -> None:
    assert reply.status == 200
    assert reply.json["response_type"] == "ephemeral"
    assert validate_blocks(reply.json["blocks"]) == []
    assert len(reply.json["blocks"]) <= 50
    for block in reply.json["blocks"]:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000


def stored(bot: RunningBot) -> dict[int, Blocker]:
    with bot.session_factory() as session:
        return {b.number: b for b in session.scalars(select(Blocker).join(Workspace).where(
            Workspace.slack_team_id == TEAM_ID))}


def row_id(bot: RunningBot, model: type, key: str) -> int:
    with bot.session_factory() as session:
        return session.scalars(select(model.id).where(model.key == key)).one()


def labels_in_order(text: str) -> list[str]:
    """The blocker numbers in the order they appear, each once."""
    found = []
    for word in text.replace("*", " ").split():
        if word.startswith("B-") and word[2:].isdigit() and word not in found:
            found.append(word)
    return found
