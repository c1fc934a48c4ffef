"""Benchmarks: a generated workspace and `/okr` commands timed over signed HTTP (not tests)."""
