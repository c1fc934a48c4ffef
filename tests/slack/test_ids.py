"""Every action, block and callback id okr-bot sets or matches is named in bot/slack/ids.py:
a literal one anywhere else under bot/ fails here, with where it is."""

from __future__ import annotations

import ast
from pathlib import Path

from bot.slack import ids
from bot.slack.blocks.share import share_button

ROOT = Path(__file__).resolve().parents[2]
ID_KEYS = {"action_id", "block_id", "callback_id"}
# Bolt's listener decorators whose first argument is an action, block or callback id.
MATCHERS = {"action", "block_action", "view", "view_submission", "view_closed", "shortcut",
            "global_shortcut", "message_shortcut", "options", "block_suggestion"}


def literal_ids(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            pairs = zip(node.keys, node.values, strict=True)
            found += [(value.lineno, value.value) for key, value in pairs
                      if isinstance(key, ast.Constant) and key.value in ID_KEYS
                      and isinstance(value, ast.Constant) and isinstance(value.value, str)]
        elif isinstance(node, ast.Call) and node.args:
            func, first = node.func, node.args[0]
            if (isinstance(func, ast.Attribute) and func.attr in MATCHERS
                    and isinstance(first, ast.Constant) and isinstance(first.value, str)):
                found.append((first.lineno, first.value))
        elif isinstance(node, ast.keyword) and node.arg in ID_KEYS \
                and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            found.append((node.value.lineno, node.value.value))
    return found


def test_no_literal_slack_ids_outside_ids_py() -> None:
    found = {str(path.relative_to(ROOT)): literal
             for path in sorted((ROOT / "bot").rglob("*.py"))
             if path != ROOT / "bot" / "slack" / "ids.py"
             if (literal := literal_ids(ast.parse(path.read_text())))}
    assert found == {}, f"name these in bot/slack/ids.py: {found}"


def test_the_check_finds_literal_ids() -> None:
    """A positive control: each form the check looks for is caught."""
    source = '''
button = {"type": "button", "action_id": "approve"}
app.view("checkin_modal")(submit)
block = section(block_id="goal")
'''
    found = sorted(name for _, name in literal_ids(ast.parse(source)))
    assert found == ["approve", "checkin_modal", "goal"]


def test_the_share_button_carries_the_named_ids() -> None:
    block = share_button("status onboarding")
    assert block["block_id"] == ids.SHARE
    assert block["elements"][0]["action_id"] == ids.SHARE_IN_CHANNEL
