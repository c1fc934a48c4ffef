"""Blockers as people see them: their number, what they block, the order they are listed in,
and how a typed blocker number and text are read. Pure.

A blocker's number counts up per workspace and is shown as `B-12`; people may type it back as
`B-12`, `b12`, `#12` or `12`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.errors import InvalidInput, NotAllowed
from bot.okrs.method.chain import LABELS, NodeId, NodeKind
from bot.okrs.method.enums import Source

PREFIX = "B-"
MAX_TEXT = 2000  # a blocker is a sentence or two; check-in forms use the same cap
GENERAL = "-"  # typed instead of an item: a blocker on nothing in particular

# What a blocker holds back, nearest the North Star first: an objective, then one of its key
# results, then the work (activities), then the KPIs measuring it; a general blocker last.
HOLDS_BACK = {NodeKind.OBJECTIVE: 0, NodeKind.KEY_RESULT: 1, NodeKind.ACTIVITY: 2,
              NodeKind.KPI: 3}
GENERAL_RANK = len(HOLDS_BACK)

_NUMBER = re.compile(r"(?:b-?|#)?0*([0-9]{1,9})", re.IGNORECASE)


@dataclass(frozen=True)
class BlockedItem:
    """The objective, key result, KPI or activity a blocker holds back."""

    kind: NodeKind
    row_id: int  # in its own table: objectives, metrics or activities
    key: str
    name: str
    owner: str | None

    @property
    def id(self) -> NodeId:
        return (self.kind, self.key)

    @property
    def label(self) -> str:
        return LABELS[self.kind]


@dataclass(frozen=True)
class BlockerEntry:
    number: int
    text: str  # as the person wrote it: escape it wherever it is shown
    author: str  # Slack user id
    created_at: datetime
    source: Source
    item: BlockedItem | None  # None: a general blocker
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    resolution: str | None = None

    @property
    def label(self) -> str:
        return label(self.number)

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


@dataclass(frozen=True)
class Resolution:
    blocker: BlockerEntry
    changed: bool  # False: it was resolved already, and nothing changed


class NotAllowedToResolve(NotAllowed):
    """The actor may not resolve this blocker; `blocker` says whose it is."""

    def __init__(self, blocker: BlockerEntry) -> None:
        owner = blocker.item.owner if blocker.item is not None else blocker.author
        super().__init__(f"You may not resolve {blocker.label}. Nothing changed.", owner=owner,
                         item=blocker.label)
        self.blocker = blocker


def label(number: int) -> str:
    return f"{PREFIX}{number}"


def parse_number(typed: str) -> int:
    """`B-12`, `b12`, `#12` or `12` → 12; InvalidInput saying what is expected otherwise."""
    match = _NUMBER.fullmatch(typed.strip())
    if match is None or int(match[1]) == 0:
        shown = typed.strip()[:40] or "nothing"
        raise InvalidInput(f"“{shown}” is not a blocker number", field="number",
                           expected="a blocker number like B-12")
    return int(match[1])


def holds_back(entry: BlockerEntry) -> int:
    return HOLDS_BACK[entry.item.kind] if entry.item is not None else GENERAL_RANK


def ordered(entries: Iterable[BlockerEntry]) -> list[BlockerEntry]:
    """What they hold back (objective, key result, activity, KPI, general), then oldest first."""
    return sorted(entries, key=lambda e: (holds_back(e), e.created_at, e.number))


def check_text(text: str) -> str:
    """The blocker's words, stripped; InvalidInput when empty or longer than MAX_TEXT."""
    stripped = text.strip()
    if not stripped:
        raise InvalidInput("a blocker needs a few words saying what blocks", field="text",
                           expected="a sentence or two")
    if len(stripped) > MAX_TEXT:
        raise InvalidInput(f"a blocker is at most {MAX_TEXT:,} characters (this one has "
                           f"{len(stripped):,}); say the gist, link the details", field="text",
                           expected=f"at most {MAX_TEXT:,} characters")
    return stripped
