"""A throwaway PostgreSQL server for the suite: initdb in a temp dir, a free port, then gone.

Runs the machine's own PostgreSQL binaries. As root (sessions and CI here), initdb refuses to
run, so the server runs as the `postgres` system user through runuser.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg

REQUIRE_VARIABLE = "OKR_BOT_REQUIRE_POSTGRES"
BIN_VARIABLE = "OKR_BOT_PG_BIN"  # a folder with initdb and pg_ctl, when they are elsewhere


def find_bin_dir() -> Path | None:
    if os.environ.get(BIN_VARIABLE) is not None:
        chosen = Path(os.environ[BIN_VARIABLE])
        return chosen if (chosen / "pg_ctl").exists() and (chosen / "initdb").exists() else None
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(os.path.realpath(on_path)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for candidate in candidates:
        if (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresServer:
    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="okr-bot-pg-"))
        self.data = self.root / "data"
        self._as_user: list[str] = []
        self._databases = 0

    def _run(self, *command: str) -> None:
        subprocess.run([*self._as_user, *command], check=True, capture_output=True, text=True,
                       timeout=60)

    def start(self) -> None:
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                raise RuntimeError("running as root and there is no postgres user to run "
                                   "PostgreSQL as") from None
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
            self._as_user = ["runuser", "-u", "postgres", "--"]
        self._run(str(self.bin_dir / "initdb"), "-D", str(self.data), "-A", "trust",
                  "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C")
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} "
                   f"-c unix_socket_directories={self.root} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off")
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-o", options,
                  "-l", str(self.root / "server.log"), "-w", "-t", "60", "start")

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                          "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def dsn(self, database_or_url: str) -> str:
        """psycopg's connection string for a database, named or by its SQLAlchemy URL."""
        name = database_or_url.rsplit("/", 1)[-1]
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={name} connect_timeout=10"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, template: str | None = None) -> str:
        """A fresh database for one test, empty or a copy of `template` (a database nobody is
        connected to); returns its SQLAlchemy URL."""
        self._databases += 1
        name = f"okr_bot_test_{self._databases}"
        copied = f' TEMPLATE "{template}"' if template else ""
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres "
                             "connect_timeout=10",
                             autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"{copied}')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres "
                             "connect_timeout=10",
                             autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
