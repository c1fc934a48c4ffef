"""`okr-bot …` run by its own `main()` inside the test process: the same parsing, settings,
database and output a person gets, without starting an interpreter per call (about a second
each; the CLI tests make some fifty calls). tests/cli/test_main.py still runs the installed
`okr-bot` as a real process, so the entry point itself stays covered."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

from bot.cli.main import main

# What the CLI would otherwise read from the developer's or CI's environment.
UNSET = ("DATABASE_URL", "PORT", "HOST", "LOG_LEVEL")


@contextlib.contextmanager
def _environment(extra: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    for name in list(os.environ):
        if name.startswith("SLACK_") or name in UNSET:
            del os.environ[name]
    os.environ.update(extra)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def _logging_put_back() -> Iterator[None]:
    """The CLI configures logging for the process (bot/logs.py); the test worker's is put
    back after it."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in logging.root.manager.loggerDict}
    try:
        yield
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)
        for name, named_level in levels.items():
            logging.getLogger(name).setLevel(named_level)


def okr_bot(*args: str, cwd: Path,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`okr-bot ARGS` in `cwd`, answered as a finished process would be: exit code, stdout,
    stderr."""
    out, err = io.StringIO(), io.StringIO()
    with _environment(env or {}), contextlib.chdir(cwd), _logging_put_back(), \
            contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as stopped:  # argparse's usage errors
            code = stopped.code if isinstance(stopped.code, int) else 1
    return subprocess.CompletedProcess(["okr-bot", *args], code, out.getvalue(),
                                       err.getvalue())
