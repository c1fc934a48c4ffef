"""Slack's published schemas, vendored: see slack/README.md."""

from pathlib import Path

SLACK_SCHEMAS = Path(__file__).resolve().parent / "slack"
MANIFEST_SCHEMA = SLACK_SCHEMAS / "manifest.schema.1.0.0.json"
EVENT_WRAPPER_SCHEMA = SLACK_SCHEMAS / "slack_common_event_wrapper_schema.json"
