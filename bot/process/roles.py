"""What a process does: serve Slack, run the jobs, or both."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    WEB = "web"  # Slack's HTTP endpoint (or Socket Mode), no scheduler
    WORKER = "worker"  # the scheduler and the outbox sender, no Slack endpoint
    ALL = "all"  # both, for a small install: one process does everything

    @property
    def runs_jobs(self) -> bool:
        return self is not Role.WEB

    @property
    def serves_slack(self) -> bool:
        return self is not Role.WORKER
