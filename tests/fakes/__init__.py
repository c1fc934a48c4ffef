"""Stand-ins for Slack in tests: the Web API, Socket Mode and signed incoming requests."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .signing import SlackReply, SlackSender, sign_request

if TYPE_CHECKING:
    from .slack_api import FakeSlack, RecordedCall

__all__ = ["FakeSlack", "RecordedCall", "SlackReply", "SlackSender", "sign_request"]


def __getattr__(name: str) -> Any:
    # Imported on first use so that `python -m tests.fakes.slack_api` does not find the module
    # already imported by its own package (runpy warns about that).
    if name in ("FakeSlack", "RecordedCall"):
        from . import slack_api

        return getattr(slack_api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
