"""`okr-bot summary TEAM [--at ISO-TIME] [--post]`: a team's weekly digest in the terminal, as
of now or of an instant (to see what a week looked like); with `--post`, queued to be posted
in the team's channel now (`/okr summary TEAM` does the same from Slack)."""

from __future__ import annotations

import argparse
import sys

from bot.summaries.digest import MISSED, PARTICIPATION_ORDER, Digest


def summary_lines(digest: Digest) -> list[str]:
    """The digest as plain text: the headline, then the detail."""
    start, end = digest.window
    counts = digest.participation
    said = ", ".join(f"{len(counts[state])} {state}" for state in PARTICIPATION_ORDER)
    lines = [f"{digest.team}: the week in OKRs ({digest.cycle}, {start:%a %d %b} – "
             f"{end:%a %d %b})", f"Check-ins: {said}"]
    if counts[MISSED]:
        lines.append("Missed: " + ", ".join(p.name for p in counts[MISSED]))
    statuses = digest.status_counts
    lines.append("Key results and KPIs: " + ", ".join(f"{n} {name}"
                                                     for name, n in statuses.items()))
    lines.append("Turned red: " + (", ".join(n.name for n in digest.turned_red) or "none"))
    lines.append("Back to green: " + (", ".join(n.name for n in digest.recovered) or "none"))
    if digest.north_star is not None:
        lines.append(f"North Star: {digest.north_star.name}: {digest.north_star.health.reason}")
    for objective, moved in digest.objectives:
        lines.append(f"\nObjective {objective.name}: {objective.health.reason}")
        lines += [f"  {m.node.name}: {m.node.health.reason}" for m in moved]
    for title, items in (("Blocked, closest to the North Star first",
                          [f"{b.label} on {b.item.name if b.item else 'nothing in particular'}:"
                           f" {b.text}" for b in digest.blockers]),
                         ("Needs a decision", digest.decisions),
                         ("Reported vs measured", [
                             f"{d.node.name}: confidence {d.confidence.confidence}/10, "
                             f"{d.node.health.reason}" for d in digest.reported_vs_measured]),
                         ("What explains it", digest.explanations),
                         ("Activity–outcome gap", [g.text for g in digest.gaps])):
        if items:
            lines.append(f"\n{title}:")
            lines += [f"  {item}" for item in items]
    for state in PARTICIPATION_ORDER:
        for person in counts[state]:
            if person.answers:
                lines.append(f"\n{person.name} ({state}):")
                lines += [f"  {question}\n    {answer}" for question, answer in person.answers]
    return lines


def run(args: argparse.Namespace, database_url: str) -> int:
    from bot import clock
    from bot.cli.jobs import EXIT_USAGE, UsageError, parse_at
    from bot.db import make_engine, make_session_factory, read_only_session_factory
    from bot.okrs import flows
    from bot.okrs.store.cache import ChainCache
    from bot.summaries import flows as summary_flows
    from bot.summaries import posting

    try:
        at = parse_at(args.at) or clock.now()
    except UsageError as error:
        print(f"okr-bot: {error}", file=sys.stderr)
        return EXIT_USAGE
    engine = make_engine(database_url)
    try:
        if args.post:
            with make_session_factory(engine).begin() as session:
                workspace = flows.workspace(session, args.workspace)
                team = summary_flows.team_to_post(session, workspace.id, flows.Actor.operator(),
                                                  args.team)
                asked = posting.ask_to_post(session, team, at)
            print(f"{team.name}'s digest is queued for <#{team.slack_channel_id}>: a running "
                  "server posts it within the minute (or: okr-bot jobs run post-digests, then "
                  "send-outbox)." if asked else f"{team.name}'s digest was queued already.")
            return 0
        with read_only_session_factory(engine)() as session:
            read = flows.Reading(session, ChainCache(), flows.workspace(session, args.workspace),
                                 at)
            digest = summary_flows.team_digest(read, flows.Actor.operator(), typed=args.team)
    finally:
        engine.dispose()
    print("\n".join(summary_lines(digest)))
    return 0


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    summary = sub.add_parser("summary", help="a team's weekly digest: check-ins, numbers, "
                             "blockers, decisions, answers")
    summary.add_argument("team", help="the team's key or name")
    summary.add_argument("--at", help="as of this instant (ISO 8601 with zone; default now)")
    summary.add_argument("--workspace", help="Slack team id (default: the only workspace)")
    summary.add_argument("--post", action="store_true",
                         help="post it in the team's channel now, with its detail in the thread")
    return summary
