"""Run a benchmark on SQLite (a file in a temporary folder) and on a throwaway PostgreSQL
server (started from the machine's binaries, stopped after), printing each one's lines."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from tests.support.postgres import PostgresServer, find_bin_dir


def on_each_backend(backend: str, name: str, run: Callable[[str], list[str]]) -> None:
    """`backend`: sqlite, postgresql or both; `run` takes a database URL, returns lines."""
    if backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as folder:
            print("SQLite")
            print("\n".join(run(f"sqlite:///{Path(folder) / f'{name}.db'}")))
    if backend in ("postgresql", "both"):
        bin_dir = find_bin_dir()
        if bin_dir is None:
            print("PostgreSQL: no binaries on this machine, skipped")
            return
        server = PostgresServer(bin_dir)
        server.start()
        try:
            print("PostgreSQL")
            print("\n".join(run(server.create_database())))
        finally:
            server.stop()
