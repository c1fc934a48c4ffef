"""What a check-in asks and what a submission holds, as plain data: the modal renders a
CheckinForm and parses its state into a Submission; the flow checks and records it. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.checkins.blocker_rules import BlockerEntry
from bot.checkins.confidence import Confidence
from bot.okrs.method.recording import Recorded

# The questions as first worded; a workspace's own wording is a new version of this set.
DEFAULT_QUESTIONS = (
    ("accomplished", "What did you accomplish last week toward your OKRs?"),
    ("priorities", "What are your top priorities this week?"),
    ("blockers", "Any blockers?"),
)
MAX_ANSWER = 3000  # Slack's own cap on a plain_text_input is 3000 characters


@dataclass(frozen=True)
class Question:
    key: str
    text: str


@dataclass(frozen=True)
class OwnedItem:
    """A key result or KPI the person owns: asked for a new value and their confidence."""

    key: str
    name: str
    kind: str  # "Key result" or "KPI"
    unit: str
    group: str  # the objective it measures, or "KPIs"
    current: str  # the value in force, as shown ("12.5%"), or "" if none yet
    confidence: Confidence | None


@dataclass(frozen=True)
class CheckinForm:
    """Everything the check-in modal shows one person for one round (or off-cycle)."""

    question_set_id: int
    questions: list[Question]
    items: list[OwnedItem]
    round_id: int | None
    cycle: str | None
    last_priorities: str  # what they said last time they would do this week, "" if nothing
    open_blockers: list[BlockerEntry]
    previous: dict[str, str] = field(default_factory=dict)  # answers already given this round


@dataclass(frozen=True)
class BlockerInput:
    text: str
    item: str  # an item's key, or "-" for a general blocker
    helper: str | None = None  # a Slack user id who could help


@dataclass(frozen=True)
class Submission:
    """One submitted part of the modal, as typed. Values are text (`12%`, `1.2k`): the flow
    reads them as `/okr update` does."""

    part: int
    answers: dict[str, str]
    values: dict[str, str]  # item key → typed value
    confidences: dict[str, int]  # item key → 1–10
    blocker: BlockerInput | None = None


@dataclass(frozen=True)
class CheckinRecorded:
    """What one submission recorded (nothing new when it was a repeat)."""

    answer_id: int
    repeated: bool  # the same submission again: nothing was written this time
    edited: bool  # it replaced an earlier answer of the same round and part
    recorded: list[Recorded] = field(default_factory=list)
    confidences: list[Confidence] = field(default_factory=list)
    blocker: BlockerEntry | None = None
