"""A PostgreSQL server that hangs (its processes stopped with SIGSTOP): probes and people get
their answer in time, and nothing the person was told failed is committed once it resumes.

Runs its own throwaway server: stopping the suite's shared one would stall other tests.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from bot import deadline
from bot.config import load_settings
from bot.serve import build_runtime
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, TEAM_ID
from tests.fakes import FakeSlack, SlackSender
from tests.slack.conftest import RunningBot
from tests.slack.plans import import_example
from tests.support.postgres import PostgresServer, find_bin_dir
from tests.support.server import get, serving

pytestmark = pytest.mark.postgres
OWNER = "U0SCS0001"  # owns gross-churn in examples/b2b-saas.yml


@pytest.fixture(scope="module")
def hangable() -> Iterator[PostgresServer]:
    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.skip("no PostgreSQL binaries (initdb, pg_ctl) on this machine")
    server = PostgresServer(bin_dir)
    try:
        server.start()
        yield server
    finally:
        server.stop()


def server_processes(server: PostgresServer) -> Callable[[], list[int]]:
    """What lists the postmaster and every process it started (backends, background
    workers), asked once the postmaster is stopped: a backend it forks in between (a
    connection a background refresh opened) would otherwise keep answering."""
    return lambda: _processes(int((server.data / "postmaster.pid").read_text().split()[0]))


def _processes(postmaster: int) -> list[int]:
    children = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines()
                          if ":\t" in line)
        except OSError:
            continue  # gone meanwhile
        if int(fields.get("PPid", "0")) == postmaster:
            children.append(int(status.parent.name))
    return [postmaster, *children]


def _signal(pid: int, sig: signal.Signals) -> None:
    # A backend may end between listing it and signalling it (an idle worker exiting).
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


@contextmanager
def hung(listing: Callable[[], list[int]]) -> Iterator[None]:
    postmaster, *_ = listing()
    _signal(postmaster, signal.SIGSTOP)  # first: it forks no backend from here on
    pids = listing()
    for pid in pids:
        _signal(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            _signal(pid, signal.SIGCONT)


@pytest.fixture
def bot_on_hangable(hangable: PostgresServer, fake_slack: FakeSlack) -> Iterator[RunningBot]:
    url = hangable.create_database()
    settings = load_settings(env_file=None, slack_bot_token=BOT_TOKEN,
                             slack_signing_secret=SIGNING_SECRET,
                             slack_api_url=fake_slack.base_url, database_url=url)
    runtime = build_runtime(settings)
    try:
        with serving(runtime.web_app(with_scheduler=False)) as served:
            sender = SlackSender(f"{served}/slack/events", SIGNING_SECRET, team_id=TEAM_ID,
                                 response_urls=fake_slack.response_url)
            yield RunningBot(served, runtime, fake_slack, sender)
    finally:
        hangable.drop_database(url)


def slack_measurements(url: str) -> int:
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"),
                         connect_timeout=5) as connection:
        return connection.execute("SELECT count(*) FROM measurements WHERE source = 'slack'"
                                  ).fetchone()[0]


def recovers(bot: RunningBot, within: float = 15) -> bool:
    # A loaded machine may take a few probes to reconnect; the point is that nobody has to.
    give_up = time.monotonic() + within
    while time.monotonic() < give_up:
        if get(f"{bot.url}/healthz").status == 200:
            return True
        time.sleep(0.5)
    return False


@pytest.mark.parametrize("pool", ["pooled", "fresh"])
def test_a_hung_database_gets_503_and_an_apology_in_time_and_commits_nothing(
        bot_on_hangable: RunningBot, hangable: PostgresServer, pool: str) -> None:
    bot = bot_on_hangable
    import_example(bot)
    # Premise: it works, and the pool holds connections to the server about to hang.
    assert get(f"{bot.url}/healthz").status == 200
    assert "→ 5%" in bot.slack.command("update gross-churn 5", user_id=OWNER).json["text"]
    url = str(bot.runtime.engine.url.render_as_string(hide_password=False))
    assert slack_measurements(url) == 1
    if pool == "fresh":  # every wait starts with opening a connection to the hung server
        bot.runtime.engine.dispose()

    with hung(server_processes(hangable)):
        started = time.monotonic()
        health = get(f"{bot.url}/healthz", timeout=10)
        health_took = time.monotonic() - started
        again = get(f"{bot.url}/healthz", timeout=10)  # while the first ping still waits
        reply = bot.slack.command("update gross-churn 6 renewals slipped", user_id=OWNER)
        time.sleep(0.5)

    assert (health.status, again.status) == (503, 503)
    assert health_took < 2, "a probe answered within 2 s whatever the database does"
    assert reply.status == 200
    assert reply.elapsed < 3, "Slack gives up on a slash command after 3 seconds"
    assert "something went wrong on our side and nothing was changed" in reply.json["text"]
    time.sleep(1)  # the resumed server works through what was sent while it hung
    assert slack_measurements(url) == 1, "a write committed after the reply said it failed"
    assert recovers(bot), "healthy again on its own once the server runs"
    assert "→ 7%" in bot.slack.command("update gross-churn 7", user_id=OWNER).json["text"]


class StoppedBeforeCommit(deadline.BoundedConnection):
    """Hangs the server in the one place a late COMMIT could still arrive: after the last
    answer, with COMMIT about to be written into its socket. `asks_the_clock`: as a
    transaction begun some other way would, the commit first reads the server's clock (one
    round trip more) instead of using the transaction's start."""

    asks_the_clock = False
    clock_reads = 0

    def _server_now(self):  # type: ignore[no-untyped-def]
        self.clock_reads += 1
        return super()._server_now()

    def _check_then_commit(self, reference: str, since: float) -> None:
        os.kill(self.info.backend_pid, signal.SIGSTOP)
        super()._check_then_commit(reference, since)

    def commit(self) -> None:
        if self.asks_the_clock:
            self._began = None
        super().commit()


