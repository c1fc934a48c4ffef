"""Test support: a throwaway PostgreSQL server and a real okr-bot server in a thread."""
