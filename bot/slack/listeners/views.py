"""Modal submissions: the check-in modal. Parse the view → the check-in flow → the ack that
shows what was saved, the next part, or the errors under their fields."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext

from bot import clock
from bot.checkins import answering
from bot.errors import DomainError
from bot.okrs import flows
from bot.slack import ids
from bot.slack.blocks.checkin_modal import checkin_modal, recorded_view
from bot.slack.checkin_state import block_ids, read_submission
from bot.slack.problems import modal_errors


def submit_checkin(ack: Ack, body: dict, view: dict, context: BoltContext) -> None:
    session = context["unit_of_work"].session
    person = body["user"]["id"]
    team_id = (body.get("team") or {}).get("id") or body["user"].get("team_id")
    now = clock.now()
    try:
        metadata, submission = read_submission(view)
        workspace = flows.workspace(session, team_id)
        actor = flows.Actor(person)
        result = answering.submit_checkin(
            session, workspace, actor, submission, now=now, round_id=metadata.round_id,
            question_set_id=metadata.question_set_id,
            # The same view submitted twice (a double click, a retry) has the same id and hash.
            submission_key=f"{view.get('id')}:{view.get('hash')}:{metadata.part}")
    except DomainError as error:
        context["unit_of_work"].finish(commit=False)  # nothing of the form is saved
        ack(**modal_errors(error, block_ids=block_ids(view)))
        return
    if metadata.part < metadata.parts:
        form = answering.checkin_form(session, workspace, actor, now=now,
                                      round_id=metadata.round_id)
        ack(response_action="update", view=checkin_modal(form, part=metadata.part + 1))
        return
    ack(response_action="update", view=recorded_view(result))


def register(app: App) -> None:
    app.view_submission(ids.CHECKIN_MODAL)(submit_checkin)
