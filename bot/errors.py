"""Errors a person can act on, raised by flows and mapped to words in one place per surface.

Each names what went wrong in the method's terms and what was expected; none mentions a
command's syntax (`/okr …`, `okr-bot …`): each surface adds its own usage
(`bot/slack/problems.py` for Slack replies and modal fields, `bot/cli/text.py` for the CLI).
Anything else that escapes a flow is a bug, logged with a reference and apologised for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


class DomainError(Exception):
    """A user's mistake or a state they can change; its message is shown to them as is."""

    #: The CLI exits with 1 for every one of them (2 is argparse's own "usage").
    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(DomainError):
    """A value that is not what the field expects. `field` names the input (a modal's block id
    is the same name), `expected` says what would be accepted."""


    def __init__(self, message: str, *, field: str = "", expected: str = "") -> None:
        super().__init__(message)
        self.field = field
        self.expected = expected


class InvalidFields(InvalidInput):
    """Several fields of one form are wrong at once (a modal shows each under its field):
    `errors` maps each field to what is wrong with it. Nothing of the form was saved."""

    def __init__(self, errors: dict[str, str]) -> None:
        first_field, first = next(iter(errors.items()))
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"{first}{more}", field=first_field)
        self.errors = dict(errors)


class NotFound(DomainError):
    """Nothing of `kind` is called `typed`."""


    def __init__(self, message: str, *, kind: str = "", typed: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.typed = typed


@dataclass(frozen=True)
class Choice:
    """One of several things a typed name could mean."""

    key: str
    name: str
    item: Any = field(default=None, compare=False)
    label: str = ""  # what kind of thing it is, when the choices mix kinds ("Key result")


class Ambiguous(DomainError):
    """Several things fit what was typed (or nothing was typed and several are candidates):
    the person picks one of `choices`."""


    def __init__(self, message: str, *, typed: str, choices: Sequence[Choice],
                 kind: str = "") -> None:
        super().__init__(message)
        self.typed = typed
        self.choices = list(choices)
        self.kind = kind


class NotAllowed(DomainError):
    """The person may not do this; `owner` (a Slack user id) is whose it is, if anyone's."""


    def __init__(self, message: str, *, owner: str | None = None, item: str = "") -> None:
        super().__init__(message)
        self.owner = owner
        self.item = item


class NoPlan(DomainError):
    """The Slack team that asked has no plan; `others` are the teams that have one."""


    def __init__(self, team_id: str, others: Sequence[str]) -> None:
        super().__init__(no_plan_text(team_id, list(others)))
        self.team_id = team_id
        self.others = list(others)


# Shown at most this many other teams: a list of every install helps no one.
TEAMS_SHOWN = 5


def no_plan_text(team_id: str, others: list[str]) -> str:
    """Why there is nothing to show, naming the team that asked: a plan imported under another
    team id (a typo, a test workspace) otherwise looks exactly like no plan at all."""
    import_hint = f"set `workspace: {team_id}` in the plan file and import it"
    if not others:
        return (f"No plan for this Slack team ({team_id}) yet: {import_hint} with "
                "`okr-bot plan import` (see docs/plan-format.md).")
    shown = ", ".join(others[:TEAMS_SHOWN])
    if len(others) > TEAMS_SHOWN:
        shown += f" and {len(others) - TEAMS_SHOWN} more"
    has = "a plan" if len(others) == 1 else "plans"
    return (f"No plan for this Slack team ({team_id}). The database has {has} for {shown}: "
            f"{import_hint} again with `okr-bot plan import`.")
