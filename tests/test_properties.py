"""Properties that must hold for any input: escaping, truncation, logfmt, routing."""

from __future__ import annotations

import re

from hypothesis import example, given
from hypothesis import strategies as st

from bot.logs import kv, logfmt_value
from bot.slack.blocks.mrkdwn import escape, truncate
from bot.slack.listeners.commands import build_router

ENTITY = re.compile(r"&(amp|lt|gt);")


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


@given(st.text())
def test_escaped_text_has_no_mrkdwn_control_characters_and_round_trips(text: str) -> None:
    safe = escape(text)
    assert "<" not in safe
    assert ">" not in safe
    assert ENTITY.sub("", safe).count("&") == 0, "every & starts an entity"
    assert unescape(safe) == text


@given(st.text(), st.integers(min_value=10, max_value=3000))
def test_truncated_escaped_text_fits_and_never_ends_mid_entity(text: str, limit: int) -> None:
    cut = truncate(escape(text), limit)
    assert len(cut) <= limit
    body = cut.removesuffix("…")
    assert ENTITY.sub("", body).count("&") == 0


@given(st.dictionaries(st.from_regex(r"[a-z_]{1,12}", fullmatch=True), st.text(), max_size=5))
def test_logfmt_lines_stay_on_one_line(fields: dict[str, str]) -> None:
    line = kv(**fields)
    assert "\n" not in line
    for key, value in fields.items():
        assert f"{key}={logfmt_value(value)}" in line


@given(st.text())
@example("0\n")  # a `$`-anchored pattern once let a trailing newline through unquoted
@example("ok\r")
def test_logfmt_values_carry_no_control_characters(text: str) -> None:
    rendered = logfmt_value(text)
    assert not any(ord(c) < 32 or ord(c) == 127 for c in rendered)


ROUTER = build_router()  # as each runtime builds its own
NAMES = {sub.name for sub in ROUTER} | {alias for sub in ROUTER for alias in sub.aliases}


# Random text, and real names (any case) followed by any whitespace and anything.
COMMAND_TEXT = st.one_of(
    st.text(),
    st.builds(lambda name, upper, gap, rest: f"{name.upper() if upper else name}{gap}{rest}",
              st.sampled_from(sorted(NAMES)), st.booleans(),
              st.sampled_from([" ", "\n", "\t", "  "]), st.text()))


@given(COMMAND_TEXT)
def test_any_command_text_routes_to_its_subcommand_or_gets_help(text: str) -> None:
    route = ROUTER.resolve(text)
    words = text.split(maxsplit=1)
    typed = words[0].lower() if words else ""
    if typed == "" or typed in NAMES:
        assert route.subcommand is not None
        assert typed in ("", route.subcommand.name, *route.subcommand.aliases)
    else:
        assert route.subcommand is None, "unknown input never runs a subcommand"
        assert route.suggestion is None or route.suggestion in list(ROUTER)
