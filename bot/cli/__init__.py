"""The `okr-bot` command."""
