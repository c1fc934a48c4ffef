"""Workspaces, people and teams: who okr-bot talks to, and where they are in time."""
