"""The HTTP endpoint as Slack uses it: signed requests to /slack/events, and /healthz."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from bot.db import make_engine
from bot.people.models import Workspace
from bot.slack.models import SlackEventReceipt
from bot.slack.server import create_web_app
from tests.conftest import SIGNING_SECRET, sqlite_only
from tests.fakes.web_api_contract import validate_blocks
from tests.slack.conftest import RunningBot
from tests.support.server import get, serving


def block_text(blocks: list[dict]) -> str:
    """Every piece of text in a list of blocks, as one string (what a person reads)."""
    parts: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                parts.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(blocks)
    return "\n".join(parts)


@sqlite_only  # transport: the backend does not matter
def test_okr_help_is_acknowledged_fast_with_valid_ephemeral_blocks(bot: RunningBot) -> None:
    reply = bot.slack.command("help")

    assert reply.status == 200
    assert reply.elapsed < 3, "Slack gives up on a slash command after 3 seconds"
    assert reply.headers["content-type"].startswith("application/json")
    assert reply.json["response_type"] == "ephemeral"
    assert validate_blocks(reply.json["blocks"]) == []
    shown = block_text(reply.json["blocks"])
    assert "/okr help" in shown
    assert "Lists every okr-bot command" in shown
    assert "/okr update &lt;key result or KPI&gt; &lt;value&gt; [note]" in shown
    assert "<key result" not in reply.body, "a raw <placeholder> is read as a link by Slack"


@sqlite_only  # transport: the backend does not matter
def test_bare_okr_shows_help(bot: RunningBot) -> None:
    reply = bot.slack.command("")
    assert reply.status == 200
    assert "okr-bot commands" in block_text(reply.json["blocks"])


@sqlite_only  # transport: the backend does not matter
def test_unknown_subcommand_gets_help_with_did_you_mean(bot: RunningBot) -> None:
    reply = bot.slack.command("hlep me")

    assert reply.status == 200
    assert validate_blocks(reply.json["blocks"]) == []
    first = reply.json["blocks"][0]["text"]["text"]
    assert "I don't know `/okr hlep`" in first
    assert "Did you mean `/okr help`?" in first
    assert "/okr help" in block_text(reply.json["blocks"][1:])


@sqlite_only  # transport: the backend does not matter
def test_unknown_subcommand_text_is_escaped(bot: RunningBot) -> None:
    reply = bot.slack.command("<!channel>&<@U0BOSS>")

    first = reply.json["blocks"][0]["text"]["text"]
    assert "&lt;!channel&gt;&amp;&lt;@U0BOSS&gt;" in first
    assert "<!channel>" not in reply.body


def count(bot: RunningBot, model: type) -> int:
    with bot.session_factory() as session:
        return session.scalar(select(func.count()).select_from(model))


@sqlite_only  # transport: the backend does not matter
def test_bad_signature_is_refused_and_changes_nothing(bot: RunningBot) -> None:
    calls_before = len(bot.fake.calls)
    event = {"type": "app_uninstalled"}

    forged = bot.slack.event(event, signing_secret="not-" + SIGNING_SECRET)
    forged_command = bot.slack.command("help", signing_secret="wrong")

    assert forged.status == 401
    assert forged_command.status == 401
    assert forged_command.json is None or "blocks" not in forged_command.json
    assert count(bot, SlackEventReceipt) == 0
    assert count(bot, Workspace) == 0
    assert len(bot.fake.calls) == calls_before


@sqlite_only  # transport: the backend does not matter
def test_stale_timestamp_is_refused_and_changes_nothing(bot: RunningBot) -> None:
    six_minutes_ago = int(time.time()) - 6 * 60
    stale = bot.slack.event({"type": "app_uninstalled"}, timestamp=six_minutes_ago)

    assert stale.status == 401
    assert count(bot, SlackEventReceipt) == 0
    assert count(bot, Workspace) == 0


@sqlite_only  # transport: the backend does not matter
def test_unsigned_request_is_refused(bot: RunningBot) -> None:
    assert bot.slack.command("help", sign=False).status == 401


@sqlite_only  # transport: the backend does not matter
def test_url_verification_echoes_the_challenge(bot: RunningBot) -> None:
    reply = bot.slack.url_verification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")

    assert reply.status == 200
    assert reply.json == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}


def test_healthz_reports_a_reachable_database(bot: RunningBot) -> None:
    reply = get(f"{bot.url}/healthz")

    assert reply.status == 200
    assert reply.json["status"] == "ok"
    assert reply.json["database"] == "reachable"
    assert reply.json["mode"] == "http"


def test_healthz_answers_503_when_the_database_is_unreachable() -> None:
    # A PostgreSQL URL whose port nothing listens on, as after the server went away.
    from tests.support.postgres import free_port

    engine = make_engine(f"postgresql+psycopg://okr:okr@127.0.0.1:{free_port()}/okr",
                         connect_args={"connect_timeout": 2})
    try:
        with serving(create_web_app(engine=engine, bolt_app=None)) as url:
            reply = get(f"{url}/healthz")
    finally:
        engine.dispose()

    assert reply.status == 503
    assert reply.json == {"status": "unavailable", "database": "unreachable",
                          "mode": "http", "version": reply.json["version"],
                          "now": reply.json["now"]}
    assert "okr" not in reply.body.replace("okr-bot", ""), "no credentials in the answer"


def test_healthz_turns_503_when_the_sqlite_file_is_replaced_by_an_empty_one(tmp_path) -> None:
    from bot import schema

    database = tmp_path / "okr-bot.db"
    schema.upgrade(f"sqlite:///{database}")
    engine = make_engine(f"sqlite:///{database}")
    try:
        with serving(create_web_app(engine=engine, bolt_app=None)) as url:
            assert get(f"{url}/healthz").status == 200
            engine.dispose()  # drop pooled connections, as a restarted worker would
            for leftover in tmp_path.glob("okr-bot.db*"):
                leftover.unlink()
            # SQLite now creates an empty file on connect: reachable, but not our database.
            assert get(f"{url}/healthz").status == 503
    finally:
        engine.dispose()


@sqlite_only  # transport: the backend does not matter
def test_an_oversized_body_is_refused_before_it_is_read(bot: RunningBot) -> None:
    declared = bot.slack.post(b"x", {"Content-Length": "5000000"}, sign=False)
    assert declared.status == 413


@sqlite_only  # transport: the backend does not matter
def test_non_utf8_body_is_refused_cleanly(bot: RunningBot) -> None:
    assert bot.slack.post(b"\xff\xfe\xfa").status == 400
