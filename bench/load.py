"""`/okr` under load, on SQLite and PostgreSQL: a mixed run of writes and reads at a steady rate,
and a burst of concurrent writes.

    python -m bench.load [--backend sqlite|postgresql|both] [--scale 1] [--runs 3]
                         [--duration 60] [--rate 10] [--help-rate 5] [--warm-up 10]
                         [--concurrency 200]

For each backend: generate the workspace (bench/dataset.py) into a fresh database and serve the
real app (bench/harness.py), then `--runs` times, one after the other in one sitting:

* mixed: for `--duration` seconds, `--rate` `/okr update <key result> <value>` per second (each
  by its key result's owner, a different key result each time) and `--rate` `/okr status
  <objective>` per second, with `--help-rate` `/okr help` per second beside them as the
  no-op; each request is sent at its scheduled instant from a pool of threads and timed from
  that instant to its acknowledgement (so a server that falls behind shows it). Requests
  scheduled in the first `--warm-up` seconds are not counted. Printed: status p99, help p99 and
  their ratio, update p99, how many status answers were deferred ("working on it"), errors,
  and the chains the cache rebuilt whole meanwhile (in-place updates are counted apart);
* concurrent: `--concurrency` `/okr help` released at once, then as many `/okr update`s (a
  different key result each), released at once: p99 of each, errors, whether every update
  was stored exactly once, and how many transactions answered them (updates that arrive
  together share one, bot/slack/grouped.py).

The median and the spread (min–max) of the runs are printed. Progress goes to stderr. Not a
test: nothing fails on a number. The server runs in this process, beside the client threads.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from sqlalchemy import func, select

from bench import dataset
from bench.harness import (
    BOT_TOKEN,
    SIGNING_SECRET,
    Bot,
    Databases,
    SizeResult,
    check,
    check_recorded,
    served,
)
from bench.watch import GC, percentile, say, settle
from bot.logs import configure_logging
from bot.okrs.method.enums import MetricKind
from bot.okrs.store.models import Measurement, Metric
from bot.slack.blocks.errors import SAVED_ANYWAY
from bot.slack.blocks.working import WORKING_TEXT

# Values every metric of the generated plan accepts (a percentage is at most 100): a refused
# value would be timed as an error, not as a write.
PLAUSIBLE = (1.0, 99.0)


@dataclass
class Timed:
    seconds: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    deferred: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    cpu: float = 0.0  # the process's CPU seconds over a burst (server and clients together)

    def defer(self) -> None:
        with self.lock:
            self.deferred += 1


@dataclass
class Run:
    status: Timed
    help: Timed
    update: Timed
    rebuilds: int = 0  # chains built whole during the run
    updates: int = 0  # chains updated in place during the run
    stored_once: bool = True  # every update acknowledged as recorded or saved: stored once
    stored_refused: int = 0  # updates refused (an apology) that were stored all the same
    saved_late: int = 0  # apologies that say the value was saved, its answer too late for Slack
    transactions: int = 0  # the burst's updates were answered in this many (bot/slack/grouped.py)

    @property
    def ratio(self) -> float:
        return percentile(self.status.seconds, 0.99) / percentile(self.help.seconds, 0.99)


class KeyResults:
    """Key results with their owners, in a fixed random order, handed out one at a time so no
    two updates of a run touch the same one."""

    def __init__(self, bot: Bot, seed: str) -> None:
        with bot.runtime.engine.connect() as connection:
            rows = connection.execute(select(Metric.key, Metric.owner)
                                      .where(Metric.kind == MetricKind.KEY_RESULT)
                                      .order_by(Metric.id)).all()
        self.rows = [(key, owner) for key, owner in rows if owner]
        random.Random(seed).shuffle(self.rows)
        self.next = 0
        self._lock = threading.Lock()

    def take(self) -> tuple[str, str]:
        with self._lock:
            row = self.rows[self.next % len(self.rows)]
            self.next += 1
            return row


def _status(bot: Bot, objective: str, into: Timed, started: float) -> None:
    reply = bot.slack.command(f"status {objective}", response_url=bot.fake.response_url("s"))
    into.seconds.append(time.perf_counter() - started)
    if isinstance(reply.json, dict) and reply.json.get("text") == WORKING_TEXT:
        into.defer()  # answered later through response_url
        return
    try:
        check("status", objective, reply, None)
    except RuntimeError as error:
        into.errors.append(str(error)[:200])


def _help(bot: Bot, into: Timed, started: float) -> None:
    reply = bot.slack.command("help", response_url=bot.fake.response_url("h"))
    into.seconds.append(time.perf_counter() - started)
    if reply.status != 200:
        into.errors.append(f"help: HTTP {reply.status}")


# SAVED: the apology for an answer that came too late for Slack, the value committed all the
# same: an error to time, but a stored value, not a refused one.
RECORDED, SAVED, REFUSED = "recorded", "saved", "refused"


def _update(bot: Bot, key: str, owner: str, value: float, into: Timed, started: float) -> str:
    """RECORDED, SAVED (an apology saying it was saved) or REFUSED."""
    reply = bot.slack.command(f"update {key} {value}", user_id=owner,
                              response_url=bot.fake.response_url("u"))
    into.seconds.append(time.perf_counter() - started)
    try:
        check_recorded(key, reply)
    except RuntimeError as error:
        into.errors.append(str(error)[:200])
        return SAVED if SAVED_ANYWAY in reply.body else REFUSED
    return RECORDED


def _counts(bot: Bot) -> tuple[int, int]:
    return bot.runtime.chains.builds, bot.runtime.chains.updates


def mixed(bot: Bot, results: KeyResults, *, duration: float, rate: float, help_rate: float,
          warm_up: float, seed: str) -> Run:
    chooser = random.Random(seed)
    run = Run(Timed(), Timed(), Timed())
    scratch = Run(Timed(), Timed(), Timed())  # what warm-up requests measured: not reported
    schedule: list[tuple[float, Callable[[Timed, float], None], str]] = []
    for n in range(int(duration * rate)):
        at = n / rate
        key, owner = results.take()
        value = round(chooser.uniform(*PLAUSIBLE), 1)
        objective = chooser.choice(bot.objective_keys)
        schedule.append((at, lambda t, s, k=key, o=owner, v=value: _update(bot, k, o, v, t, s),
                         "update"))
        schedule.append((at + 0.5 / rate,
                         lambda t, s, o=objective: _status(bot, o, t, s), "status"))
    for n in range(int(duration * help_rate)):
        schedule.append((n / help_rate + 0.25 / help_rate, lambda t, s: _help(bot, t, s), "help"))
    schedule.sort(key=lambda item: item[0])
    before = _counts(bot)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=64, thread_name_prefix="bench-client") as pool:
        for at, send, kind in schedule:
            delay = started + at - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            target = run if at >= warm_up else scratch
            pool.submit(send, getattr(target, kind), started + at)
        after = _counts(bot)
    run.rebuilds, run.updates = after[0] - before[0], after[1] - before[1]
    return run


def concurrent(bot: Bot, results: KeyResults, *, concurrency: int, seed: str) -> Run:
    chooser = random.Random(seed)
    run = Run(Timed(), Timed(), Timed())

    def burst(send: Callable[[int, float], None]) -> None:
        gate = threading.Barrier(concurrency)

        def one(n: int) -> None:
            gate.wait(timeout=60)
            send(n, time.perf_counter())

        threads = [threading.Thread(target=one, args=(n,)) for n in range(concurrency)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=600)

    def cpu_of(work: Callable[[], None]) -> float:
        # One interpreter runs the server and the clients: the burst's CPU over its requests
        # is what each costs, and with the interpreter the bottleneck, what the p99 follows.
        before = os.times()
        work()
        after = os.times()
        return (after.user - before.user) + (after.system - before.system)

    run.help.cpu = cpu_of(lambda: burst(lambda _n, started: _help(bot, run.help, started)))
    settle(bot.runtime.chains)
    writes = [(*results.take(), round(chooser.uniform(*PLAUSIBLE), 1) + 0.01)
              for _ in range(concurrency)]
    before = _counts(bot)
    grouped = bot.runtime.grouped
    groups_before = grouped.groups if grouped is not None else 0
    recorded: dict[int, str] = {}
    run.update.cpu = cpu_of(lambda: burst(
        lambda n, started: recorded.__setitem__(n, _update(bot, *writes[n], run.update,
                                                           started))))
    settle(bot.runtime.chains)
    after = _counts(bot)
    run.rebuilds, run.updates = after[0] - before[0], after[1] - before[1]
    run.transactions = grouped.groups - groups_before if grouped is not None else 0
    with bot.runtime.engine.connect() as connection:
        for n, (key, _owner, value) in enumerate(writes):
            stored = connection.execute(
                select(func.count()).select_from(Measurement).join(Metric)
                .where(Metric.key == key, Measurement.value == value)).scalar_one()
            outcome = recorded.get(n, REFUSED)
            run.saved_late += outcome == SAVED
            if outcome != REFUSED:
                run.stored_once = run.stored_once and stored == 1
            else:
                run.stored_refused += stored
    return run


def spread(values: list[float], unit: str = " ms", scale: float = 1000.0) -> str:
    if not values:
        return "–"
    shown = [f"{v * scale:,.1f}" for v in (statistics.median(values), min(values), max(values))]
    return (f"{shown[0]}{unit} ({shown[1]}–{shown[2]})" if len(values) > 1
            else f"{shown[0]}{unit}")


def p99s(runs: list[Run], part: str) -> list[float]:
    return [percentile(getattr(r, part).seconds, 0.99) for r in runs if getattr(r, part).seconds]


def report_mixed(label: str, runs: list[Run], args: argparse.Namespace) -> str:
    counted = args.duration - args.warm_up
    return (f"{label} mixed ({args.rate:g} updates/s + {args.rate:g} status/s + "
            f"{args.help_rate:g} help/s for {args.duration:g} s, the first {args.warm_up:g} s "
            f"not counted; median (min–max) of {len(runs)}): status p99 "
            f"{spread(p99s(runs, 'status'))}, help p99 {spread(p99s(runs, 'help'))}, "
            f"ratio {spread([r.ratio for r in runs], '×', 1)}; update p99 "
            f"{spread(p99s(runs, 'update'))}; deferred status answers after warm-up "
            f"{[r.status.deferred for r in runs]} of ~{int(counted * args.rate)} each; errors "
            f"{[len(r.status.errors) + len(r.help.errors) + len(r.update.errors) for r in runs]}"
            f"; chains rebuilt whole {[r.rebuilds for r in runs]}, updated in place "
            f"{[r.updates for r in runs]}"
            + _first_error(runs))


def report_concurrent(label: str, runs: list[Run], concurrency: int) -> str:
    ratios = [percentile(r.update.seconds, 0.99) / percentile(r.help.seconds, 0.99)
              for r in runs]
    return (f"{label} {concurrency} concurrent (median (min–max) of {len(runs)}): update p99 "
            f"{spread(p99s(runs, 'update'))}, help p99 {spread(p99s(runs, 'help'))}, ratio "
            f"{spread(ratios, '×', 1)}; CPU per request (server and client) update "
            f"{spread([r.update.cpu / concurrency for r in runs], ' ms', 1000)}, help "
            f"{spread([r.help.cpu / concurrency for r in runs], ' ms', 1000)}; errors "
            f"{[len(r.update.errors) + len(r.help.errors) for r in runs]}; acks over 3 s "
            f"{[sum(s > 3 for s in r.update.seconds) for r in runs]}; apologies that "
            f"say it was saved {[r.saved_late for r in runs]}; every recorded or saved update "
            f"stored once: {all(r.stored_once for r in runs)}, refused ones stored "
            f"{[r.stored_refused for r in runs]}; transactions for the updates "
            f"{[r.transactions for r in runs]}; chains rebuilt whole "
            f"{[r.rebuilds for r in runs]}" + _first_error(runs))


def _first_error(runs: list[Run]) -> str:
    errors = [e for r in runs for t in (r.status, r.help, r.update) for e in t.errors]
    return f"; first error: {errors[0]}" if errors else ""


def run_backend(backend: str, args: argparse.Namespace) -> list[str]:
    databases = Databases(backend)
    lines = []
    try:
        databases.start()
        url = databases.fresh("load")
        built = dataset.build(url, args.scale, say=lambda line: say(f"[{backend}] {line}"))
        size = SizeResult(args.scale, built.size.describe(), built.timings)
        with served(url, built.objective_keys, size) as bot:
            say(f"[{backend}] chains warm {size.warm_up_seconds:.1f} s after the start")
            results = KeyResults(bot, f"{dataset.SEED}:load")
            label = f"{backend} {args.scale:g}× ({databases.version}):"
            mixed_runs, burst_runs = [], []
            for n in range(args.runs):
                if args.duration > 0:
                    say(f"[{backend}] mixed run {n + 1} …")
                    mixed_runs.append(mixed(bot, results, duration=args.duration,
                                            rate=args.rate, help_rate=args.help_rate,
                                            warm_up=args.warm_up, seed=f"{dataset.SEED}:{n}"))
                    say(report_mixed(label, mixed_runs[-1:], args))  # kept if a later run dies
                    settle(bot.runtime.chains)
                if args.concurrency > 0:
                    say(f"[{backend}] {args.concurrency} concurrent, run {n + 1} …")
                    burst_runs.append(concurrent(bot, results, concurrency=args.concurrency,
                                                 seed=f"{dataset.SEED}:burst:{n}"))
                    say(report_concurrent(label, burst_runs[-1:], args.concurrency))
            if mixed_runs:
                lines.append(report_mixed(label, mixed_runs, args))
            if burst_runs:
                lines.append(report_concurrent(label, burst_runs, args.concurrency))
        databases.drop(url)
    finally:
        databases.stop()
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="1 = 1,000 objectives, 250,000 measurements; 10 = 10,000 and 2.5 M")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=float, default=60.0,
                        help="seconds of mixed load per run (0: no mixed run)")
    parser.add_argument("--rate", type=float, default=10.0,
                        help="updates per second, and as many status requests")
    parser.add_argument("--help-rate", type=float, default=5.0,
                        help="/okr help per second beside them, the no-op")
    parser.add_argument("--warm-up", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=200,
                        help="concurrent updates (and helps) in a burst (0: no burst)")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.rate <= 0 or args.help_rate <= 0:
        parser.error("--runs, --rate and --help-rate must be positive")
    if args.warm_up >= args.duration > 0:
        parser.error("--warm-up must be shorter than --duration")
    configure_logging("WARNING", [BOT_TOKEN, SIGNING_SECRET])
    GC.start()
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    for backend in backends:
        for line in run_backend(backend, args):
            print(line, flush=True)


if __name__ == "__main__":
    main()
