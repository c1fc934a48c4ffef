"""Importing okr-bot builds nothing: no Bolt App, no engine, no settings read, and none of what
a runtime owns (a Slack client, a worker pool, the /okr router, a chain cache)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = textwrap.dedent("""
    import importlib, pkgutil, sys
    import concurrent.futures
    import pydantic_settings, slack_bolt, slack_sdk, sqlalchemy, sqlalchemy.engine

    built = []
    def refuse(what):
        def trap(*args, **kwargs):
            built.append(what)
            raise RuntimeError(what + " built at import time")
        return trap

    slack_bolt.App.__init__ = refuse("slack_bolt.App")
    sqlalchemy.create_engine = sqlalchemy.engine.create_engine = refuse("engine")
    pydantic_settings.BaseSettings.__init__ = refuse("Settings")
    slack_sdk.WebClient.__init__ = refuse("WebClient")
    concurrent.futures.ThreadPoolExecutor.__init__ = refuse("ThreadPoolExecutor")
    import bot.okrs.store.cache, bot.slack.router
    bot.slack.router.Router.__init__ = refuse("Router")
    bot.okrs.store.cache.ChainCache.__init__ = refuse("ChainCache")

    import bot
    names = [m.name for m in pkgutil.walk_packages(bot.__path__, "bot.")
             if m.name != "bot.__main__"]
    for name in names:
        importlib.import_module(name)
    print(len(names), "modules;", "built:", built)
""")


def test_importing_every_module_builds_no_app_engine_or_settings() -> None:
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True,
                            text=True, check=False, timeout=60)
    assert result.returncode == 0, result.stderr
    count, _, built = result.stdout.strip().partition(" modules; built: ")
    assert int(count) >= 20
    assert built == "[]"
