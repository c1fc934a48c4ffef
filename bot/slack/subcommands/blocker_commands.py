"""`/okr blockers [mine | team] [page]` lists open blockers; `/okr blocker add <item> <text>`
raises one and `/okr blocker resolve <number> [note]` closes one."""

from __future__ import annotations

from bot import clock
from bot.checkins import flows as checkin_flows
from bot.errors import Choice, InvalidInput
from bot.okrs import team_flows
from bot.slack.blocks import blocker_messages as replies
from bot.slack.blocks.mrkdwn import escape
from bot.slack.grammar import first_word, split_add_args, split_resolve_args
from bot.slack.router import CommandRequest
from bot.slack.subcommands.common import actor, answers, reading, workspace

PAGE_SIZE = 20
SCOPES = {"": "Open blockers", "all": "Open blockers", "mine": "Open blockers: yours",
          "team": "Open blockers: your team"}
LIST_USAGE = "expected: /okr blockers [mine | team] [page], e.g. /okr blockers team"
VERBS = {"add": "add", "raise": "add", "resolve": "resolve", "close": "resolve"}
EMPTY = {"mine": "Nothing you raised or own is blocked. 🎉",
         "team": "Nothing your team raised or owns is blocked. 🎉"}


def _scope_and_page(args: str) -> tuple[str, int]:
    words = args.lower().split()
    page = 1
    if words and words[-1].isdigit():
        page = int(words.pop())
    scope = words.pop(0) if words else ""
    if words or scope not in SCOPES or page < 1:
        raise InvalidInput(f"“{args.strip()[:40]}” is not a list of blockers; {LIST_USAGE}",
                           field="scope", expected=LIST_USAGE)
    return scope, page


@answers()
def okr_blockers(request: CommandRequest) -> dict:
    scope, page = _scope_and_page(request.args)
    read = reading(request)
    entries = checkin_flows.list_blockers(read.db_session, read.workspace, actor(request),
                                          scope or "all")
    levels = (team_flows.reporting_line(read.db_session, read.workspace, actor(request))
              if scope == "team" else None)
    command = f"blockers {scope}".strip()
    return replies.list_message(SCOPES[scope], entries, now=read.now, chain=read.chain,
                                page=page, page_size=PAGE_SIZE,
                                next_command=f"/okr {command} {page + 1}",
                                shareable=f"{command} {page}" if page > 1 else command,
                                empty=EMPTY.get(scope, "No open blockers. 🎉"), levels=levels)


def okr_blocker(request: CommandRequest) -> dict:
    typed, rest = first_word(request.args)
    verb = VERBS.get(typed.lower())
    if verb == "add":
        return _add(request, rest)
    if verb == "resolve":
        return _resolve(request, rest)
    if not typed:
        return replies.forms()
    return replies.forms(problem=f"I don't know `/okr blocker {typed[:40]}`: add one or "
                                 "resolve one.")


def _pick_blockable(choice: Choice) -> str:
    return f"`/okr blocker add {escape(choice.key)} &lt;what blocks it&gt;`"


@answers(pick=_pick_blockable)
def _add(request: CommandRequest, args: str) -> dict:
    try:
        typed, text = split_add_args(args)
    except InvalidInput as error:
        raise InvalidInput(f"{error.message}. Nothing was raised.", field=error.field,
                           expected=error.expected) from None
    entry = checkin_flows.raise_blocker(request.db_session, workspace(request), actor(request),
                                        typed=typed, text=text, now=clock.now())
    return replies.raised(entry)


@answers(hint="/okr blockers lists the open ones.")
def _resolve(request: CommandRequest, args: str) -> dict:
    number, note = split_resolve_args(args)
    now = clock.now()
    resolution = checkin_flows.resolve_blocker(request.db_session, workspace(request),
                                               actor(request), number=number, now=now,
                                               note=note)
    return replies.resolved(resolution, now=now)
