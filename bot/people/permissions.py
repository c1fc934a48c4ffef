"""Who may change what: the owner, the owner's manager, or a workspace admin."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.people.models import Person


def may_act_for(*, db_session: Session, workspace_id: int, actor_slack_id: str,
                owner_slack_id: str | None) -> bool:
    """True if the actor owns the item, manages its owner, or is a workspace admin."""
    if owner_slack_id is not None and actor_slack_id == owner_slack_id:
        return True
    people = {p.slack_user_id: p for p in db_session.scalars(select(Person).where(
        Person.workspace_id == workspace_id,
        Person.slack_user_id.in_([actor_slack_id, owner_slack_id or actor_slack_id])))}
    actor = people.get(actor_slack_id)
    if actor is None or actor.deactivated:
        return False
    if actor.is_admin:
        return True
    owner = people.get(owner_slack_id) if owner_slack_id else None
    return owner is not None and owner.manager_id == actor.id
