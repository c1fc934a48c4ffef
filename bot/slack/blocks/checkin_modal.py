"""The check-in modal: the three questions (last week's priorities shown as context), a new
value and a confidence for each key result and KPI the person owns, grouped by objective, and
one structured blocker. Pure.

A modal holds at most 100 blocks. Items that do not fit one are split into parts ("Part 1 of
2"): submitting a part records it and shows the next, so nothing is cut silently.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.checkins.confidence import HIGHEST, LOWEST
from bot.checkins.form import CheckinForm, CheckinRecorded, OwnedItem
from bot.okrs.method.health import format_value
from bot.slack import ids
from bot.slack.blocks.mrkdwn import context, escape, fallback, header
from bot.slack.blocks.packing import packed
from bot.slack.blocks.visuals import status_mark

MODAL_BLOCKS = 100  # Slack's cap for a modal
FIRST_PART_FIXED = 12  # header, questions, blockers: what part 1 holds besides the items
OTHER_PART_FIXED = 2  # a later part's header and its "part n of m"
PER_ITEM = 2  # a value input and a confidence menu
PER_GROUP = 1  # the objective's name above its items
TITLE_LIMIT = 24  # Slack's cap for a modal's title
LABEL_LIMIT = 2000
HINT_LIMIT = 2000


@dataclass(frozen=True)
class Metadata:
    """What a submission needs to know that Slack does not keep: carried in the view."""

    question_set_id: int
    round_id: int | None
    part: int
    parts: int

    def dumps(self) -> str:
        return json.dumps({"q": self.question_set_id, "r": self.round_id, "p": self.part,
                           "n": self.parts})

    @classmethod
    def loads(cls, text: str) -> Metadata:
        data = json.loads(text or "{}")
        return cls(int(data["q"]), data.get("r"), int(data.get("p", 1)), int(data.get("n", 1)))


def split_items(items: list[OwnedItem]) -> list[list[OwnedItem]]:
    """The items of each part: as many as fit its blocks, a group's header counted once per
    part it appears in. At least one part, even with no items."""
    parts: list[list[OwnedItem]] = [[]]
    budget = MODAL_BLOCKS - FIRST_PART_FIXED
    group = None
    for item in items:
        cost = PER_ITEM + (PER_GROUP if item.group != group else 0)
        if cost > budget:
            parts.append([])
            budget = MODAL_BLOCKS - OTHER_PART_FIXED
            cost = PER_ITEM + PER_GROUP
        parts[-1].append(item)
        budget -= cost
        group = item.group
    return parts


def _text_input(block_id: str, label: str, *, multiline: bool = True, initial: str = "",
                optional: bool = True, hint: str = "", placeholder: str = "") -> dict:
    element: dict = {"type": "plain_text_input", "action_id": ids.INPUT, "multiline": multiline}
    if initial:
        element["initial_value"] = initial[:3000]
    if placeholder:
        element["placeholder"] = {"type": "plain_text", "text": placeholder[:150]}
    block = {"type": "input", "block_id": block_id, "optional": optional, "element": element,
             "label": {"type": "plain_text", "text": label[:LABEL_LIMIT]}}
    if hint:
        block["hint"] = {"type": "plain_text", "text": hint[:HINT_LIMIT]}
    return block


def _option(text: str, value: str) -> dict:
    return {"text": {"type": "plain_text", "text": text[:75]}, "value": value[:150]}


def _confidence(item: OwnedItem) -> dict:
    element: dict = {"type": "static_select", "action_id": ids.INPUT,
                     "placeholder": {"type": "plain_text", "text": "1 (won't) – 10 (sure)"},
                     "options": [_option(str(n), str(n)) for n in range(LOWEST, HIGHEST + 1)]}
    if item.confidence is not None:
        element["initial_option"] = _option(str(item.confidence.confidence),
                                            str(item.confidence.confidence))
    return {"type": "input", "block_id": f"{ids.CONFIDENCE}{item.key}", "optional": True,
            "element": element,
            "label": {"type": "plain_text",
                      "text": f"Confidence it reaches its target, {LOWEST}–{HIGHEST}"}}


def _items(items: list[OwnedItem]) -> list[dict]:
    blocks: list[dict] = []
    group = None
    for item in items:
        if item.group != group:
            blocks.append(context(f"*{escape(item.group)}*"))
            group = item.group
        now = f"now {item.current}" if item.current else "nothing measured yet"
        blocks.append(_text_input(
            f"{ids.VALUE}{item.key}", f"{item.kind}: {item.name} ({now})", multiline=False,
            hint=f"A new value, e.g. 12, 12.5%, 1.2k{f' in {item.unit}' if item.unit else ''}; "
                 "leave empty if it has not changed.", placeholder="new value"))
        blocks.append(_confidence(item))
    return blocks


def _blocker(form: CheckinForm) -> list[dict]:
    options = [_option("General (not one item)", "-")]
    options += [_option(f"{i.kind}: {i.name}", i.key) for i in form.items[:99]]
    blocks = [header("Blocked?")]
    if form.open_blockers:
        shown = ", ".join(b.label for b in form.open_blockers[:10])
        blocks.append(context(f"Still open from before: {escape(shown)} (resolve them with "
                              "`/okr blocker resolve`)"))
    blocks += [
        _text_input(ids.BLOCKER_TEXT, "What is in your way (a new blocker)?",
                    placeholder="leave empty if nothing"),
        {"type": "input", "block_id": ids.BLOCKER_ITEM, "optional": True,
         "label": {"type": "plain_text", "text": "What does it block?"},
         "element": {"type": "static_select", "action_id": ids.INPUT, "options": options,
                     "initial_option": options[0]}},
        {"type": "input", "block_id": ids.BLOCKER_HELPER, "optional": True,
         "label": {"type": "plain_text", "text": "Who could help?"},
         "element": {"type": "users_select", "action_id": ids.INPUT}},
    ]
    return blocks


def checkin_modal(form: CheckinForm, *, part: int = 1) -> dict:
    """The view for one part of the check-in (part 1 holds the questions and the blocker)."""
    parts = split_items(form.items)
    part = min(max(part, 1), len(parts))
    metadata = Metadata(form.question_set_id, form.round_id, part, len(parts))
    when = f"week {form.cycle.split('-W')[-1]}" if form.cycle and "-W" in form.cycle else ""
    blocks: list[dict] = []
    if part == 1:
        blocks.append(header(f"Your check-in{f' for {when}' if when else ''}"))
        if form.last_priorities:
            blocks.append(context(f"Last time you planned: {escape(form.last_priorities)}"))
        for question in form.questions:
            blocks.append(_text_input(f"{ids.QUESTION}{question.key}", question.text,
                                      initial=form.previous.get(question.key, "")))
        if form.items:
            blocks.append(header("Your key results and KPIs"))
    else:
        blocks.append(header("Your key results and KPIs, continued"))
    if len(parts) > 1:
        blocks.append(context(f"Part {part} of {len(parts)}: submitting saves this part and "
                              "shows the next."))
    blocks += _items(parts[part - 1])
    if part == 1:
        blocks += _blocker(form)
    last = part == len(parts)
    return {"type": "modal", "callback_id": ids.CHECKIN_MODAL,
            "private_metadata": metadata.dumps(),
            "title": {"type": "plain_text", "text": "Weekly check-in"[:TITLE_LIMIT]},
            "submit": {"type": "plain_text", "text": "Submit" if last else "Save and next"},
            "close": {"type": "plain_text", "text": "Cancel"},
            "blocks": blocks}


def saved_lines(result: CheckinRecorded) -> list[str]:
    """What a submission recorded, one line each (mrkdwn, escaped)."""
    if result.repeated:
        return ["Already saved: this check-in was recorded once."]
    lines = [":white_check_mark: " + ("Your check-in is updated (the earlier answers are kept)."
                                      if result.edited else "Your check-in is saved.")]
    for recorded in result.recorded:
        metric, health = recorded.metric, recorded.health
        value = format_value(recorded.new_value, metric.unit, recorded.new_decimals)
        lines.append(f"• *{escape(metric.name)}* → {escape(value)} "
                     f"({health.status.value}: {escape(health.reason)})")
    lines += [f"• Confidence in `{escape(c.metric_key)}`: {c.confidence}/10"
              for c in result.confidences]
    if result.blocker is not None:
        lines.append(f"• Blocker *{result.blocker.label}* raised")
    for recorded in result.recorded:  # what a manager would ask about first, said once more
        if (change := recorded.status_change()) is not None:
            lines.append(f"{status_mark(recorded.health.status, False)} {escape(change)}")
    return lines


def recorded_view(result: CheckinRecorded) -> dict:
    """What the modal turns into once the last part is saved: what was recorded."""
    return {"type": "modal", "callback_id": ids.CHECKIN_MODAL,
            "title": {"type": "plain_text", "text": "Check-in saved"},
            "close": {"type": "plain_text", "text": "Done"},
            "blocks": _saved_blocks(result, MODAL_BLOCKS - 5)}


def saved_message(result: CheckinRecorded) -> dict:
    """The confirmation DM: what was recorded, each value's status now, and what turned
    yellow, red or green again."""
    changes = [c for r in result.recorded if (c := r.status_change()) is not None]
    text = "Your check-in is saved." + "".join(f" {c}." for c in changes[:3])
    return {"text": fallback(text), "blocks": _saved_blocks(result, 45)}


def _saved_blocks(result: CheckinRecorded, most: int) -> list[dict]:
    # Many items: as many sections as the lines need, never one cut at 3,000 characters.
    return packed(saved_lines(result), more_hint="`/okr status` shows every value.",
                  max_sections=most)
