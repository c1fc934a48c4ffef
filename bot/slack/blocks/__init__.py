"""Pure Block Kit builders: data in, Slack payload dicts out."""
