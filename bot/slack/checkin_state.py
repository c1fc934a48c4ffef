"""Reading a submitted check-in modal (`view.state.values`) into a Submission: the Slack edge's
parse step. Values stay text here; the flow reads and checks them. Pure."""

from __future__ import annotations

from typing import Any

from bot.checkins.form import BlockerInput, Submission
from bot.errors import InvalidFields
from bot.slack import ids
from bot.slack.blocks.checkin_modal import Metadata


def _value(element: dict[str, Any]) -> str:
    kind = element.get("type")
    if kind == "static_select":
        option = element.get("selected_option") or {}
        return str(option.get("value") or "")
    if kind == "users_select":
        return str(element.get("selected_user") or "")
    return str(element.get("value") or "")


def read_submission(view: dict[str, Any]) -> tuple[Metadata, Submission]:
    """The part submitted and what it holds; an element Slack sent that we did not ask for
    is ignored, a confidence that is not a number is a field error."""
    metadata = Metadata.loads(view.get("private_metadata", ""))
    state = view.get("state", {}).get("values", {})
    fields = {block_id: _value(actions.get(ids.INPUT, {}))
              for block_id, actions in state.items()}
    answers = {block_id.removeprefix(ids.QUESTION): text.strip()
               for block_id, text in fields.items() if block_id.startswith(ids.QUESTION)}
    values = {block_id.removeprefix(ids.VALUE): text.strip()
              for block_id, text in fields.items() if block_id.startswith(ids.VALUE)}
    confidences: dict[str, int] = {}
    errors = {}
    for block_id, text in fields.items():
        if block_id.startswith(ids.CONFIDENCE) and text:
            key = block_id.removeprefix(ids.CONFIDENCE)
            if text.isdigit():
                confidences[key] = int(text)
            else:
                errors[f"confidence:{key}"] = "Pick a confidence from the list."
    if errors:
        raise InvalidFields(errors)
    blocker = None
    if fields.get(ids.BLOCKER_TEXT, "").strip():
        blocker = BlockerInput(text=fields[ids.BLOCKER_TEXT].strip(),
                               item=fields.get(ids.BLOCKER_ITEM) or "-",
                               helper=fields.get(ids.BLOCKER_HELPER) or None)
    return metadata, Submission(part=metadata.part, answers=answers, values=values,
                                confidences=confidences, blocker=blocker)


def block_ids(view: dict[str, Any]) -> dict[str, str]:
    """A flow's field names ("value:<key>", "accomplished", "blocker_text") → the modal's block
    ids, for errors shown under the right field; the first input takes what fits none."""
    found: dict[str, str] = {}
    for block in view.get("blocks", []):
        block_id = block.get("block_id", "")
        if block.get("type") != "input" or not block_id:
            continue
        field = block_id.removeprefix(ids.QUESTION) if block_id.startswith(ids.QUESTION) \
            else block_id
        found[field.replace(ids.VALUE, "value:").replace(ids.CONFIDENCE, "confidence:")] = \
            block_id
    return found
