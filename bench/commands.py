"""`/okr status` and `/okr tree` timed over signed HTTP, beside a no-op command, on SQLite and
PostgreSQL: warm, cold (the chain read from the database), and right after a write, with the
SQL statements each command issues at two sizes of the same workspace.

    python -m bench.commands [--backend sqlite|postgresql|both] [--requests 200] [--scale 1]
                             [--compare-scale 0.1] [--order interleaved|blocks] [--writes 3]

For each backend: generate the workspace (bench/dataset.py) into a fresh database, serve the
real ASGI app (`build_runtime(settings).web_app()`) under uvicorn in a thread, with the fake
Slack Web API behind it (it also receives the posts to `response_url`) and a `/noop` slash
command (a listener that only acks) added to the same Bolt app. The server warms every chain in
the background when it starts; nothing is measured before `chains.wait_idle()` says that is
done. Then signed requests go in as Slack sends them, one at a time:

* cold: the first request after `chains.wait_idle(); chains.clear()` (the median of 3 at
  `--scale`, one at `--compare-scale`). Two times for each: the HTTP acknowledgement (what
  Slack's 3 seconds apply to) and the answer (the post to `response_url` when the command was
  acknowledged with the "working" message and answered later, otherwise the acknowledgement);
* warm: after 10 warm-up rounds, `--requests` requests each of `/noop`, `/okr status
  <objective>` (objectives drawn at random, the same draw every run) and `/okr tree`,
  interleaved by default so the three share the machine's state, latency measured by the
  client around each whole request (signing, connecting, the server, reading the reply), up to
  the answer if one was deferred; the chains the cache rebuilt in the background meanwhile
  (`chains.builds`) are counted;
* after a write (at `--scale`, after the timed rounds): `--writes` times `/okr update <key
  result> <value>` sent as the key result's owner, then at once `/okr status <its objective>`;
  and as often with `chains.wait_idle()` (the background update the write started) between;
* statements: every statement the runtime's engine sends (a `before_cursor_execute` listener)
  until the answer has arrived, the lazy listener's included, for one cold and one warm request
  of each command, at `--scale` and at `--compare-scale`;
* chain builds: how long each build spent reading the blueprints (`load_blueprints`) and in
  `build_chain`, and each in-place update after a write, as the runtime's cache reports them
  through its `on_step` hook;
* garbage collection: the pause of every collection and the thread that ran it (the server
  shares this process), counted against the requests it overlapped.

The second size defaults to 0.1× because 10× takes many minutes to build here (`import_plan` of
10,000 objectives, on each backend). `--compare-scale 10` runs it.

Prints one table and a few lines per backend (progress goes to stderr). PostgreSQL is a
throwaway server started as the test suite starts it (tests/support/postgres.py). Not a test:
nothing fails on a number.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager

from bench import dataset
from bench.harness import (
    BOT_TOKEN,
    SIGNING_SECRET,
    BackendResult,
    Bot,
    Databases,
    SizeResult,
    WriteSample,
    check_recorded,
    served,
)
from bench.report import COLD_SAMPLES, COMMANDS, report
from bench.watch import BACKGROUND, BUILDS, GC, IDLE_SECONDS, say, settle
from bot.logs import configure_logging

WARM_UP_ROUNDS = 10


# -- one backend -----------------------------------------------------------------------------
@contextmanager
def phase(result: BackendResult, name: str) -> Iterator[None]:
    started = time.perf_counter()
    say(f"[{result.backend}] {name} …")
    try:
        yield
    finally:
        result.phases[name] = time.perf_counter() - started
        say(f"[{result.backend}] {name}: {result.phases[name]:.1f} s")


def statements_of(bot: Bot, size: SizeResult, *, cold_samples: int) -> None:
    """Cold (after the background work and chains.clear()) then warm, for each command."""
    objective = bot.objective_keys[len(bot.objective_keys) // 2]
    for command in COMMANDS:
        size.cold[command] = []
        for _ in range(cold_samples):
            settle(bot.runtime.chains)
            bot.runtime.chains.clear()
            size.cold[command].append(bot.send(command, objective))
        settle(bot.runtime.chains)
        size.warm[command] = bot.send(command, objective)
    settle(bot.runtime.chains)


def timed_rounds(bot: Bot, result: BackendResult, requests: int, order: str) -> None:
    chooser = random.Random(dataset.SEED)
    objectives = [chooser.choice(bot.objective_keys) for _ in range(requests + WARM_UP_ROUNDS)]
    for n in range(WARM_UP_ROUNDS):
        for command in COMMANDS:
            bot.send(command, objectives[n])
    result.timed = {command: [] for command in COMMANDS}
    builds, build_mark = bot.runtime.chains.builds, BUILDS.mark()
    started = time.perf_counter()
    if order == "interleaved":
        for n in range(requests):
            rotated = COMMANDS[n % 3:] + COMMANDS[:n % 3]  # no command always goes first
            for command in rotated:
                result.timed[command].append(
                    bot.send(command, objectives[WARM_UP_ROUNDS + n]))
    else:  # blocks: all of one command, then the next
        for command in COMMANDS:
            for n in range(requests):
                result.timed[command].append(
                    bot.send(command, objectives[WARM_UP_ROUNDS + n]))
    result.timed_seconds = time.perf_counter() - started
    result.timed_builds = bot.runtime.chains.builds - builds
    result.timed_build_steps = BUILDS.since(build_mark)
    settle(bot.runtime.chains)


def after_writes(bot: Bot, result: BackendResult, samples: int) -> None:
    """`/okr update` of a key result by its owner, then `/okr status` of its objective: at
    once, and after the background rebuild the update started."""
    chooser = random.Random(f"{dataset.SEED}:writes")
    for n in range(2 * samples):
        waited = n % 2 == 1
        objective = chooser.choice(bot.objective_keys)
        key = f"kr-{objective.removeprefix('obj-')}-1"
        owner = bot.owner_of(key)
        value = round(chooser.uniform(1, 99), 1)  # plausible for every unit (% ≤ 100)
        settle(bot.runtime.chains)
        build_mark = BUILDS.mark()
        update, reply, _ = bot.request(f"update {key} {value}", user=owner)
        check_recorded(key, reply)
        if waited:
            bot.runtime.chains.wait_idle(timeout=IDLE_SECONDS)
        status = bot.send("status", objective)
        settle(bot.runtime.chains)
        rebuild = [step for step in BUILDS.since(build_mark) if step.thread.startswith(BACKGROUND)]
        result.writes.append(WriteSample(waited, update, status, rebuild))


def run_backend(backend: str, *, requests: int, scales: tuple[float, float], order: str,
                writes: int) -> BackendResult:
    databases = Databases(backend)
    result = BackendResult(backend, "")
    try:
        with phase(result, "start the database server"):
            databases.start()
        result.version = databases.version
        for n, scale in enumerate(scales):
            url = databases.fresh(f"workspace-{n}")
            with phase(result, f"build the {scale:g}× workspace"):
                built = dataset.build(url, scale, say=lambda line: say(f"[{backend}] {line}"))
            size = SizeResult(scale, built.size.describe(), built.timings)
            result.sizes.append(size)
            with phase(result, f"serve the {scale:g}× workspace"), \
                    served(url, built.objective_keys, size) as bot:
                say(f"[{backend}] chains warm {size.warm_up_seconds:.1f} s after the start")
                with phase(result, f"cold and warm statements at {scale:g}×"):
                    statements_of(bot, size, cold_samples=COLD_SAMPLES if n == 0 else 1)
                if n == 0:
                    with phase(result, f"{requests} timed rounds at {scale:g}×"):
                        timed_rounds(bot, result, requests, order)
                    if writes:
                        with phase(result, f"{writes}+{writes} updates at {scale:g}×"):
                            after_writes(bot, result, writes)
            databases.drop(url)
    finally:
        databases.stop()
    return result



def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.commands", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per command")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="the workspace to time (1 = 1,000 objectives, 250,000 measurements)")
    parser.add_argument("--compare-scale", type=float, default=0.1,
                        help="the second size, for statement counts and a cold request "
                             "(10 works, but builds for many minutes per backend)")
    parser.add_argument("--order", choices=("interleaved", "blocks"), default="interleaved",
                        help="interleave the three commands (default), or send all of one "
                             "command, then the next")
    parser.add_argument("--writes", type=int, default=3,
                        help="/okr update then /okr status, this many times at once and as "
                             "many after the background rebuild (0: none)")
    args = parser.parse_args(argv)
    if args.requests < 1:
        parser.error("--requests must be at least 1")
    if args.writes < 0:
        parser.error("--writes must be 0 or more")
    # Warnings and errors only: at INFO every request would add a log line to stderr.
    configure_logging("WARNING", [BOT_TOKEN, SIGNING_SECRET])
    GC.start()
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    started = time.perf_counter()
    results = [run_backend(backend, requests=args.requests,
                           scales=(args.scale, args.compare_scale), order=args.order,
                           writes=args.writes)
               for backend in backends]
    report(results, args.requests, args.order, time.perf_counter() - started)


if __name__ == "__main__":
    main()
