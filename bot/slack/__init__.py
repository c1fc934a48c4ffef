"""The Slack edge: app factory, listeners, Block Kit builders, HTTP and Socket Mode serving."""
