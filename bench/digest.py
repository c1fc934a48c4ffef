"""How long a team's digest takes to build, and how many SQL statements, as the data grows
(issue 10, item 9): the benchmark workspace at each `--scales` (1: 1,000 objectives, 5,000 key
results, 250,000 measurements), one team of `--people` people (200) owning every objective,
each with a check-in round and answers in the week. Printed per scale: the digest built
(`bot.summaries.flows.team_digest`, from a warm chain as a served bot has it) and rendered
(headline and thread parts), median and spread of `--runs`, and the statements it sent.

    .venv/bin/python -m bench.digest [--scales 0.5,1] [--people 200] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update

from bench import dataset
from bench.watch import StatementCounter
from bot import clock
from bot.checkins import answering
from bot.checkins.rounds import CheckinAnswer, CheckinRound
from bot.db import make_engine, make_session_factory
from bot.okrs import flows
from bot.okrs.store.cache import ChainCache
from bot.okrs.store.models import Objective
from bot.people.models import Person, Team, TeamMembership, TeamRole, Workspace
from bot.slack.blocks.digest import detail_parts, headline
from bot.summaries.flows import team_digest

TEAM = "bench-digest"


def add_team(url: str, people: int) -> None:
    """A team of `people` (new people, one of them its manager) owning every objective, each
    member with this week's round answered (every fourth missed)."""
    now = clock.now()
    engine = make_engine(url)
    try:
        with make_session_factory(engine).begin() as session:
            workspace = session.scalars(select(Workspace).where(
                Workspace.slack_team_id == dataset.TEAM_ID)).one()
            team = Team(workspace_id=workspace.id, key=TEAM, name="Bench digest team",
                        slack_channel_id="C0BENCH01")
            session.add(team)
            session.flush()
            questions = answering.question_set(session, workspace, now)
            for n in range(people):
                uid = f"U0D{n:07d}"
                person = Person(workspace_id=workspace.id, slack_user_id=uid,
                                real_name=f"Person {n}")
                session.add(person)
                session.flush()
                session.add(TeamMembership(team_id=team.id, person_id=person.id,
                                           role=TeamRole.MANAGER if n == 0 else TeamRole.MEMBER))
                missed = n % 4 == 3
                row = CheckinRound(workspace_id=workspace.id, slack_user_id=uid,
                                   cycle="bench", due_at=now - timedelta(days=3),
                                   closes_at=now - timedelta(days=1),
                                   status="missed" if missed else "answered",
                                   answered_at=None if missed else now - timedelta(days=2))
                session.add(row)
                session.flush()
                if not missed:
                    session.add(CheckinAnswer(
                        workspace_id=workspace.id, slack_user_id=uid, round_id=row.id,
                        question_set_id=questions.id, part=1, submission_key=f"bench-{n}",
                        submitted_at=now - timedelta(days=2),
                        answers={"accomplished": f"Moved item {n} forward",
                                 "priorities": "The next one", "blockers": ""}))
            session.execute(update(Objective).where(Objective.workspace_id == workspace.id)
                            .values(team_id=team.id))
    finally:
        engine.dispose()


def measure(url: str, runs: int) -> dict[str, object]:
    engine = make_engine(url)
    counter = StatementCounter(engine)
    chains = ChainCache()
    factory = make_session_factory(engine)
    try:
        with factory() as session:  # warm: a served bot keeps the chain built
            workspace = flows.workspace(session, dataset.TEAM_ID)
            chains.chain(session, workspace, clock.now())
        built, rendered, statements = [], [], []
        digest = None
        for _ in range(runs):
            with factory() as session:
                mark = counter.mark()
                started = time.perf_counter()
                read = flows.Reading(session, chains, flows.workspace(session, dataset.TEAM_ID),
                                     clock.now())
                digest = team_digest(read, flows.Actor.operator(), typed=TEAM)
                built.append(time.perf_counter() - started)
                statements.append(len(counter.since(mark)))
            started = time.perf_counter()
            parts = [headline(digest), *detail_parts(digest, now=clock.now())]
            rendered.append(time.perf_counter() - started)
        assert digest is not None
        key_results = sum(len(moved) for _objective, moved in digest.objectives)
        return {"built": built, "rendered": rendered, "statements": statements,
                "objectives": len(digest.objectives), "key_results": key_results,
                "people": sum(len(p) for p in digest.participation.values()),
                "parts": len(parts), "blocks": sum(len(p["blocks"]) for p in parts)}
    finally:
        chains.close()
        engine.dispose()


def spread(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return f"{statistics.median(ms):,.0f} ms ({min(ms):,.0f}–{max(ms):,.0f})"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="0.5,1", help="dataset scales, comma-separated")
    parser.add_argument("--people", type=int, default=200, help="people in the team")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    for scale in (float(s) for s in args.scales.split(",")):
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / 'bench.db'}"
            dataset.build(url, scale, say=lambda *_: None)
            add_team(url, args.people)
            got = measure(url, args.runs)
        print(f"scale {scale:g}: a team of {got['people']} people, {got['objectives']:,} "
              f"objectives, {got['key_results']:,} key results: built in "
              f"{spread(got['built'])} with {sorted(set(got['statements']))} SQL statements; "
              f"rendered in {spread(got['rendered'])} as {got['parts']} messages "
              f"({got['blocks']:,} blocks)", flush=True)


if __name__ == "__main__":
    main()
