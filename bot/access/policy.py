"""Who may do what: one table of action × role, the only place a permission is decided.

Pure: no Slack, no database. bot/access/roles.py finds which roles an actor holds toward an
item (that needs the database); `decide` and `refusal` here say what follows from them. A
surface never trusts an id it sent out earlier (a button's value, a modal's private_metadata):
every flow asks again with the actor of the request in hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.errors import NotAllowed


class Role(StrEnum):
    """What someone is toward an item. One person often holds several."""

    MEMBER = "member"  # anyone in the workspace
    TEAM_MEMBER = "team member"  # in the team whose digest it is
    OWNER = "owner"  # owns the item; a blocker's author too, a reporting line's head
    MANAGER = "manager"  # above an owner in the plan's reporting lines, directly or not
    TEAM_MANAGER = "team manager"  # a manager of the team (TeamRole.MANAGER)
    ADMIN = "workspace admin"  # Slack's is_admin / is_owner, or in the plan's `admins:`
    OPERATOR = "operator"  # at the CLI: holds the database already
    INTEGRATION = "api token"  # a workspace's measurements API token


class Action(StrEnum):
    UPDATE_VALUE = "update a value"
    UNDO_VALUE = "undo a value"
    RAISE_BLOCKER = "raise a blocker"
    RESOLVE_BLOCKER = "resolve a blocker"
    RECORD_CONFIDENCE = "record confidence"
    ANSWER_CHECKIN = "answer, skip or snooze a check-in"
    SEE_TEAM_DIGEST = "see a team's digest"
    POST_TEAM_DIGEST = "post a team's digest"
    SEE_LINE_DIGEST = "see a reporting line's digest"
    ACT_ON_ALERT = "acknowledge or snooze an alert"
    IMPORT_PLAN = "edit (import) the plan"
    RUN_JOB = "run a job"
    CREATE_API_TOKEN = "create an API token"  # noqa: S105 (an action, not a secret)
    EXPORT_WORKSPACE = "export a workspace"
    PURGE_WORKSPACE = "purge a workspace"


R = Role
# Whoever is owed an item's numbers may change them: its owner and the people above them. A
# team's manager reads and posts the team's digest; the items stay their owners'.
ON_AN_ITEM = frozenset({R.OWNER, R.MANAGER, R.ADMIN, R.OPERATOR})
ADMINS = frozenset({R.ADMIN, R.OPERATOR})
TABLE: dict[Action, frozenset[Role]] = {
    Action.UPDATE_VALUE: ON_AN_ITEM | {R.INTEGRATION},
    # An undo takes back the actor's own value: an operator records the right one instead.
    Action.UNDO_VALUE: ON_AN_ITEM - {R.OPERATOR},
    Action.RAISE_BLOCKER: frozenset({R.MEMBER, R.OPERATOR}),
    Action.RESOLVE_BLOCKER: ON_AN_ITEM,
    Action.RECORD_CONFIDENCE: ON_AN_ITEM,
    # A check-in asks one person what they did: nobody answers it for them.
    Action.ANSWER_CHECKIN: frozenset({R.OWNER}),
    Action.SEE_TEAM_DIGEST: frozenset({R.TEAM_MEMBER, R.TEAM_MANAGER, R.MANAGER, R.ADMIN,
                                       R.OPERATOR}),
    Action.POST_TEAM_DIGEST: frozenset({R.TEAM_MANAGER, R.MANAGER, R.ADMIN, R.OPERATOR}),
    Action.SEE_LINE_DIGEST: ON_AN_ITEM,
    Action.ACT_ON_ALERT: ON_AN_ITEM,
    Action.IMPORT_PLAN: ADMINS,
    Action.RUN_JOB: ADMINS,
    Action.CREATE_API_TOKEN: ADMINS,
    Action.EXPORT_WORKSPACE: ADMINS,
    Action.PURGE_WORKSPACE: ADMINS,
}

# What a refusal says, by action: who may, in the item's own terms, and that nothing changed.
REFUSALS: dict[Action, str] = {
    Action.UPDATE_VALUE: "Only the owner of {item}, their manager or a workspace admin can "
                         "update it. Nothing was recorded.",
    Action.UNDO_VALUE: "Only the owner of {item}, their manager or a workspace admin can "
                       "update it. Nothing was taken back.",
    Action.RAISE_BLOCKER: "Only people in this workspace can raise a blocker. Nothing was "
                          "raised.",
    Action.RESOLVE_BLOCKER: "You may not resolve {item}. Nothing changed.",
    Action.RECORD_CONFIDENCE: "Only the owner of {item}, their manager or a workspace admin "
                              "can report confidence in it. Nothing was recorded.",
    Action.ANSWER_CHECKIN: "This check-in is someone else's: it goes to the person it was "
                           "sent to.",
    Action.SEE_TEAM_DIGEST: "The digest of {item} is for its members, its managers, the "
                            "people they report to and workspace admins.",
    Action.POST_TEAM_DIGEST: "Posting the digest of {item} in its channel is for its "
                             "managers, the people they report to and workspace admins. To "
                             "see it yourself, ask for a preview.",
    Action.SEE_LINE_DIGEST: "A reporting line's digest is for its head, the people above "
                            "them and workspace admins.",
    Action.ACT_ON_ALERT: "Only the owner of {item}, their manager or a workspace admin can "
                         "act on its alerts.",
}
ADMIN_ONLY = "Only a workspace admin or an operator can {action}. Nothing changed."


@dataclass(frozen=True)
class Actor:
    """Who asks: a Slack user; an operator at the CLI (who holds the database already); or a
    workspace's API token, by its name."""

    slack_user_id: str | None
    integration: str | None = None

    @classmethod
    def operator(cls) -> Actor:
        return cls(None)

    @classmethod
    def api(cls, name: str) -> Actor:
        return cls(None, integration=name)

    @property
    def is_operator(self) -> bool:
        return self.slack_user_id is None and self.integration is None

    @property
    def name(self) -> str:
        """How the audit log names them: a Slack user id, `api:<token name>` or `cli`."""
        if self.slack_user_id:
            return self.slack_user_id
        return f"api:{self.integration}" if self.integration is not None else "cli"


