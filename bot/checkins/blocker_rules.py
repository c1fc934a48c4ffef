"""Blockers as people see them: their number, what they block, the order they are listed in,
and how the arguments of `/okr blocker add` and `resolve` are read. Pure.

A blocker's number counts up per workspace and is shown as `B-12`; people may type it back as
`B-12`, `b12`, `#12` or `12`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.okrs.method.chain import LABELS, NodeId, NodeKind
from bot.okrs.method.enums import Source
from bot.okrs.method.typed_values import first_word, split_target

PREFIX = "B-"
MAX_TEXT = 2000  # a blocker is a sentence or two; check-in forms use the same cap
GENERAL = "-"  # typed instead of an item: a blocker on nothing in particular

ADD_USAGE = ("expected: /okr blocker add <objective, key result, KPI or activity> <what blocks "
             "it>, e.g. /okr blocker add onboarding-tours waiting on the design review "
             "(a name with spaces goes in quotes; - instead of a name raises a general blocker)")
RESOLVE_USAGE = "expected: /okr blocker resolve <number> [note], e.g. /okr blocker resolve B-12 " \
                "design review done"

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


def label(number: int) -> str:
    return f"{PREFIX}{number}"


def parse_number(typed: str) -> int:
    """`B-12`, `b12`, `#12` or `12` → 12; ValueError saying what is expected otherwise."""
    match = _NUMBER.fullmatch(typed.strip())
    if match is None or int(match[1]) == 0:
        shown = typed.strip()[:40] or "nothing"
        raise ValueError(f"“{shown}” is not a blocker number; {RESOLVE_USAGE}")
    return int(match[1])


def holds_back(entry: BlockerEntry) -> int:
    return HOLDS_BACK[entry.item.kind] if entry.item is not None else GENERAL_RANK


def ordered(entries: Iterable[BlockerEntry]) -> list[BlockerEntry]:
    """What they hold back (objective, key result, activity, KPI, general), then oldest first."""
    return sorted(entries, key=lambda e: (holds_back(e), e.created_at, e.number))


def split_add_args(text: str) -> tuple[str, str]:
    """`<item> <text>` → (item, text). The item is a key or key prefix, a name in quotes, or
    `-`; the text is the rest as typed. ValueError with the expected form when one is missing."""
    target, rest = split_target(text, usage=ADD_USAGE)
    if not target:
        raise ValueError(f"say what is blocked and by what; {ADD_USAGE}")
    if not rest.strip():
        raise ValueError(f"say what blocks “{target[:40]}”; {ADD_USAGE}")
    return target, rest.strip()


def split_resolve_args(text: str) -> tuple[int, str]:
    """`<number> [note]` → (number, note)."""
    typed, note = first_word(text)
    if not typed:
        raise ValueError(f"which blocker? {RESOLVE_USAGE}")
    return parse_number(typed), note.strip()


def check_text(text: str) -> str:
    """The blocker's words, stripped; ValueError when empty or longer than MAX_TEXT."""
    stripped = text.strip()
    if not stripped:
        raise ValueError("a blocker needs a few words saying what blocks")
    if len(stripped) > MAX_TEXT:
        raise ValueError(f"a blocker is at most {MAX_TEXT:,} characters (this one has "
                         f"{len(stripped):,}); say the gist, link the details")
    return stripped