@pytest.fixture
def notes(hangable: PostgresServer) -> Iterator[str]:
    """A fresh database on the hangable server with an empty table `notes`: its conninfo."""
    url = hangable.create_database()
    try:
        conninfo = url.replace("postgresql+psycopg", "postgresql")
        with psycopg.connect(conninfo, autocommit=True) as setup:
            setup.execute("CREATE TABLE notes (body text)")
        yield conninfo
    finally:
        hangable.drop_database(url)


def notes_in(conninfo: str) -> int:
    with psycopg.connect(conninfo) as check:
        return check.execute("SELECT count(*) FROM notes").fetchone()[0]


@pytest.mark.parametrize("asks_the_clock", [False, True], ids=["transaction-start", "clock-read"])
def test_a_commit_the_server_reads_too_late_is_rolled_back(notes: str,
                                                           asks_the_clock: bool) -> None:
    connection = StoppedBeforeCommit.connect(notes)
    connection.asks_the_clock = asks_the_clock
    backend = connection.info.backend_pid
    try:
        with deadline.within(1.0):
            connection.execute("INSERT INTO notes VALUES ('typed while it hung')")
            with pytest.raises(deadline.DatabaseTooSlow):
                connection.commit()
    finally:
        os.kill(backend, signal.SIGCONT)
    assert connection.closed
    # The usual commit needs no round trip to read the server's clock.
    assert connection.clock_reads == (1 if asks_the_clock else 0)
    # Resumed just after the client gave up: the COMMIT in its socket is read now, a few
    # milliseconds past the deadline. It must roll back all the same.
    time.sleep(1)
    assert notes_in(notes) == 0


def test_a_commit_in_time_lands_with_one_round_trip(notes: str) -> None:
    """Without a hang the checked COMMIT commits, whichever reference it uses, and the usual
    one asks nothing before it."""
    for asks_the_clock in (False, True):
        connection = _Counted.connect(notes)
        connection.asks_the_clock = asks_the_clock
        with deadline.within(2.0):
            connection.execute("INSERT INTO notes VALUES ('in time')")
            connection.commit()
        assert connection.clock_reads == (1 if asks_the_clock else 0)
        assert connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        connection.close()
    assert notes_in(notes) == 2


class _Counted(StoppedBeforeCommit):
    def _check_then_commit(self, reference: str, since: float) -> None:
        deadline.BoundedConnection._check_then_commit(self, reference, since)  # no hang


def test_the_reference_is_stamped_just_before_our_clock_records_it(notes: str) -> None:
    """The transaction's start, as the server stamps it, comes before the moment our clock
    records for it (else a late COMMIT could land), and by little: it is BEGIN's answer, not
    the end of a slow first statement (else a COMMIT in time would be refused)."""
    with deadline.BoundedConnection.connect(notes) as connection:
        for _ in range(2):  # two transactions on one connection: each its own start
            connection.execute("SELECT pg_sleep(0.3)")
            wall, elapsed = time.time(), time.clock_gettime(time.CLOCK_MONOTONIC)
            began = wall - (elapsed - connection._began)
            stamped = float(connection.execute(
                "SELECT extract(epoch FROM transaction_timestamp())").fetchone()[0])
            assert stamped <= began + 0.001  # the clocks are read a microsecond apart
            assert began - stamped < 0.1, "recorded after the first statement, not BEGIN"
            connection.commit()
            assert connection._began is None


def test_a_slow_first_statement_still_commits_in_time(notes: str) -> None:
    with deadline.BoundedConnection.connect(notes) as connection, deadline.within(1.0):
        # More than half the time goes to the first statement; the commit, 0.45 s before the
        # deadline, is in time.
        connection.execute("INSERT INTO notes SELECT 'slow' FROM pg_sleep(0.55)")
        connection.commit()
    assert notes_in(notes) == 1


def test_without_the_check_that_commit_would_have_landed(notes: str) -> None:
    # Positive control for the test above: the same hang, a plain COMMIT, and it commits.
    connection = deadline.BoundedConnection.connect(notes)
    backend = connection.info.backend_pid
    try:
        with deadline.within(1.0):
            connection.execute("INSERT INTO notes VALUES ('typed while it hung')")
            os.kill(backend, signal.SIGSTOP)
            with pytest.raises(deadline.DatabaseTooSlow):
                connection.wait(connection._commit_gen())
    finally:
        os.kill(backend, signal.SIGCONT)
    time.sleep(1)
    assert notes_in(notes) == 1
