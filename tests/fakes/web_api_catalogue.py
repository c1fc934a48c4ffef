"""Which Slack Web API methods exist and what parameters each takes.

The catalogue is the union of two imperfect sources (see ../shared/slack/README.md):
the October 2020 OpenAPI spec (stale: no `apps.connections.open`, no `markdown_text`, ...) and
the installed `slack_sdk.WebClient` (current, but silent about most required parameters).
A parameter is known if either names it, required if either requires it, and a few cases
neither can express (such as "text or blocks") are overridden by hand. Without the spec (a
clone on its own has no ../shared) slack_sdk and the overrides alone make the catalogue.
"""

from __future__ import annotations

import ast
import inspect
import json
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from slack_sdk import WebClient
from slack_sdk.version import __version__ as SDK_VERSION

SHARED_SLACK_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "slack"
SPEC_NAME = "slack_web_openapi_v2_without_examples.json"
SPEC_DIR_VARIABLE = "OKR_BOT_SLACK_SPEC_DIR"
# WebClient arguments that are renamed before sending (apps_connections_open(app_token=)
# sends it as the Bearer token), so they are never required on the wire.
SDK_ONLY_PARAMS = frozenset({"self", "app_token", "token"})

MESSAGE_CONTENT = frozenset({"text", "blocks", "attachments", "markdown_text"})
TRIGGER = frozenset({"trigger_id", "interactivity_pointer"})
# method -> (required parameters, groups of which at least one member must be present).
# These replace what the spec and WebClient say, for the cases the README lists.
OVERRIDES: dict[str, tuple[frozenset[str], tuple[frozenset[str], ...]]] = {
    "users.info": (frozenset({"user"}), ()),
    "chat.postMessage": (frozenset({"channel"}), (MESSAGE_CONTENT,)),
    "chat.postEphemeral": (frozenset({"channel", "user"}), (MESSAGE_CONTENT,)),
    "chat.update": (frozenset({"channel", "ts"}), (MESSAGE_CONTENT,)),
    "views.publish": (frozenset({"user_id", "view"}), ()),
    "views.open": (frozenset({"view"}), (TRIGGER,)),
    "views.push": (frozenset({"view"}), (TRIGGER,)),
    "views.update": (frozenset({"view"}), (frozenset({"view_id", "external_id"}),)),
    "conversations.open": (frozenset(), (frozenset({"channel", "users"}),)),
}


@dataclass(frozen=True)
class MethodContract:
    name: str
    params: frozenset[str]
    required: frozenset[str]
    one_of: tuple[frozenset[str], ...] = ()
    in_spec: bool = False
    sdk_function: str | None = None
    sdk_sends_json: bool = False  # WebClient posts a JSON body rather than a form


@dataclass
class _Draft:
    params: set[str] = field(default_factory=set)
    required: set[str] = field(default_factory=set)
    in_spec: bool = False
    sdk_function: str | None = None
    sdk_sends_json: bool = False


def spec_path(spec_dir: Path | None = None) -> Path:
    """Slack's OpenAPI spec: in `spec_dir`, else $OKR_BOT_SLACK_SPEC_DIR, else ../shared/slack."""
    return Path(spec_dir or os.environ.get(SPEC_DIR_VARIABLE) or SHARED_SLACK_DIR) / SPEC_NAME


def catalogue_source(spec_dir: Path | None = None) -> str:
    """One line saying what calls are checked against, for a console."""
    path = spec_path(spec_dir)
    if path.is_file():
        return f"Web API calls are checked against {path} and slack_sdk {SDK_VERSION}"
    return (
        f"Web API calls are checked against slack_sdk {SDK_VERSION} only: no OpenAPI spec "
        f"at {path} (set {SPEC_DIR_VARIABLE} to the folder holding {SPEC_NAME})"
    )


def _spec_methods(drafts: dict[str, _Draft], path: Path) -> None:
    if not path.is_file():
        return
    spec = json.loads(path.read_text(encoding="utf-8"))
    for path, operations in spec["paths"].items():
        draft = drafts.setdefault(path.lstrip("/"), _Draft())
        draft.in_spec = True
        for operation in operations.values():
            for param in operation.get("parameters", []):
                draft.params.add(param["name"])
                if param.get("required"):
                    draft.required.add(param["name"])


def _sdk_methods(drafts: dict[str, _Draft]) -> None:
    """Read WebClient's source: each public method passes a literal method name to api_call.

    BaseClient does not derive the name from the Python one; it only urljoins the literal
    onto base_url. In practice `chat_postMessage` <-> "chat.postMessage" holds throughout.
    """
    source = Path(inspect.getsourcefile(WebClient) or "").read_text(encoding="utf-8")
    tree = ast.parse(source)
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "WebClient")
    for fn in cls.body:
        if not isinstance(fn, ast.FunctionDef) or fn.name.startswith("_"):
            continue
        calls = [
            node
            for node in ast.walk(fn)
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "api_call"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ]
        names = {call.args[0].value for call in calls}
        if len(names) != 1:  # helpers such as files_upload_v2 and chat_stream
            continue
        draft = drafts.setdefault(names.pop(), _Draft())
        draft.sdk_function = fn.name
        draft.sdk_sends_json = any(k.arg == "json" for k in calls[0].keywords)
        args = fn.args
        positional = args.args[1:]
        first_defaulted = len(positional) - len(args.defaults)
        for i, arg in enumerate(positional):
            draft.params.add(arg.arg)
            if i < first_defaulted:
                draft.required.add(arg.arg)
        for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
            draft.params.add(arg.arg)
            if default is None:
                draft.required.add(arg.arg)


def catalogue(spec_dir: Path | None = None) -> dict[str, MethodContract]:
    return _catalogue(spec_path(spec_dir))


@cache
def _catalogue(path: Path) -> dict[str, MethodContract]:
    drafts: dict[str, _Draft] = {}
    _spec_methods(drafts, path)
    _sdk_methods(drafts)
    contracts = {}
    for name, d in drafts.items():
        required, one_of = frozenset(d.required - SDK_ONLY_PARAMS), ()
        if name in OVERRIDES:
            required, one_of = OVERRIDES[name]
        params = frozenset(d.params - SDK_ONLY_PARAMS).union(required, *one_of)
        contracts[name] = MethodContract(
            name, params, required, one_of, d.in_spec, d.sdk_function, d.sdk_sends_json
        )
    return contracts


def json_methods() -> list[str]:
    """Methods WebClient sends as a JSON body (all others go form-encoded)."""
    return sorted(n for n, c in catalogue().items() if c.sdk_sends_json)
