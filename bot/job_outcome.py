"""What one run of a scheduled job did, in words: the line `okr-bot jobs run` prints and the
scheduler logs. A run that found nothing to do says so (`idle`), and the scheduler logs it at
DEBUG: a server at rest runs the outbox sender every 5 s and the check-in job every minute,
and a screen of "sent 0" lines would hide what happened."""

from __future__ import annotations


class Outcome(str):
    idle: bool

    def __new__(cls, text: str, *, idle: bool = False) -> Outcome:
        outcome = super().__new__(cls, text)
        outcome.idle = idle
        return outcome
