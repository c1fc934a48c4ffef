"""The ack of a request whose work is all in a lazy listener."""

from __future__ import annotations

from slack_bolt import Ack


def acknowledge(ack: Ack) -> None:
    ack()
