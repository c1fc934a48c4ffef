"""The table and lines `python -m bench.commands` prints."""

from __future__ import annotations

import itertools
import os
import platform
import statistics

from bench.harness import SLACK_SECONDS, BackendResult, SizeResult
from bench.watch import BuildStep, Sent, Statement, ms, percentile, spread
from bot.okrs.store.cache import REFRESH_SECONDS

COMMANDS = ("noop", "status", "tree")
LABELS = {"noop": "/noop (ack only)", "status": "/okr status <objective>", "tree": "/okr tree"}
COLD_SAMPLES = 3  # cold requests per command at the base size (median reported)

# Issue 8: a warm /okr status within 2× the no-op p99 (and /okr tree within 3×).
STATUS_AIM = 2


# -- the table -------------------------------------------------------------------------------
def statement_cell(size: SizeResult, command: str) -> str:
    return f"{len(size.cold[command][0].statements)}/{len(size.warm[command].statements)}"


def deferred_cell(sent: list[Sent]) -> str:
    return f"{sum(s.deferred for s in sent)} of {len(sent)}"


def table(results: list[BackendResult]) -> list[str]:
    base, other = results[0].sizes[0].scale, results[0].sizes[1].scale
    head = ["backend", "command", "p50 ms", "p99 ms", "p99 / no-op p99",
            f"cold ack ms ({base:g}×)", f"cold answer ms ({base:g}×)", f"deferred ({base:g}×)",
            f"cold ack ms ({other:g}×)", f"cold answer ms ({other:g}×)",
            f"deferred ({other:g}×)", f"statements cold/warm {base:g}×",
            f"statements cold/warm {other:g}×"]
    rows = []
    for result in results:
        floor = percentile([s.answer_seconds for s in result.timed["noop"]], 0.99)
        for command in COMMANDS:
            seconds = [s.answer_seconds for s in result.timed[command]]
            p99 = percentile(seconds, 0.99)
            cold, cold_other = result.sizes[0].cold[command], result.sizes[1].cold[command]
            rows.append([
                result.backend, LABELS[command], ms(percentile(seconds, 0.5)), ms(p99),
                f"{p99 / floor:.2f}×",
                ms(statistics.median(s.seconds for s in cold)),
                ms(statistics.median(s.answer_seconds for s in cold)), deferred_cell(cold),
                ms(statistics.median(s.seconds for s in cold_other)),
                ms(statistics.median(s.answer_seconds for s in cold_other)),
                deferred_cell(cold_other),
                statement_cell(result.sizes[0], command), statement_cell(result.sizes[1], command)])
    widths = [max(len(str(row[i])) for row in [head, *rows]) for i in range(len(head))]
    right = set(range(2, len(head)))

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(str(c).rjust(w) if i in right else str(c).ljust(w)
                                 for i, (c, w) in enumerate(zip(cells, widths, strict=True))) + " |"

    out = [line(head), "|" + "|".join(("-" * (w + 1)) + (":" if i in right else "-")
                                      for i, w in enumerate(widths)) + "|"]
    out += [line(row) for row in rows]
    return out


def without_gc(sent: list[Sent]) -> float:
    """p99 of the latencies with the collector's pauses inside each request subtracted."""
    return percentile([s.answer_seconds - s.gc_seconds for s in sent], 0.99)


def statement_kinds(statements: list[Statement]) -> str:
    """What the statements were, in order, with their time: `SELECT metrics 80.0`, …"""
    names = []
    for statement in statements:
        words = statement.sql.split()
        verb = words[0].upper() if words else "?"
        if verb == "SELECT":
            tables = [words[i + 1].strip('"(),') for i, w in enumerate(words[:-1])
                      if w.upper() in ("FROM", "JOIN") and words[i + 1][0] != "("]
            if "measurements" in tables:
                name = "SELECT measurements"  # the last 12 of every metric
            elif "count(" in statement.sql.lower():
                name = f"SELECT count {tables[0] if tables else '?'}"
            else:
                name = f"SELECT {tables[0] if tables else '(subquery)'}"
        else:
            name = " ".join(words[:2]).upper()
        names.append(f"{name} {ms(statement.seconds)}")
    return ", ".join(names)


