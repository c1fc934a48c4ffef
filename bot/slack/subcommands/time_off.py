"""`/okr ooo <first day> [last day] [reason]`: time off, when no check-in DM comes and the
week counts as excused; `/okr ooo off` when back early; `/okr ooo` lists what is planned."""

from __future__ import annotations

from bot import clock
from bot.checkins import time_off
from bot.slack.blocks.time_off import away_list, back, planned
from bot.slack.grammar import split_time_off
from bot.slack.router import CommandRequest
from bot.slack.subcommands.common import actor, answers, workspace

BACK = {"off", "back", "cancel"}


@answers()
def okr_ooo(request: CommandRequest) -> dict:
    now = clock.now()
    found = workspace(request)
    typed = request.args.strip()
    today = time_off.today_for(request.db_session, found, request.user_id, now)
    if not typed:
        return away_list(time_off.time_off(request.db_session, found, request.user_id, today))
    if typed.lower() in BACK:
        return back(time_off.end_time_off(request.db_session, found, actor(request), now=now))
    first, last, reason = split_time_off(typed, today)
    return planned(time_off.take_time_off(request.db_session, found, actor(request),
                                          starts_on=first, ends_on=last, reason=reason,
                                          now=now))
