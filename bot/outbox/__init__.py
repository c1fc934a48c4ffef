"""The outbox: every message okr-bot sends to Slack is a row first (`enqueue`, inside the
caller's transaction), then the `send-outbox` job delivers it, paced under Slack's limits,
exactly once (docs/outbox.md)."""
