"""`/okr checkin`: the check-in modal, any time. During a round's window it is that round's
check-in (again, to edit it); outside one it records an off-cycle update."""

from __future__ import annotations

from bot import clock
from bot.checkins import answering
from bot.slack.blocks.checkin_modal import checkin_modal
from bot.slack.router import CommandRequest
from bot.slack.subcommands.common import actor, answers, workspace


@answers()
def okr_checkin(request: CommandRequest) -> dict:
    """A modal view (the listener opens it with the command's trigger_id)."""
    now = clock.now()
    found = workspace(request)
    current = answering.open_round(request.db_session, found, request.user_id, now)
    form = answering.checkin_form(request.db_session, found, actor(request), now=now,
                                  round_id=current.id if current else None)
    return checkin_modal(form)
