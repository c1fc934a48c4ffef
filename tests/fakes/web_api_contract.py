"""What a Slack Web API call is allowed to look like.

Methods and their parameters come from web_api_catalogue (Slack's OpenAPI spec and slack_sdk).
Block Kit payloads are checked with slack_sdk's own models plus the limits it does not check
on raw dicts (../shared/NOTES.md, "Block Kit").
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator, Mapping
from typing import Any, Literal
from urllib.parse import parse_qs

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View
from slack_sdk.version import __version__ as SDK_VERSION

from tests.fakes.chart_block import data_visualization_problems

from .web_api_catalogue import (  # re-exported: tests read the catalogue through this module
    SHARED_SLACK_DIR,
    SPEC_DIR_VARIABLE,
    SPEC_NAME,
    MethodContract,
    catalogue,
    catalogue_source,
    json_methods,
    spec_path,
)

__all__ = ["SDK_VERSION", "SHARED_SLACK_DIR", "SPEC_DIR_VARIABLE", "SPEC_NAME",
           "MethodContract", "catalogue", "catalogue_source", "json_methods", "parse_params",
           "spec_path", "validate_blocks", "validate_call", "validate_message",
           "validate_response_url_body", "validate_view"]  # fmt: skip

Surface = Literal["message", "modal", "home"]

# `token` travels in the Authorization header; `team_id` is added to every call by
# WebClient(team_id=...) through BaseClient.default_params; any method takes `pretty`.
UNIVERSAL_PARAMS = frozenset({"token", "team_id", "pretty"})

# Parameters that arrive as JSON strings when WebClient form-encodes a call.
JSON_PARAMS = frozenset({"blocks", "attachments", "view", "metadata", "unfurls", "dialog"})

RESPONSE_URL_KEYS = frozenset(
    {"text", "blocks", "attachments", "response_type", "replace_original", "delete_original",
     "thread_ts", "mrkdwn", "unfurl_links", "unfurl_media", "metadata"}
)  # fmt: skip

# views.publish only takes Home tabs, views.open/push only modals; views.update takes either.
VIEW_SURFACES: dict[str, Surface] = {"views.publish": "home", "views.open": "modal",
                                     "views.push": "modal"}  # fmt: skip

# Limits from Slack's Block Kit reference (mirrored in ../shared/NOTES.md).
MAX_BLOCKS = {"message": 50, "modal": 100, "home": 100}
MAX_SECTION_TEXT = 3000
MAX_SECTION_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_ID = 255  # block_id, action_id, callback_id, external_id
# Modal title 24, private_metadata 3000, callback_id 255: checked by slack_sdk's View.
MAX_VIEW_BYTES = 250_000
MAX_MESSAGE_TEXT = 40_000  # beyond this chat.postMessage answers msg_too_long


def parse_params(query: str, content_type: str, body: bytes) -> tuple[dict[str, Any], list[str]]:
    """Merge query string and body (form or JSON), decoding JSON-string params."""

    def form(text: str) -> dict[str, Any]:
        parsed = parse_qs(text, keep_blank_values=True)
        return {k: v[0] if len(v) == 1 else v for k, v in parsed.items()}

    params, problems = form(query), []
    # WebClient labels even empty bodies application/json (base_client.py passes the `json`
    # module, not the body, as has_json), so look at the body before trusting the header.
    if body.strip():
        if content_type.startswith("application/json"):
            try:
                decoded = json.loads(body)
            except ValueError:
                decoded = None
            if isinstance(decoded, dict):
                params |= decoded
            else:
                problems.append("body is not a JSON object")
        elif content_type.startswith("multipart/"):
            problems.append("multipart bodies (file uploads) are not supported by the fake")
        else:
            params |= form(body.decode("utf-8", errors="replace"))
    for name in JSON_PARAMS & params.keys():
        if isinstance(params[name], str) and params[name][:1] in ("[", "{"):
            try:
                params[name] = json.loads(params[name])
            except ValueError:
                problems.append(f"{name} is not valid JSON")
    return params, problems


def _present(params: Mapping[str, Any], name: str) -> bool:
    return params.get(name) not in (None, "", [])


def validate_call(
    method: str, params: Mapping[str, Any], methods: Mapping[str, MethodContract] | None = None
) -> list[str]:
    """Problems with one Web API call, as readable strings (empty when it is fine)."""
    methods = catalogue() if methods is None else methods
    contract = methods.get(method)
    if contract is None:
        near = difflib.get_close_matches(method, methods, n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        return [f"unknown method {method!r}: not in the spec nor slack_sdk {SDK_VERSION}{hint}"]
    problems = []
    for name in sorted(set(params) - contract.params - UNIVERSAL_PARAMS):
        near = difflib.get_close_matches(name, contract.params, n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        problems.append(f"{method}: unknown parameter {name!r}{hint}")
    for name in sorted(contract.required):
        if not _present(params, name):
            problems.append(f"{method}: missing required parameter {name!r}")
    for group in contract.one_of:
        if not any(_present(params, name) for name in group):
            problems.append(f"{method}: needs one of {', '.join(sorted(group))}")
    if method.startswith("chat."):
        problems += [f"{method}: {p}" for p in validate_message(params, surface="message")]
    if method.startswith("views.") and "view" in params:
        surface = VIEW_SURFACES.get(method)
        problems += [f"{method}: {p}" for p in validate_view(params["view"], surface=surface)]
    return problems


def validate_message(message: Mapping[str, Any], *, surface: Surface = "message") -> list[str]:
    """Checks the content of a message (chat.* parameters or a response_url body)."""
    problems = []
    text = message.get("text")
    if isinstance(text, str) and len(text) > MAX_MESSAGE_TEXT:
        problems.append(f"text has {len(text)} characters, more than {MAX_MESSAGE_TEXT}")
    if message.get("blocks") is not None:
        problems += validate_blocks(message["blocks"], surface=surface)
    attachments = message.get("attachments")
    if isinstance(attachments, list):
        for i, attachment in enumerate(attachments):
            if isinstance(attachment, dict) and attachment.get("blocks") is not None:
                found = validate_blocks(attachment["blocks"], surface=surface)
                problems += [f"attachments[{i}].{p}" for p in found]
    elif attachments is not None:
        problems.append("attachments is not a JSON array")
    return problems


def validate_response_url_body(payload: Any) -> list[str]:
    """What an app POSTs to a response_url (Bolt's respond() sends JSON)."""
    if not isinstance(payload, dict):
        return [f"body is not a JSON object: {str(payload)[:80]}"]
    problems = [f"unknown field {k!r}" for k in sorted(set(payload) - RESPONSE_URL_KEYS)]
    if payload.get("response_type", "ephemeral") not in ("ephemeral", "in_channel"):
        problems.append(
            f"response_type must be ephemeral or in_channel: {payload['response_type']!r}"
        )
    return problems + validate_message(payload)


def validate_blocks(blocks: Any, *, surface: Surface = "message") -> list[str]:
    """Problems with a list of raw Block Kit dicts, e.g. `blocks[3]: text ... 3001 characters`."""
    if not isinstance(blocks, list):
        return [f"blocks must be a JSON array, got {type(blocks).__name__}"]
    problems = []
    if len(blocks) > MAX_BLOCKS[surface]:
        limit = MAX_BLOCKS[surface]
        problems.append(f"blocks: {len(blocks)} blocks, more than the {limit} a {surface} allows")
    for i, raw in enumerate(blocks):
        where = f"blocks[{i}]"
        if not isinstance(raw, dict):
            problems.append(f"{where}: not an object")
            continue
        limits = list(_limit_problems(raw, ""))
        sdk_found, sdk_rejected = _check_with_sdk(raw)
        # slack_sdk stops at the first violation and does not say where it is; when our
        # walk found a limit the rejection is almost surely the same one, said less precisely.
        if limits and sdk_rejected:
            sdk_found = []
        problems += [f"{where}{p}" for p in [*sdk_found, *limits]]
    return problems


def _check_with_sdk(raw: dict[str, Any]) -> tuple[list[str], bool]:
    """(problems, whether slack_sdk rejected the block outright)."""
    kind = raw.get("type")
    if kind == "data_visualization":  # newer than slack_sdk's models: checked by our own
        return data_visualization_problems(raw), False
    try:
        block = Block.parse(raw)
    except (TypeError, ValueError, KeyError, AttributeError) as e:  # a missing required field
        return [f" ({kind}): slack_sdk cannot build it: {e}"], True
    if block is None:  # parse() logs "Unknown block detected and skipped" and moves on
        return [f": unknown block type {kind!r}"], True
    try:
        rebuilt = block.to_dict()  # to_dict() runs validate_json() on every nested object
    except SlackObjectFormationError as e:
        return [f" ({kind}): {e}"], True
    dropped = [
        f"{path}: dropped or rewritten by slack_sdk (unknown field or element type, or wrong shape)"
        for path in _dropped(raw, rebuilt, "")
    ]
    return dropped, False


def _dropped(raw: Any, rebuilt: Any, path: str) -> Iterator[str]:
    """Paths present in `raw` that slack_sdk's round trip lost: it ignores what it does not know."""
    if isinstance(raw, dict):
        if not isinstance(rebuilt, dict):
            yield path or "."
            return
        for key, value in raw.items():
            if value is None or value == "":  # slack_sdk omits empty strings; Slack accepts them
                continue
            if key not in rebuilt:
                yield f"{path}.{key}"
            else:
                yield from _dropped(value, rebuilt[key], f"{path}.{key}")
    elif isinstance(raw, list):
        if not isinstance(rebuilt, list):
            yield path
            return
        for i, value in enumerate(raw):
            if i >= len(rebuilt):
                yield f"{path}[{i}]"
            else:
                yield from _dropped(value, rebuilt[i], f"{path}[{i}]")
    elif isinstance(rebuilt, dict | list):  # e.g. a bare string where Slack wants a text object
        yield path


def _text(obj: Any) -> str:
    if isinstance(obj, dict):
        obj = obj.get("text")
    return obj if isinstance(obj, str) else ""


def _too_long(path: str, what: str, value: str, limit: int) -> Iterator[str]:
    if len(value) > limit:
        yield f"{path}: {what} has {len(value)} characters, more than {limit}"


def _limit_problems(node: Any, path: str) -> Iterator[str]:
    """Limits slack_sdk does not check on raw dicts, found anywhere in a block tree."""
    if isinstance(node, list):
        for i, item in enumerate(node):
            yield from _limit_problems(item, f"{path}[{i}]")
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    for key in ("block_id", "action_id"):
        if isinstance(node.get(key), str):
            yield from _too_long(path, key, node[key], MAX_ID)
    if kind == "section":
        yield from _too_long(path, "section text", _text(node.get("text")), MAX_SECTION_TEXT)
        fields = node.get("fields") or []
        if len(fields) > MAX_SECTION_FIELDS:
            yield f"{path}: {len(fields)} section fields, more than {MAX_SECTION_FIELDS}"
        for i, f in enumerate(fields):
            yield from _too_long(f"{path}.fields[{i}]", "field", _text(f), MAX_FIELD_TEXT)
    elif kind == "header":
        yield from _too_long(path, "header text", _text(node.get("text")), MAX_HEADER_TEXT)
    elif kind == "button":
        yield from _too_long(path, "button text", _text(node.get("text")), MAX_BUTTON_TEXT)
        yield from _too_long(path, "button value", str(node.get("value", "")), MAX_BUTTON_VALUE)
    if "value" in node and "text" in node and kind is None:  # an option object
        yield from _too_long(path, "option text", _text(node["text"]), MAX_OPTION_TEXT)
        yield from _too_long(path, "option value", str(node["value"]), MAX_OPTION_VALUE)
    for key, value in node.items():
        if isinstance(value, dict | list):
            yield from _limit_problems(value, f"{path}.{key}")


def validate_view(view: Any, *, surface: Surface | None = None) -> list[str]:
    """Problems with a modal or Home tab view (views.open/push/update/publish)."""
    if not isinstance(view, dict):
        return [f"view must be a JSON object, got {type(view).__name__}"]
    kind = view.get("type")
    if kind not in ("modal", "home") or (surface is not None and kind != surface):
        return [f"view type must be {surface or 'modal or home'!r}, got {kind!r}"]
    problems = [f"view: unknown field {k!r}" for k in sorted(set(view) - View.attributes)]
    problems += [f"view: {p}" for p in _sdk_view_problems(view)]
    blocks = view.get("blocks")
    if not blocks:
        problems.append("view: a view needs at least one block")
    else:
        problems += [f"view.{p}" for p in validate_blocks(blocks, surface=kind)]
    if kind == "modal":
        if not _text(view.get("title")):
            problems.append("view: a modal needs a title")
        has_input = isinstance(blocks, list) and any(
            isinstance(b, dict) and b.get("type") == "input" for b in blocks
        )
        if has_input and not view.get("submit"):
            problems.append("view: a modal with input blocks needs a submit button")
    if isinstance(view.get("external_id"), str):
        problems += list(_too_long("view", "external_id", view["external_id"], MAX_ID))
    size = len(json.dumps(view).encode("utf-8"))
    if size > MAX_VIEW_BYTES:
        problems.append(f"view: {size} bytes of JSON, more than {MAX_VIEW_BYTES}")
    return list(dict.fromkeys(problems))


def _sdk_view_problems(view: dict[str, Any]) -> Iterator[str]:
    """Every failing View validator (title 24, private_metadata 3000, callback_id 255, ...).

    View.validate_json() stops at the first failure; calling each validator reports them all.
    Blocks are left to validate_blocks(), which also catches what View(**view) silently drops.
    """
    try:  # without blocks: View(**view) would drop unknown ones and fail on broken ones
        model = View(**{k: v for k, v in view.items() if k != "blocks"})
    except (TypeError, ValueError, KeyError, AttributeError) as e:
        yield f"slack_sdk cannot build it: {e}"
        return
    for name in dir(model):
        check = getattr(model, name, None)
        if name != "_validate_blocks_length" and callable(check) and hasattr(check, "validator"):
            try:
                check()
            except SlackObjectFormationError as e:
                yield str(e)
            except (TypeError, AttributeError) as e:  # e.g. a title that is not a text object
                yield f"{name.removeprefix('_validate_')}: {e}"


def slack_view(view: dict[str, Any], *, view_id: str, team_id: str, app_id: str) -> dict[str, Any]:
    """A view as Slack echoes it (views.* answers, interaction payloads): `view` over defaults."""
    return {
        "id": view_id, "team_id": team_id, "type": "modal", "blocks": [], "private_metadata": "",
        "callback_id": "", "state": {"values": {}}, "hash": f"1700000000.{view_id}",
        "title": None, "close": None, "submit": None, "clear_on_close": False,
        "notify_on_close": False, "previous_view_id": None, "root_view_id": view_id,
        "app_id": app_id, "external_id": "", "app_installed_team_id": team_id, "bot_id": "B0BOT",
    } | view  # fmt: skip
