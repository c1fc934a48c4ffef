"""What finding a workspace's token costs a request in OAuth mode, on SQLite and PostgreSQL.

    python -m bench.install [--backend sqlite|postgresql|both] [--calls 2000] [--teams 200]

A fresh database per backend holds `--teams` installations (tokens encrypted). Then, each
`--calls` times over the teams in turn: Bolt's `authorize` as a request runs it when the
installation row is read (no auth.test: the row says who the bot is) and when it was read in
the last 30 s (bot/install/tokens.py FRESH_SECONDS), and `authorize` with `client(team)` as
one request runs them. Decryption is cached per ciphertext;
one Fernet decryption is timed apart, as what the cache saves. Prints, per backend, the
median and p95 microseconds per call and the statements each sends.
"""

from __future__ import annotations

import argparse
import secrets

from slack_sdk.oauth.installation_store import Installation as SdkInstallation
from sqlalchemy import event

from bench.backends import on_each_backend
from bench.micro import line, timed
from bot import schema
from bot.config import load_settings
from bot.db import make_engine, make_session_factory
from bot.install.keys import Keyring, new_key
from bot.install.stores import DatabaseInstallationStore
from bot.slack.clients import SlackClients


def run(url: str, calls: int, teams: int) -> list[str]:
    schema.upgrade(url)
    engine = make_engine(url)
    counted = {"n": 0}

    def count(*_args: object) -> None:
        counted["n"] += 1

    key = new_key()
    factory = make_session_factory(engine)
    store = DatabaseInstallationStore(factory, Keyring(key))
    team_ids = [f"T{number:08d}" for number in range(teams)]
    for team_id in team_ids:
        store.save(SdkInstallation(team_id=team_id, team_name=team_id, app_id="A0BENCH",
                                   bot_token=f"xoxb-{team_id}-bench", bot_id="B0BENCH",
                                   bot_user_id="U0BENCH", bot_scopes="commands",
                                   user_id="U0INSTALL"))
    settings = load_settings(env_file=None, slack_client_id="1.2",
                             slack_client_secret=secrets.token_hex(8),
                             okr_bot_encryption_key=key,
                             slack_signing_secret=secrets.token_hex(8), database_url=url)
    slack = SlackClients(settings, session_factory=factory)
    event.listen(engine, "before_cursor_execute", count)
    for team_id in team_ids:  # warm: each ciphertext decrypted once, each client made once
        slack.client(team_id)
    lines = []

    def reread(n: int) -> object:
        slack.forget(team_ids[n % teams])
        return slack.authorize(team_id=team_ids[n % teams], user_id="U1")

    for name, work in (
            ("authorize, row read from the database", reread),
            ("authorize, read in the last 30 s",
             lambda n: slack.authorize(team_id=team_ids[n % teams], user_id="U1")),
            ("a request: authorize + client", lambda n: (
                slack.authorize(team_id=team_ids[n % teams], user_id="U1"),
                slack.client(team_ids[n % teams])))):
        counted["n"] = 0
        micros = timed(calls, work)
        lines.append(line(name, micros, counted["n"] / calls))
    keyring, stored = Keyring(key), Keyring(key).encrypt("xoxb-bench-token")
    lines.append(line("one Fernet decryption (cached above)",
                       timed(calls, lambda _n: keyring.decrypt(stored)), 0))
    engine.dispose()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--teams", type=int, default=200)
    args = parser.parse_args()
    on_each_backend(args.backend, "install", lambda url: run(url, args.calls, args.teams))

if __name__ == "__main__":
    main()
