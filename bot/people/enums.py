from enum import StrEnum


class TeamRole(StrEnum):
    """A person's part in a team: managers see the team's summaries and act on its blockers."""

    MEMBER = "member"
    MANAGER = "manager"
