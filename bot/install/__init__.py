"""Installing okr-bot into many workspaces through Slack's OAuth v2: installations and
OAuth states on our own database, tokens encrypted at rest, expiring tokens refreshed once."""
