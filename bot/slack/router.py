"""`/okr <subcommand> [args]`: parsing, the subcommand registry and "did you mean".

Pure: no Bolt, no database. Listeners look subcommands up here; help and the Home tab
render from the same registry, so what they document is exactly what answers.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class CommandRequest:
    """One `/okr` invocation, as a subcommand handler sees it."""

    args: str
    user_id: str
    team_id: str
    channel_id: str | None
    unit_of_work: Any  # bot.db.UnitOfWork; typed loosely to keep this module free of the database
    chains: Any  # the runtime's ChainCache (bot.okrs.store.cache), likewise
    # What one step of answering looked up and the next may reuse (the caller's workspace).
    memo: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def db_session(self) -> Any:
        return self.unit_of_work.session


# A handler answers a request with a slash-command reply payload (text, blocks, response_type).
Handler = Callable[[CommandRequest], dict]


@dataclass(frozen=True)
class Together:
    """How a subcommand answers the invocations that arrive together in one transaction
    (bot/slack/grouped.py): `applies(args)` says which invocations may, `answer(session,
    requests)` gives each its reply and whether it wrote, in order. Whatever one request got
    wrong is its own reply; an exception fails them all (each is then answered alone)."""

    applies: Callable[[str], bool]
    answer: Callable[[Any, list[CommandRequest]], list[tuple[dict, bool]]]


@dataclass(frozen=True)
class Subcommand:
    name: str
    summary: str
    usage: str
    example: str
    handler: Handler
    aliases: tuple[str, ...] = ()
    # Reads the workspace's causal chain and writes nothing: when the chain is not built yet,
    # the command is acknowledged first and answered through response_url
    # (bot/slack/listeners/commands.py); its reply may be re-run by Share in channel.
    reads_chain: bool = False
    # Writes nothing, whether or not it reads the chain (help): no request receipt to look up.
    only_says: bool = False
    # For a command that reads the chain but writes with some words (`summary … ` posts unless
    # `preview`): given the arguments, whether this invocation writes.
    writes_with: Callable[[str], bool] | None = None
    # Answered in groups (writes that arrive together share one transaction), if it applies.
    together: Together | None = None

    @property
    def writes_nothing(self) -> bool:
        return self.reads_chain or self.only_says


@dataclass(frozen=True)
class Route:
    """What `/okr <text>` resolved to: a subcommand with its argument text, or nothing."""

    typed: str
    args: str
    subcommand: Subcommand | None = None
    suggestion: Subcommand | None = None

    @property
    def writes(self) -> bool:
        """Whether this invocation may write (and so reads no chain, and has a receipt)."""
        sub = self.subcommand
        if sub is None:
            return False
        if sub.writes_with is not None and sub.writes_with(self.args):
            return True
        return not sub.writes_nothing

    @property
    def reads_chain(self) -> bool:
        return self.subcommand is not None and self.subcommand.reads_chain and not self.writes

    @property
    def together(self) -> Together | None:
        """How this invocation is answered with others that arrive with it, if it is."""
        together = self.subcommand.together if self.subcommand is not None else None
        return together if together is not None and together.applies(self.args) else None


@dataclass
class Router:
    """One per runtime (bot/slack/listeners/commands.py `build_router`)."""

    _subcommands: dict[str, Subcommand] = field(default_factory=dict)
    _aliases: dict[str, str] = field(default_factory=dict)

    def __deepcopy__(self, memo: dict[int, object]) -> Router:
        # Bolt deep-copies a request's context for its lazy listeners; the router is the
        # runtime's, never copied.
        return self

    def add(self, subcommand: Subcommand) -> None:
        for name in (subcommand.name, *subcommand.aliases):
            if name in self._subcommands or name in self._aliases:
                raise ValueError(f"/okr {name} is registered twice")
        self._subcommands[subcommand.name] = subcommand
        self._aliases.update(dict.fromkeys(subcommand.aliases, subcommand.name))

    def __iter__(self) -> Iterator[Subcommand]:
        return iter(self._subcommands.values())

    def resolve(self, text: str, *, default: str = "help") -> Route:
        # Any whitespace ends the subcommand's name: Slack keeps a newline typed after it.
        typed, args = [*text.strip().split(maxsplit=1), "", ""][:2]
        name = typed.lower() or default
        name = self._aliases.get(name, name)
        if name in self._subcommands:
            return Route(typed=typed, args=args.strip(), subcommand=self._subcommands[name])
        return Route(typed=typed, args=args.strip(), suggestion=self.closest(name))

    def closest(self, name: str) -> Subcommand | None:
        names = [*self._subcommands, *self._aliases]
        match = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
        if not match:
            return None
        return self._subcommands[self._aliases.get(match[0], match[0])]
