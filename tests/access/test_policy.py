"""The policy table itself: pure, complete, and the same as docs/roles.md says."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.access.policy import TABLE, Action, Item, Role, decide, markdown
from bot.errors import NotAllowed
from tests.test_layers import DATABASE, SLACK, _forbidden_path

ROOT = Path(__file__).resolve().parents[2]


def test_the_policy_reaches_neither_the_database_nor_slack() -> None:
    path = _forbidden_path("bot.access.policy", DATABASE + SLACK)
    assert path is None, " → ".join(path or [])


def test_every_action_has_a_row() -> None:
    assert set(TABLE) == set(Action)
    assert all(TABLE[action] for action in Action)


def test_docs_roles_shows_the_table_the_code_decides_by() -> None:
    doc = (ROOT / "docs" / "roles.md").read_text()
    shown = doc.split("<!-- table: rendered from bot/access/policy.py -->\n")[1]
    shown = shown.split("\n<!-- end of table -->")[0]
    assert shown == markdown(), "docs/roles.md's table differs from bot/access/policy.py"


@pytest.mark.parametrize("action", list(Action))
def test_a_refusal_names_the_item_and_whose_it_is(action: Action) -> None:
    item = Item("First-week activation", ("U0OWNER01",))
    with pytest.raises(NotAllowed) as refused:
        decide(action, set(Role) - TABLE[action], item)
    assert refused.value.owner == "U0OWNER01"
    assert refused.value.item == "First-week activation"
    for role in TABLE[action]:
        decide(action, {role}, item)  # each role of the row is enough on its own


# Where a permission may still be spelled out: the policy, its resolver, and the error types.
DECIDES = {"bot/access/policy.py", "bot/access/roles.py", "bot/errors.py",
           "bot/checkins/blocker_rules.py"}
# Where Slack's admin flag is written or logged, never read to decide.
ADMIN_FLAG = {"bot/people/models.py", "bot/people/service.py", "bot/audit/service.py",
              "bot/access/roles.py", "bot/access/policy.py", "bot/okrs/plans/plan.py"}


def test_no_module_decides_a_permission_itself() -> None:
    """A flow raises no NotAllowed of its own and reads no admin flag: it asks require()."""
    for path in sorted((ROOT / "bot").rglob("*.py")):
        name = str(path.relative_to(ROOT))
        source = path.read_text()
        if name not in DECIDES:
            assert "raise NotAllowed" not in source, name
        if name not in ADMIN_FLAG:
            assert "is_admin" not in source, name
