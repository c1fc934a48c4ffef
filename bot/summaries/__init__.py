"""Managers' summaries: a team's weekly digest and a manager's over their reporting line
(docs/summaries.md)."""
