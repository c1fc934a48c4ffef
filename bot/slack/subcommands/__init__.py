"""Handlers for `/okr <subcommand>`: each takes a CommandRequest and returns a reply payload."""
