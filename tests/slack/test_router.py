"""Subcommand routing and "did you mean", and mrkdwn escaping: pure functions."""

from __future__ import annotations

import pytest

from bot.slack.blocks.mrkdwn import escape, truncate
from bot.slack.listeners.commands import build_router
from bot.slack.router import Router, Subcommand


def noop(request):  # pragma: no cover - never called
    return {}


def router() -> Router:
    router = Router()
    for name in ("status", "tree", "why", "help"):
        router.add(Subcommand(name, f"{name} summary", f"/okr {name}", f"/okr {name}", noop))
    return router


@pytest.mark.parametrize(("typed", "expected"), [
    ("stauts", "status"), ("STATUS", "status"), ("tre", "tree"), ("hepl", "help"),
])
def test_close_typos_resolve_to_a_suggestion(typed: str, expected: str) -> None:
    route = router().resolve(f"{typed} onboarding")
    if typed.lower() == expected:
        assert route.subcommand is not None and route.subcommand.name == expected
        assert route.args == "onboarding"
    else:
        assert route.subcommand is None
        assert route.suggestion is not None and route.suggestion.name == expected


def test_far_off_input_has_no_suggestion() -> None:
    assert router().resolve("xyzzy").suggestion is None


def test_empty_text_means_help() -> None:
    route = router().resolve("   ")
    assert route.subcommand is not None and route.subcommand.name == "help"


@pytest.mark.parametrize("text", ["tree\nonboarding  tours", "tree\tonboarding  tours",
                                  "  tree   onboarding  tours  "])
def test_any_whitespace_ends_the_subcommands_name(text: str) -> None:
    route = router().resolve(text)
    assert route.subcommand is not None and route.subcommand.name == "tree"
    assert route.args == "onboarding  tours"


def test_a_name_cannot_be_registered_twice() -> None:
    r = router()
    with pytest.raises(ValueError, match="twice"):
        r.add(Subcommand("tree", "", "", "", noop))


def test_aliases_route_to_their_subcommand() -> None:
    route = build_router().resolve("?")
    assert route.subcommand is not None and route.subcommand.name == "help"


@pytest.mark.parametrize(("raw", "safe"), [
    ("<!channel>", "&lt;!channel&gt;"),
    ("<!here|here>", "&lt;!here|here&gt;"),
    ("<https://evil.example|https://okr.example>", "&lt;https://evil.example|https://okr.example&gt;"),
    ("R&D", "R&amp;D"),
    ("&lt;", "&amp;lt;"),
])
def test_escape_neutralises_mrkdwn_control_characters(raw: str, safe: str) -> None:
    assert escape(raw) == safe


def test_truncate_keeps_within_the_limit_without_splitting_an_escape() -> None:
    text = "a" * 2996 + "&amp;" + "b" * 10
    cut = truncate(text, 3000)
    assert len(cut) <= 3000
    assert cut.endswith("…")
    assert not cut.rstrip("…").endswith(("&", "&a", "&am", "&amp"))
