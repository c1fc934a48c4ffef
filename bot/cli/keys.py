"""`okr-bot keys new` prints a new encryption key; `okr-bot keys rotate` re-encrypts every
stored token with the first key of OKR_BOT_ENCRYPTION_KEY, in one transaction."""

from __future__ import annotations

import argparse
import sys

from bot.config import WHERE_TO_GET, Settings, SettingsError


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    keys = sub.add_parser("keys", help="the keys that encrypt stored Slack tokens (OAuth mode)")
    what = keys.add_subparsers(dest="keys_command", required=True, metavar="KEYS_COMMAND")
    what.add_parser("new", help="print a new key for OKR_BOT_ENCRYPTION_KEY")
    what.add_parser("rotate", help="re-encrypt every stored token with the first key of "
                    "OKR_BOT_ENCRYPTION_KEY (put the new key first, the old ones after it)")
    return keys


def cmd_new() -> int:
    from bot.install.keys import new_key

    print(new_key())
    print("Put it first in OKR_BOT_ENCRYPTION_KEY, keep any old keys after it "
          "(comma-separated), then run `okr-bot keys rotate`.", file=sys.stderr)
    return 0


def cmd_rotate(settings: Settings) -> int:
    from bot.db import make_engine, make_session_factory
    from bot.install import service as install_service
    from bot.install.keys import Keyring

    if settings.okr_bot_encryption_key is None:
        raise SettingsError("OKR_BOT_ENCRYPTION_KEY is not set: "
                            + WHERE_TO_GET["OKR_BOT_ENCRYPTION_KEY"])
    keyring = Keyring(settings.okr_bot_encryption_key.get_secret_value())
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine).begin() as session:
            count = install_service.rotate_keys(db_session=session, keyring=keyring)
    finally:
        engine.dispose()
    print(f"re-encrypted {count} stored token{'s' if count != 1 else ''} with the first key; "
          "the other keys can now be taken out of OKR_BOT_ENCRYPTION_KEY")
    return 0
