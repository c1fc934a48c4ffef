"""`/okr ooo` over signed HTTP: time off is stored in the person's own days, listed, ended
early, and bad dates say what is expected."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from freezegun import freeze_time
from sqlalchemy import select

from bot.checkins.rounds import TimeOff
from tests.slack.conftest import RunningBot

MAYA = "U0AIPM001"


def said(reply) -> str:
    return json.dumps(reply.json["blocks"], ensure_ascii=False)


def test_time_off_is_planned_listed_and_ended_early(planned: RunningBot) -> None:
    with freeze_time(datetime(2026, 12, 20, 12, tzinfo=UTC)):
        reply = planned.slack.command("ooo 2026-12-24 2027-01-02 holidays", user_id=MAYA)
        assert "Time off Thu 24 Dec 2026 to Sat 02 Jan 2027 (holidays)" in said(reply)
        assert "count as excused" in said(reply)
        planned.slack.command("ooo tomorrow", user_id=MAYA)
        listed = said(planned.slack.command("ooo", user_id=MAYA))
        assert listed.index("Mon 21 Dec 2026") < listed.index("Thu 24 Dec 2026")
    with planned.session_factory() as session:
        rows = session.scalars(select(TimeOff).order_by(TimeOff.starts_on)).all()
        assert [(r.starts_on, r.ends_on, r.reason) for r in rows] == [
            (date(2026, 12, 21), date(2026, 12, 21), None),
            (date(2026, 12, 24), date(2027, 1, 2), "holidays")]
    with freeze_time(datetime(2026, 12, 28, 9, tzinfo=UTC)):
        assert "Welcome back" in said(planned.slack.command("ooo off", user_id=MAYA))
        assert "No time off planned" in said(planned.slack.command("ooo", user_id=MAYA))
    with planned.session_factory() as session:  # cancelled, not deleted
        assert len(session.scalars(select(TimeOff)).all()) == 2


def test_bad_dates_say_what_is_expected_and_store_nothing(planned: RunningBot) -> None:
    with freeze_time(datetime(2026, 12, 20, 12, tzinfo=UTC)):
        for typed, says in (("ooo next-week", "is not a day; expected: /okr ooo"),
                            ("ooo 2026-12-24 2026-12-22", "is before"),
                            ("ooo 2026-11-01 2026-11-02", "has passed"),
                            ("ooo 2026-12-24 2028-01-01", "at most 366 days")):
            assert says in said(planned.slack.command(typed, user_id=MAYA)), typed
    with planned.session_factory() as session:
        assert session.scalars(select(TimeOff)).all() == []
