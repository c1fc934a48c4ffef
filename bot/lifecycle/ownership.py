"""Which rows of every table belong to one Slack workspace: what an export writes and a purge
deletes. Derived from the schema itself, so a table added later is covered without an edit here
unless it is keyed by a Slack team id instead of a `workspace_id`:

- `workspaces` itself, by `slack_team_id`;
- a table with a `workspace_id` column;
- a table keyed by the Slack team id (named in `BY_SLACK_TEAM`: the outbox, the receipts);
- a table whose rows hang off one of those through foreign keys (measurements under metrics,
  memberships under people): followed, shortest path first.

A table that is none of these makes `owned_rows` raise, and tests/lifecycle checks every table
of the schema, so a new table cannot slip out of exports and purges unnoticed.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from sqlalchemy import ForeignKey, Select, Table, select

from bot.db import Base

WORKSPACES = "workspaces"
# Tables that name their workspace by Slack team id (they are written before, or without, a
# workspaces row), and the column that holds it.
BY_SLACK_TEAM: dict[str, str] = {
    "outbox_messages": "team_id",
    "outbox_pacing": "team_id",
    "slack_dm_channels": "team_id",
    "slack_event_receipts": "slack_team_id",
    "slack_request_receipts": "slack_team_id",
    # An org-wide install's row has no team: it is the Enterprise Grid org's, belongs to none
    # of its workspaces, and goes with the org's uninstall (flows.org_uninstalled).
    "slack_installations": "slack_team_id",
}
# Tables that hold secrets (tokens): purged with the workspace, never exported.
NEVER_EXPORTED: frozenset[str] = frozenset({"slack_installations"})
# Columns left out of an export though their table is in it: a token's hash is not the token,
# but a leaked export should not even help test guesses against it.
SECRET_COLUMNS: dict[str, frozenset[str]] = {"api_tokens": frozenset({"token_hash"})}
# Tables whose rows belong to no workspace and are left alone: an OAuth state is handed to a
# browser before anyone knows which workspace it will install into (and expires in minutes);
# a process's heartbeat is the deployment's.
NOT_A_WORKSPACES: frozenset[str] = frozenset({"slack_oauth_states", "processes"})


class Unowned(Exception):
    """A table with no way to its workspace: a schema change this module must learn about."""


def tables() -> Iterator[Table]:
    """Every table of the schema that belongs to workspaces, parents before children."""
    for table in Base.metadata.sorted_tables:
        if table.name not in NOT_A_WORKSPACES:
            yield table


def owned_rows(table: Table, slack_team_id: str) -> Select:
    """SELECT the rows of `table` that belong to the workspace of `slack_team_id`."""
    workspaces = Base.metadata.tables[WORKSPACES]
    if table.name == WORKSPACES:
        return select(table).where(table.c.slack_team_id == slack_team_id)
    if table.name in BY_SLACK_TEAM:
        return select(table).where(table.c[BY_SLACK_TEAM[table.name]] == slack_team_id)
    path = _path_to_workspace(table)
    query = select(table)
    child = table
    for key in path:
        parent = key.column.table
        query = query.join(parent, key.parent == key.column)
        child = parent
    return query.join(workspaces, child.c.workspace_id == workspaces.c.id).where(
        workspaces.c.slack_team_id == slack_team_id)


def _path_to_workspace(table: Table) -> list[ForeignKey]:
    """The shortest chain of foreign keys from `table` to a table with a `workspace_id`."""
    seen = {table.name}
    waiting: deque[tuple[Table, list[ForeignKey]]] = deque([(table, [])])
    while waiting:
        here, path = waiting.popleft()
        if "workspace_id" in here.c:
            return path
        # Only keys that delete with their parent: a SET NULL key says "used to belong to".
        for key in sorted(here.foreign_keys, key=lambda k: k.parent.name):
            parent = key.column.table
            if key.ondelete == "CASCADE" and parent.name not in seen:
                seen.add(parent.name)
                waiting.append((parent, [*path, key]))
    raise Unowned(f"table {table.name} has no workspace_id, no Slack team id column named in "
                  "bot/lifecycle/ownership.py and no cascading foreign key to a table with one")
