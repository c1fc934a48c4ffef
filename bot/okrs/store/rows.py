"""Grouping rows read in one query by a column, as the loader and the exporter both do."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from typing import Any


def grouped(rows: Iterable[Any], key: Callable[[Any], Hashable], *,
            by_position: bool = False) -> dict[Any, list[Any]]:
    """Rows by `key(row)`; with `by_position`, each group in its plan order (`position`)."""
    groups: dict[Any, list[Any]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    if by_position:
        for items in groups.values():
            items.sort(key=lambda r: getattr(r, "position", 0))
    return groups