@dataclass(frozen=True)
class Item:
    """What an action is on, as far as permissions go. `owners`: whose it is, the first one
    named in a refusal (a blocker: what it blocks's owner, then its author); `team_id`: the
    team, for a team's digest (its managers are then the owners)."""

    name: str
    owners: tuple[str, ...] = ()
    team_id: int | None = None

    @property
    def owner(self) -> str | None:
        return self.owners[0] if self.owners else None


WORKSPACE = Item("the workspace")


def allowed(action: Action, roles: frozenset[Role] | set[Role]) -> bool:
    return not TABLE[action].isdisjoint(roles)


def refusal(action: Action, item: Item) -> NotAllowed:
    words = REFUSALS.get(action, ADMIN_ONLY)
    return NotAllowed(words.format(item=item.name, action=action.value), owner=item.owner,
                      item=item.name)


def decide(action: Action, roles: frozenset[Role] | set[Role], item: Item) -> None:
    """Nothing when one of `roles` may do `action`; NotAllowed saying who may, otherwise."""
    if not allowed(action, roles):
        raise refusal(action, item)


def markdown() -> str:
    """The table as docs/roles.md shows it (a test keeps the two the same)."""
    roles = list(Role)
    lines = ["| action | " + " | ".join(r.value for r in roles) + " |",
             "|---|" + "---|" * len(roles)]
    for action in Action:
        marks = ("yes" if role in TABLE[action] else "-" for role in roles)
        lines.append(f"| {action.value} | " + " | ".join(marks) + " |")
    return "\n".join(lines)
