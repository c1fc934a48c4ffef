"""The seams the layout promises: Block Kit builders and the pure method reach no database
code and the method no Slack code, directly or through anything they import."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _source(module: str) -> Path | None:
    for candidate in (ROOT / f"{module.replace('.', '/')}.py",
                      ROOT / module.replace(".", "/") / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


@cache
def _imports(module: str) -> frozenset[str]:
    """What a module of ours imports, with `from package import module` read as the module."""
    path = _source(module)
    if path is None:
        return frozenset()
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names
                      if _source(f"{node.module}.{alias.name}")}
    return frozenset(found)


def _forbidden_path(start: str, forbidden: tuple[str, ...]) -> list[str] | None:
    """The import path from `start` to the first forbidden module, or None."""
    parent: dict[str, str] = {}
    stack, seen = [start], {start}
    while stack:
        module = stack.pop()
        for imported in sorted(_imports(module)):
            if imported in seen:
                continue
            seen.add(imported)
            parent[imported] = module
            if any(imported == f or imported.startswith(f"{f}.") for f in forbidden) \
                    or (imported.startswith("bot.") and imported.endswith(".models")):
                path = [imported]
                while path[-1] in parent:
                    path.append(parent[path[-1]])
                return path[::-1]
            if imported.startswith("bot.") or imported == "bot":
                stack.append(imported)
    return None


def _modules(folder: str) -> list[str]:
    return sorted(".".join(p.relative_to(ROOT).with_suffix("").parts)
                  for p in (ROOT / folder).rglob("*.py"))


DATABASE = ("sqlalchemy", "bot.db", "alembic")
SLACK = ("slack_bolt", "slack_sdk", "bot.slack")


@pytest.mark.parametrize("module", _modules("bot/slack/blocks"))
def test_block_builders_reach_no_database_code(module: str) -> None:
    assert _forbidden_path(module, DATABASE) is None, " → ".join(
        _forbidden_path(module, DATABASE) or [])


@pytest.mark.parametrize("module", _modules("bot/okrs/method") + _modules("bot/okrs/plans"))
def test_the_method_reaches_neither_the_database_nor_slack(module: str) -> None:
    path = _forbidden_path(module, DATABASE + SLACK)
    assert path is None, " → ".join(path or [])


def test_the_walk_finds_what_it_looks_for() -> None:
    """A positive control: the walker does see database code where there is some."""
    assert _forbidden_path("bot.okrs.store.measurements", DATABASE) is not None
    assert _forbidden_path("bot.slack.subcommands.update", DATABASE) is not None
    assert _forbidden_path("bot.slack.subcommands.status", SLACK) is not None
    assert _modules("bot/slack/blocks") and _modules("bot/okrs/method")


def _direct_database_imports(module: str) -> list[str]:
    """Tables and query building a module imports itself. Opening a session (bot.db) and
    catching the database's errors (sqlalchemy.exc) are a surface's business; querying is not."""
    return sorted(i for i in _imports(module)
                  if (i.startswith("bot.") and i.endswith(".models"))
                  or (i.split(".")[0] == "sqlalchemy" and i != "sqlalchemy.exc"))


@pytest.mark.parametrize("module", _modules("bot/slack/subcommands") + _modules("bot/cli"))
def test_handlers_query_nothing_themselves(module: str) -> None:
    """A subcommand or a CLI command parses, calls a flow and renders: the flow queries."""
    assert _direct_database_imports(module) == []


def test_the_direct_check_sees_a_query_where_there_is_one() -> None:
    assert _direct_database_imports("bot.okrs.flows")  # flows are where the queries are


MAX_LINES = 400  # a module past this is two modules (migrations aside: generated history)


def test_no_module_is_over_400_lines() -> None:
    long = {str(path.relative_to(ROOT)): lines
            for folder in ("bot", "bench", "tests")
            for path in (ROOT / folder).rglob("*.py")
            if (lines := len(path.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def _cycle_from(start: str, within: str) -> list[str] | None:
    """An import path from `start` back to itself through modules under `within`, or None
    (imports inside functions count: a cycle hidden in one is still a cycle)."""
    def walk(module: str, path: list[str]) -> list[str] | None:
        for imported in sorted(_imports(module)):
            if imported == start:
                return [*path, imported]
            if imported.startswith(f"{within}.") and imported not in path:
                found = walk(imported, [*path, imported])
                if found:
                    return found
        return None

    return walk(start, [start])


@pytest.mark.parametrize("module", _modules("bot/okrs/method"))
def test_the_method_imports_in_one_direction(module: str) -> None:
    """The chain, its diagnosis and the explanations import one way (chain ← explanations ←
    diagnosis), with no name looked up late to hide a cycle."""
    path = _cycle_from(module, "bot.okrs.method")
    assert path is None, " → ".join(path or [])
