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


class Lookup(Generic[T]):
    """Candidates prepared once (case-folded keys, names and name words) for many `resolve`s:
    a cached chain's thousand objectives are matched without folding each one per command."""

    def __init__(self, candidates: Sequence[Candidate[T]]) -> None:
        self._entries = [(c, c.key.casefold(), c.name.casefold(),
                          tuple(c.name.casefold().split())) for c in candidates]
        self._by_key: dict[str, list[Candidate[T]]] = {}
        self._by_name: dict[str, list[Candidate[T]]] = {}
        for candidate, key, name, _ in self._entries:
            self._by_key.setdefault(key, []).append(candidate)
            self._by_name.setdefault(name, []).append(candidate)

    def resolve(self, typed: str) -> Match[T]:
        """Exact key, then exact name, then a unique prefix of a key, a name or a word of the
        name (case-insensitive). Several prefix matches come back as choices, closest first."""
        wanted = typed.strip().casefold()
        if not wanted:
            return Match(None)
        for exact in (self._by_key.get(wanted, []), self._by_name.get(wanted, [])):
            if len(exact) == 1:
                return Match(exact[0].item, tuple(exact))
        prefixed = [c for c, key, name, words in self._entries
                    if key.startswith(wanted) or name.startswith(wanted)
                    or any(word.startswith(wanted) for word in words)]
        if len(prefixed) == 1:
            return Match(prefixed[0].item, tuple(prefixed))
        prefixed.sort(key=lambda c: (len(c.key), c.key))
        return Match(None, tuple(prefixed))


def resolve(typed: str, candidates: Sequence[Candidate[T]]) -> Match[T]:
    """Exact key, then exact name, then a unique prefix of a key or of a name (case-insensitive).
    Several prefix matches are returned as choices, closest first."""
    return Lookup(candidates).resolve(typed)


LIKE_ESCAPE = "\\"


def like_escaped(typed: str) -> str:
    """The text with SQL LIKE's wildcards (and the escape character) taken literally, for
    prefix queries that narrow the candidates before `resolve` picks among them."""
    return typed.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
