"""`/okr blockers [mine | team] [page]` lists open blockers; `/okr blocker add <item> <text>`
raises one and `/okr blocker resolve <number> [note]` closes one."""

from __future__ import annotations

from bot import clock
from bot.checkins import service as checkin_service
from bot.checkins.blocker_rules import GENERAL, split_add_args, split_resolve_args
from bot.okrs.method.chain import NodeKind
from bot.okrs.method.enums import Source
from bot.okrs.method.names import resolve
from bot.okrs.method.typed_values import first_word
from bot.people import service as people_service
from bot.slack.blocks import blocker_messages as replies
from bot.slack.blocks.update import problem
from bot.slack.router import CommandRequest
from bot.slack.subcommands.common import chain_or_reply, workspace_or_reply

PAGE_SIZE = 20
SCOPES = {"": "Open blockers", "all": "Open blockers", "mine": "Open blockers: yours",
          "team": "Open blockers: your team"}
LIST_USAGE = "expected: /okr blockers [mine | team] [page], e.g. /okr blockers team"
VERBS = {"add": "add", "raise": "add", "resolve": "resolve", "close": "resolve"}
# Which column of `blockers` holds the item, by the kind of item.
COLUMN = {NodeKind.OBJECTIVE: "objective_id", NodeKind.KEY_RESULT: "metric_id",
          NodeKind.KPI: "metric_id", NodeKind.ACTIVITY: "activity_id"}


def _scope_and_page(args: str) -> tuple[str, int]:
    words = args.lower().split()
    page = 1
    if words and words[-1].isdigit():
        page = int(words.pop())
    scope = words.pop(0) if words else ""
    if words or scope not in SCOPES or page < 1:
        raise ValueError(f"“{args.strip()[:40]}” is not a list of blockers; {LIST_USAGE}")
    return scope, page


def okr_blockers(request: CommandRequest) -> dict:
    try:
        scope, page = _scope_and_page(request.args)
    except ValueError as error:
        return problem(str(error))
    chain = chain_or_reply(request)
    if isinstance(chain, dict):
        return chain
    workspace_id = request.memo["workspace"].id  # looked up once, by chain_or_reply
    people = None
    if scope == "mine":
        people = {request.user_id}
    elif scope == "team":
        people = people_service.team_of(db_session=request.db_session,
                                        workspace_id=workspace_id,
                                        slack_user_id=request.user_id)
    entries = checkin_service.open_blockers(db_session=request.db_session,
                                            workspace_id=workspace_id, people=people)
    command = f"blockers {scope}".strip()
    empty = {"mine": "Nothing you raised or own is blocked. 🎉",
             "team": "Nothing your team raised or owns is blocked. 🎉"}.get(
        scope, "No open blockers. 🎉")
    return replies.list_message(SCOPES[scope], entries, now=clock.now(), chain=chain, page=page,
                                page_size=PAGE_SIZE, next_command=f"/okr {command} {page + 1}",
                                shareable=f"{command} {page}" if page > 1 else command,
                                empty=empty)


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


def _add(request: CommandRequest, args: str) -> dict:
    try:
        typed, text = split_add_args(args)
    except ValueError as error:
        return problem(f"{error}. Nothing was raised.")
    workspace = workspace_or_reply(request)
    if isinstance(workspace, dict):
        return workspace
    on: dict[str, int] = {}
    if typed != GENERAL:
        match = resolve(typed, checkin_service.blockable(
            db_session=request.db_session, workspace_id=workspace.id, typed=typed))
        if match.ambiguous:
            return replies.choices(typed, match.choices)
        if match.found is None:
            return problem(f"No objective, key result, KPI or activity matches “{typed}”. "
                           "Use its key, the start of its name, or its name in quotes, e.g. "
                           "/okr blocker add onboarding-tours waiting on the design review "
                           "(or - for a blocker on nothing in particular). Nothing was raised.")
        on = {COLUMN[match.found.kind]: match.found.row_id}
    try:
        entry = checkin_service.raise_blocker(
            db_session=request.db_session, workspace_id=workspace.id, author=request.user_id,
            text=text, source=Source.SLACK, now=clock.now(), **on)
    except checkin_service.BlockerError as error:
        return problem(f"{error}. Nothing was raised.")
    return replies.raised(entry)


def _resolve(request: CommandRequest, args: str) -> dict:
    try:
        number, note = split_resolve_args(args)
    except ValueError as error:
        return problem(str(error))
    workspace = workspace_or_reply(request)
    if isinstance(workspace, dict):
        return workspace
    now = clock.now()
    try:
        resolution = checkin_service.resolve_blocker(
            db_session=request.db_session, workspace_id=workspace.id, number=number,
            actor=request.user_id, now=now, note=note)
    except checkin_service.UnknownBlocker:
        return problem(f"There is no blocker B-{number} in this workspace. /okr blockers "
                       "lists the open ones.")
    except checkin_service.NotAllowed as refused:
        return replies.refusal(refused.blocker)
    return replies.resolved(resolution, now=now)
