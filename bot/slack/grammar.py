"""How the words after `/okr <subcommand>` are split: the command grammar lives at the Slack
edge, so the method's texts never mention a command. Pure (no Bolt, no database).

A mistake raises `InvalidInput` whose `expected` is the subcommand's usage with an example.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from bot.checkins.blocker_rules import parse_number
from bot.errors import InvalidInput

UPDATE_USAGE = ("expected: /okr update <key result or KPI> <value> [note], "
                "e.g. /okr update first-week-activation 14.5 shipped the tour")
ADD_USAGE = ("expected: /okr blocker add <objective, key result, KPI or activity> <what blocks "
             "it>, e.g. /okr blocker add onboarding-tours waiting on the design review "
             "(a name with spaces goes in quotes; - instead of a name raises a general blocker)")
RESOLVE_USAGE = ("expected: /okr blocker resolve <number> [note], e.g. /okr blocker resolve B-12 "
                 "design review done")

_QUOTES = "\"“”"


def first_word(text: str) -> tuple[str, str]:
    """The first word and the rest, split at any whitespace (Slack keeps typed newlines)."""
    parts = text.strip().split(maxsplit=1)
    if not parts:
        return "", ""
    return parts[0], parts[1] if len(parts) > 1 else ""


def _invalid(why: str, usage: str, field: str) -> InvalidInput:
    return InvalidInput(f"{why}; {usage}", field=field, expected=usage)


def split_target(text: str, *, usage: str) -> tuple[str, str]:
    """What a command names first, and the rest as typed: a key or key prefix without spaces,
    or a name in quotes ("First-week activation" or “…”). InvalidInput with `usage` when a
    quote is left open or runs into the next word."""
    rest = text.strip()
    if not (rest[:1] and rest[:1] in _QUOTES):
        return first_word(rest)
    end = min((i for i in (rest.find(q, 1) for q in _QUOTES) if i != -1), default=-1)
    if end == -1:
        raise _invalid("the name has no closing quote", usage, "item")
    target, rest = rest[1:end].strip(), rest[end + 1:]
    if rest[:1] and not rest[:1].isspace():
        raise _invalid("put a space after the quoted name", usage, "item")
    return target, rest.strip()


def split_update_args(text: str) -> tuple[str, str, str]:
    """Split the arguments of `/okr update <target> <value> [note]` into (target, value, note).

    The target is a key or key prefix without spaces, or a name in quotes ("First-week
    activation" or “…”). The value is the next word, with a lone "%" after it kept with it
    ("12.5 %"); the note is the rest, as typed. The value is read by the flow (parse_value).
    """
    target, rest = split_target(text, usage=UPDATE_USAGE)
    value, rest = first_word(rest)
    if not target or not value:
        missing = "value" if target else "key result or KPI"
        raise _invalid(f"missing {missing}", UPDATE_USAGE, "value" if target else "item")
    percent, after = first_word(rest)
    if percent == "%":
        value, rest = f"{value} %", after
    return target, value, rest.strip()


def split_add_args(text: str) -> tuple[str, str]:
    """`<item> <text>` → (item, text). The item is a key or key prefix, a name in quotes, or
    `-`; the text is the rest as typed."""
    target, rest = split_target(text, usage=ADD_USAGE)
    if not target:
        raise _invalid("say what is blocked and by what", ADD_USAGE, "item")
    if not rest.strip():
        raise _invalid(f"say what blocks “{target[:40]}”", ADD_USAGE, "text")
    return target, rest.strip()


def split_resolve_args(text: str) -> tuple[int, str]:
    """`<number> [note]` → (number, note)."""
    typed, note = first_word(text)
    if not typed:
        raise InvalidInput(f"which blocker? {RESOLVE_USAGE}", field="number",
                           expected=RESOLVE_USAGE)
    try:
        number = parse_number(typed)
    except InvalidInput as error:
        raise _invalid(error.message, RESOLVE_USAGE, "number") from None
    return number, note.strip()


OOO_USAGE = ("expected: /okr ooo <first day> [last day] [reason], e.g. /okr ooo 2026-12-24 "
             "2027-01-02 holidays (dates as YYYY-MM-DD, or today / tomorrow); /okr ooo off "
             "when you are back early")
_DAY_WORDS = {"today": 0, "tomorrow": 1}


def read_day(word: str, today: date) -> date | None:
    """A typed day: YYYY-MM-DD, `today` or `tomorrow`; None if the word is none of them."""
    lowered = word.lower()
    if lowered in _DAY_WORDS:
        return today + timedelta(days=_DAY_WORDS[lowered])
    try:
        return date.fromisoformat(word) if len(word) == 10 else None
    except ValueError:
        return None


def split_time_off(text: str, today: date) -> tuple[date, date, str]:
    """`<first day> [last day] [reason]` → (first, last, reason); one day alone is that day."""
    first_typed, rest = first_word(text)
    first = read_day(first_typed, today)
    if first is None:
        raise InvalidInput(f"“{first_typed[:40]}” is not a day; {OOO_USAGE}", field="dates",
                           expected=OOO_USAGE)
    second_typed, reason = first_word(rest)
    last = read_day(second_typed, today) if second_typed else None
    if last is None:
        return first, first, rest.strip()
    return first, last, reason.strip()


# A person as Slack writes a mention in a command's text: <@U024BE7LH> or <@U024BE7LH|name>.
MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
