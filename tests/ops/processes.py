"""okr-bot processes of any role (`serve --role …`, `worker`), as `tests/cli/test_main.py`'s
Serving runs `serve`: real subprocesses, their log lines collected as they come."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

from tests.cli.test_main import OKR_BOT, Serving, clean_env


class Process(Serving):
    def __init__(self, cwd: Path, env: dict[str, str], *args: str) -> None:
        # Serving's own __init__ starts `serve`; this one starts the command given.
        self.process = subprocess.Popen([str(OKR_BOT), *args], cwd=cwd, env=clean_env(env),
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True)
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def ran(self, job: str) -> int:
        """Runs of `job` this process logged as finished."""
        return sum(f"event=job_finished job={job} " in line for line in self.lines)
