"""manifest.yml: valid against Slack's schema, and in step with the listeners both ways."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from bot.slack.listeners import register_listeners
from tests.contracts import MANIFEST_SCHEMA
from tests.slack.conftest import RunningBot

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = MANIFEST_SCHEMA


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "manifest.yml").read_text())


def schema_errors(manifest: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft7Validator(json.loads(SCHEMA.read_text()))
    return [f"{'.'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(manifest)]


def test_manifest_is_valid_against_slacks_schema(manifest: dict[str, Any]) -> None:
    assert schema_errors(manifest) == []


@pytest.mark.parametrize(("path", "value"), [
    (("display_information", "name"), "x" * 36),
    (("features", "slash_commands", 0, "description"), 12),
    (("settings", "event_subscriptions", "bot_events"), "app_home_opened"),
])
def test_the_schema_check_catches_a_broken_manifest(manifest: dict[str, Any], path: tuple,
                                                    value: object) -> None:
    broken = copy.deepcopy(manifest)
    node = broken
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    assert schema_errors(broken) != []


class RecordingApp:
    """Stands in for Bolt's App to list what register_listeners registers, by surface."""

    def __init__(self) -> None:
        self.registered: dict[str, list[object]] = {}

    def __getattr__(self, surface: str):
        def register(key: object, *args: object, **kwargs: object):
            self.registered.setdefault(surface, []).append(key)
            return lambda *a, **k: None
        return register


def test_every_registered_listener_is_in_the_manifest(manifest: dict[str, Any]) -> None:
    app = RecordingApp()
    register_listeners(app)  # type: ignore[arg-type]

    commands = {c["command"] for c in manifest["features"]["slash_commands"]}
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert set(app.registered.pop("command")) == commands
    assert set(app.registered.pop("event")) == events
    # Interactivity listeners need interactivity switched on.
    if app.registered.keys() & {"action", "view", "shortcut", "options"}:
        assert manifest["settings"]["interactivity"]["is_enabled"] is True


def test_every_manifest_event_reaches_a_listener(bot: RunningBot,
                                                 manifest: dict[str, Any]) -> None:
    for event_type in manifest["settings"]["event_subscriptions"]["bot_events"]:
        reply = bot.slack.event({"type": event_type, "user": "U0ALICE", "tab": "messages"})
        assert reply.status == 200, f"{event_type} is not handled (Slack would retry it)"
    # and the check can tell: an event nobody subscribed to is not handled
    assert bot.slack.event({"type": "reaction_added", "user": "U0ALICE"}).status == 404


def test_every_manifest_command_reaches_a_listener(bot: RunningBot,
                                                   manifest: dict[str, Any]) -> None:
    for command in manifest["features"]["slash_commands"]:
        assert bot.slack.command("help", command=command["command"]).status == 200
    assert bot.slack.command("help", command="/not-ours").status == 404


def test_usage_hint_names_every_subcommand(bot: RunningBot, manifest: dict[str, Any]) -> None:
    hint = manifest["features"]["slash_commands"][0]["usage_hint"]
    for subcommand in bot.runtime.router:
        assert re.search(rf"\b{re.escape(subcommand.name)}\b", hint), subcommand.name


def test_request_urls_point_at_the_one_endpoint_with_a_marked_placeholder(
        manifest: dict[str, Any]) -> None:
    urls = [c["url"] for c in manifest["features"]["slash_commands"]]
    urls += [manifest["settings"]["event_subscriptions"]["request_url"],
             manifest["settings"]["interactivity"]["request_url"]]
    assert {url.split("/", 3)[3] for url in urls} == {"slack/events"}
    assert all("your-okr-bot-host.example.com" in url for url in urls)


def test_readme_explains_every_scope(manifest: dict[str, Any]) -> None:
    readme = (ROOT / "README.md").read_text()
    scopes_section = readme.split("### Scopes", 1)[1].split("\n## ", 1)[0]
    for scope in manifest["oauth_config"]["scopes"]["bot"]:
        assert f"`{scope}`" in scopes_section, f"README does not say why {scope} is needed"


def test_app_home_tab_is_on(manifest: dict[str, Any]) -> None:
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["settings"]["interactivity"]["is_enabled"] is True


# Check-ins, alerts, the team digests and the managers' DMs are built; installing in many
# workspaces and the measurements API are not yet (issue 11): the product text must not
# promise them (a new user once looked for what was promised).
UNBUILT = re.compile(r"oauth|workspaces|measurements api|prometheus", re.IGNORECASE)


def test_manifest_descriptions_promise_only_what_is_built(manifest: dict[str, Any]) -> None:
    assert "check-in DM" in manifest["display_information"]["long_description"]
    info = manifest["display_information"]
    command = manifest["features"]["slash_commands"][0]
    for text in (info["description"], info["long_description"], command["description"],
                 command["usage_hint"]):
        assert not UNBUILT.search(text), text


def test_help_and_home_tab_promise_only_what_is_built(bot: RunningBot) -> None:
    bot.fake.add_user("U0ALICE", real_name="Alice", tz="Europe/Berlin",
                      profile={"display_name": "alice", "real_name": "Alice"})

    help_reply = bot.slack.command("help")
    bot.slack.event({"type": "app_home_opened", "user": "U0ALICE", "tab": "home"})
    home = bot.fake.wait_for("views.publish")[0].params["view"]

    help_text = json.dumps(help_reply.json)
    home_text = json.dumps(home)
    assert "/okr status" in help_text and "/okr status" in home_text
    assert "Europe/Berlin" in home_text
    assert not UNBUILT.search(help_text), UNBUILT.search(help_text)
    assert not UNBUILT.search(home_text), UNBUILT.search(home_text)
