"""`/okr update <key result or KPI> <value> [note]`: record a measurement from Slack;
`/okr update <item> undo` takes back your own last one.

Updates that arrive together are answered together (`TOGETHER`, bot/slack/grouped.py): one
transaction records them all, and each person gets the reply they would have got alone."""

from __future__ import annotations

from bot import clock
from bot.errors import Choice, DomainError
from bot.okrs import flows, value_flows
from bot.okrs.method.recording import Recorded
from bot.slack.blocks import update as blocks
from bot.slack.blocks.mrkdwn import escape
from bot.slack.grammar import split_update_args
from bot.slack.problems import reply_for
from bot.slack.router import CommandRequest, Together
from bot.slack.subcommands.common import actor, answers, workspace

EXAMPLE = "/okr update first-week-activation 14.5"
HINT = f"For example: {EXAMPLE}"
UNDO = "undo"  # `/okr update <item> undo` takes back your own last value (within a day)


def _pick(choice: Choice) -> str:
    return f"`/okr update {escape(choice.key)} &lt;value&gt;`"


def _undoes(typed_value: str, note: str) -> bool:
    return typed_value.lower() == UNDO and not note


@answers(hint=HINT, pick=_pick)
def okr_update(request: CommandRequest) -> dict:
    typed, value_text, note = split_update_args(request.args)
    if _undoes(value_text, note):
        undone = value_flows.undo_update(request.db_session, workspace(request),
                                         actor(request), typed=typed, now=clock.now())
        return blocks.undone(undone, author=request.user_id)
    recorded = value_flows.update_metric(request.db_session, workspace(request), actor(request),
                                         typed=typed, value_text=value_text, note=note,
                                         now=clock.now())
    return blocks.recorded(recorded, author=request.user_id, note=note)


def _records_a_value(args: str) -> bool:
    """A value to record (not an undo), in words that parse: what is answered together."""
    try:
        _typed, value_text, note = split_update_args(args)
    except DomainError:
        return False  # answered alone, with what is missing
    return not _undoes(value_text, note)


def answer_together(db_session, requests: list[CommandRequest]  # type: ignore[no-untyped-def]
                    ) -> list[tuple[dict, bool]]:
    """okr_update's replies to several requests (values to record, `_records_a_value`), from
    one transaction: each reply, and whether it recorded its value."""
    replies: list[tuple[dict, bool] | None] = [None] * len(requests)
    now = clock.now()
    for team_id in dict.fromkeys(r.team_id for r in requests):
        places = [i for i, r in enumerate(requests) if r.team_id == team_id]
        try:
            found = flows.workspace(db_session, team_id)
        except DomainError as error:  # no plan: the same words for each of them
            for i in places:
                replies[i] = (reply_for(error, hint=HINT, pick=_pick), False)
            continue
        parsed = [split_update_args(requests[i].args) for i in places]
        outcomes = value_flows.update_metrics(db_session, found, [
            value_flows.ValueUpdate(actor(requests[i]), typed=typed, value_text=value_text,
                                    note=note)
            for i, (typed, value_text, note) in zip(places, parsed, strict=True)], now=now)
        for i, (_typed, _value, note), outcome in zip(places, parsed, outcomes, strict=True):
            replies[i] = ((blocks.recorded(outcome, author=requests[i].user_id, note=note), True)
                          if isinstance(outcome, Recorded)
                          else (reply_for(outcome, hint=HINT, pick=_pick), False))
    return [reply for reply in replies if reply is not None]


TOGETHER = Together(applies=_records_a_value, answer=answer_together)