def sql_seconds(statements: list[Statement]) -> float:
    return sum(s.seconds for s in statements)


def step_seconds(builds: list[BuildStep], step: str) -> float:
    return sum(b.seconds for b in builds if b.step == step)


def steps(builds: list[BuildStep]) -> str:
    """`load_blueprints 1,234.5 ms + build_chain 456.7 ms` (summed if more than one build), or
    the in-place updates' time."""
    load, build = step_seconds(builds, "load"), step_seconds(builds, "build")
    updates = [b for b in builds if b.step == "update"]
    if not builds:
        return "no build"
    parts = []
    if load:
        parts.append(f"load_blueprints {ms(load)} ms + build_chain {ms(build)} ms")
    elif build:
        parts.append(f"build_chain {ms(build)} ms (no database)")
    if updates:
        parts.append(f"{len(updates)} in-place update{'s' if len(updates) != 1 else ''} "
                     f"{ms(sum(u.seconds for u in updates))} ms")
    return "; ".join(parts)


def cold_line(label: str, sent: Sent) -> str:
    how = "deferred" if sent.deferred else "answered in the ack"
    own = sent.own_statements
    ack_thread = own[0].thread if own else ""
    in_ack = sum(1 for s in own if s.thread == ack_thread)
    where = (f" ({in_ack} in the ack's thread, {len(own) - in_ack} in the lazy listener's)"
             if sent.deferred else "")
    full = [c for c in sent.collections if c.generation == 2]
    paused = (f"{len(full)} full garbage collection{'s' if len(full) != 1 else ''} "
              f"({ms(sum(c.seconds for c in full))} ms; "
              f"{sum(c.background for c in full)} in the chain cache's thread)"
              ) if full else "no full garbage collection"
    return (f"  {label}: ack {ms(sent.seconds)} ms, answer {ms(sent.answer_seconds)} ms "
            f"({how}); {steps(sent.builds)}; {paused} before the answer; "
            f"{len(own)} statements{where}, "
            f"{ms(sql_seconds(own))} ms inside cursor.execute (ms each): "
            f"{statement_kinds(own)}")


def write_line(result: BackendResult) -> str:
    parts = []
    for waited, label in ((False, "at once"), (True, "after chains.wait_idle()")):
        samples = [w for w in result.writes if w.waited == waited]
        if not samples:
            continue
        status = [w.status for w in samples]
        parts.append(f"{label}: deferred {sum(s.deferred for s in status)} of {len(status)}, "
                     f"ack {spread([s.seconds for s in status])}, "
                     f"answer {spread([s.answer_seconds for s in status])}, "
                     f"statements {'/'.join(str(len(s.own_statements)) for s in status)}, "
                     f"garbage collection inside them {ms(sum(s.gc_seconds for s in status))} ms")
    rebuilds = [w.rebuild for w in result.writes]
    update = [w.update.seconds for w in result.writes]
    return (f"  after /okr update (ack {spread(update)}), the next /okr status of its objective "
            + "; ".join(parts)
            + "; the background work each write started: in-place update "
            + spread([step_seconds(r, "update") for r in rebuilds])
            + f", whole rebuilds {sum(1 for r in rebuilds if step_seconds(r, 'load'))}")


def slow_acks(result: BackendResult) -> list[str]:
    """Every request whose acknowledgement took longer than Slack waits."""
    everything = [("timed " + c, s) for c, sent in result.timed.items() for s in sent]
    for size in result.sizes:
        everything += [(f"cold {c} {size.scale:g}×", s) for c, sent in size.cold.items()
                       for s in sent]
        everything += [(f"warm {c} {size.scale:g}×", s) for c, s in size.warm.items()]
    everything += [("status after a write", w.status) for w in result.writes]
    everything += [("update", w.update) for w in result.writes]
    return [f"{label} {ms(s.seconds)} ms" for label, s in everything
            if s.seconds > SLACK_SECONDS]


