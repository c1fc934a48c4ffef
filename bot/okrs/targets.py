"""Finding what a person means by a name they typed: a key, a name, or a unique prefix. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Candidate(Generic[T]):
    key: str
    name: str
    item: T


@dataclass(frozen=True)
class Match(Generic[T]):
    found: T | None  # exactly one
    choices: tuple[Candidate[T], ...] = ()  # several fit: the person picks

    @property
    def ambiguous(self) -> bool:
        return self.found is None and len(self.choices) > 1


def resolve(typed: str, candidates: Sequence[Candidate[T]]) -> Match[T]:
    """Exact key, then exact name, then a unique prefix of a key or of a name (case-insensitive).
    Several prefix matches are returned as choices, closest first."""
    wanted = typed.strip().casefold()
    if not wanted:
        return Match(None)
    for exact in (lambda c: c.key.casefold() == wanted, lambda c: c.name.casefold() == wanted):
        hits = [c for c in candidates if exact(c)]
        if len(hits) == 1:
            return Match(hits[0].item, tuple(hits))
    prefixed = [c for c in candidates
                if c.key.casefold().startswith(wanted) or c.name.casefold().startswith(wanted)
                or any(word.startswith(wanted) for word in c.name.casefold().split())]
    if len(prefixed) == 1:
        return Match(prefixed[0].item, tuple(prefixed))
    prefixed.sort(key=lambda c: (len(c.key), c.key))
    return Match(None, tuple(prefixed))


LIKE_ESCAPE = "\\"


def like_escaped(typed: str) -> str:
    """The text with SQL LIKE's wildcards (and the escape character) taken literally, for
    prefix queries that narrow the candidates before `resolve` picks among them."""
    return typed.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
