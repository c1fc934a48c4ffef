"""The served bot of tests/slack, for the audit log's tests."""

from tests.slack.conftest import bot, planned  # noqa: F401  (fixtures)