def report(results: list[BackendResult], requests: int, order: str,
           total_seconds: float) -> None:
    print(f"okr-bot benchmark · {platform.python_implementation()} {platform.python_version()} · "
          f"{os.cpu_count()} CPUs · {platform.platform(terse=True)} · "
          + " · ".join(r.version for r in results))
    for result in results[:1]:
        for size in result.sizes:
            print(f"workspace {size.description}")
    how = ("the three commands interleaved" if order == "interleaved"
           else "all of one command, then the next")
    print(f"{requests} signed HTTP requests per command, one at a time, {how}; latency "
          "measured by the client until the answer (the ack, or the response_url post when "
          "deferred); p50/p99 nearest rank. Cold: after chains.wait_idle(); chains.clear(); "
          f"median of {COLD_SAMPLES} at {results[0].sizes[0].scale:g}×, one at "
          f"{results[0].sizes[1].scale:g}×.")
    print()
    for line in table(results):
        print(line)
    print()
    for result in results:
        floor = percentile([s.answer_seconds for s in result.timed["noop"]], 0.99)
        status = percentile([s.answer_seconds for s in result.timed["status"]], 0.99)
        verdict = "within" if status <= STATUS_AIM * floor else "NOT within"
        timed = result.timed
        print(f"{result.backend}: /okr status p99 is {status / floor:.2f}× the no-op p99 — "
              f"{verdict} the {STATUS_AIM:g}× aim. {3 * requests} timed requests took "
              f"{result.timed_seconds:.1f} s; deferred among them: "
              + ", ".join(f"{c} {sum(s.deferred for s in timed[c])}" for c in COMMANDS)
              + f"; chains built in the background meanwhile: {result.timed_builds}"
              + (f" ({steps(result.timed_build_steps)})" if result.timed_builds else "")
              + f" (a chain older than {REFRESH_SECONDS:g} s is recomputed behind the request).")
        base = result.sizes[0]
        print("  start-up: chains warm "
              + ", ".join(f"{s.warm_up_seconds:.1f} s after the server started at {s.scale:g}× "
                          f"({s.warm_up_builds} build{'s' if s.warm_up_builds != 1 else ''}, "
                          f"{s.frozen:,} objects frozen)" for s in result.sizes))
        full = [c for sent in itertools.chain(*timed.values())
                for c in sent.collections if c.generation == 2]
        print(f"  garbage collection during the timed requests: {len(full)} full collections"
              + (f" ({sum(c.background for c in full)} in the chain cache's thread), "
                 f"{max(c.seconds for c in full) * 1000:.0f} ms the longest" if full else "")
              + "; requests that paid for one: "
              + ", ".join(f"{c} {sum(s.full_collections > 0 for s in timed[c])}"
                          for c in COMMANDS)
              + "; p99 with all GC pauses taken out: "
              + ", ".join(f"{c} {ms(without_gc(timed[c]))} ms" for c in COMMANDS))
        for size in result.sizes:
            cold = sorted(size.cold["status"], key=lambda s: s.answer_seconds)
            print(cold_line(f"cold /okr status at {size.scale:g}× (the median one)",
                            cold[len(cold) // 2]))
        warm = base.warm["status"]
        print(f"  warm /okr status: {ms(warm.answer_seconds)} ms, "
              f"{ms(sql_seconds(warm.statements))} ms of it inside cursor.execute (ms each): "
              f"{statement_kinds(warm.statements)}")
        if result.writes:
            print(write_line(result))
        slow = slow_acks(result)
        print(f"  acknowledgements slower than Slack's {SLACK_SECONDS:g} s: "
              + (", ".join(slow) if slow else "none"))
        print("  phases: " + ", ".join(f"{name} {seconds:.0f} s"
                                       for name, seconds in result.phases.items()))
    print(f"whole run: {total_seconds / 60:.1f} min")

