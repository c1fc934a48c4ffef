"""A team's digest as Slack messages: the headline (who answered, how the team's numbers stand,
what changed, the North Star), then the detail, in parts that each fit one message (at most
50 blocks, sections within 3,000 characters). People who missed are named, never
@-mentioned. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.okrs.method.chain import ChainNode
from bot.okrs.method.health import format_value
from bot.slack.blocks.blocker_text import entry_text
from bot.slack.blocks.charts import trend_chart
from bot.slack.blocks.mrkdwn import context, escape, fallback, header, section
from bot.slack.blocks.packing import packed
from bot.slack.blocks.visuals import sparkline, status_mark
from bot.summaries.digest import MISSED, PARTICIPATION_ORDER, Digest, Moved

MAX_PART_BLOCKS = 45  # of Slack's 50 per message, room for a part's own header and context
WHOLE = 10_000  # sections a list may take: the detail is split into messages, never cut


def _mark(node: ChainNode) -> str:
    return status_mark(node.health.status, node.health.stale)


def _value(node: ChainNode, value: float | None) -> str:
    spec = node.blueprint.metric
    return "—" if value is None or spec is None else format_value(value, spec.unit)


def _names(nodes: Sequence[ChainNode]) -> str:
    return ", ".join(escape(n.name) for n in nodes) or "none"


def headline(digest: Digest) -> dict:
    """The message posted in the team's channel (or shown first in a preview)."""
    counts = digest.participation
    said = ", ".join(f"{len(counts[state])} {state}" for state in PARTICIPATION_ORDER
                     if counts[state] or state != "still open")
    missed = ", ".join(escape(p.name) for p in counts[MISSED])
    statuses = digest.status_counts
    numbers = (f"🟢 {statuses['green']} · 🟡 {statuses['yellow']} · 🔴 {statuses['red']} · "
               f"stale {statuses['stale']} · no data {statuses['no data']}")
    start, end = digest.window
    lines = [f"*Check-ins* ({digest.cycle}, {start:%a %-d %b} – {end:%a %-d %b}): {said}"
             + (f". Missed: {missed}" if missed else ""),
             f"*Key results and KPIs:* {numbers}",
             f"*Since {digest.since:%a %-d %b}* · *turned red:* {_names(digest.turned_red)} · "
             f"*back to green:* "
             f"{_names(digest.recovered)} · *New blockers:* "
             f"{', '.join(b.label for b in digest.new_blockers) or 'none'}"]
    star = digest.north_star
    if star is not None:
        values = [m.value for m in star.blueprint.measurements]
        trend = sparkline(values)
        lines.append(f"*North Star:* {_mark(star)} {escape(star.name)}: "
                     f"{escape(_value(star, star.health.value))}"
                     + (f"  {trend}" if trend else ""))
    if digest.decisions:
        lines.append(f"*Needs a decision:* {len(digest.decisions)} (in the thread)")
    blocks = [header(f"{digest.team}: the week in OKRs"), section("\n".join(lines)),
              context("The detail is in the thread: objectives, blockers, answers.")]
    return {"text": fallback(f"{digest.team}: {said}; {numbers}"), "blocks": blocks}


def _moved_line(moved: Moved) -> str:
    node = moved.node
    old, new = _value(node, moved.before), _value(node, node.health.value)
    change = f"{escape(old)} → *{escape(new)}*" if old != new else f"*{escape(new)}*, unchanged"
    trend = sparkline([m.value for m in node.blueprint.measurements])
    return (f"{_mark(node)} {escape(node.name)}: {change}" + (f"  {trend}" if trend else "")
            + f"\n      _{escape(node.health.reason)}_")


def detail_parts(digest: Digest, *, now: datetime) -> list[dict]:
    """The thread: each part one message, the whole detail over as many as it takes."""
    blocks: list[dict] = []
    for objective, moved in digest.objectives:
        lines = [_moved_line(m) for m in moved] or ["_no key results_"]
        blocks += packed(lines, title=f"{_mark(objective)} *{escape(objective.name)}*",
                         more_hint="", max_sections=WHOLE)
        # Every red and yellow key result drawn: the thread takes as many messages as it needs.
        for m in moved:
            if m.node.health.status.value in ("red", "yellow") \
                    and (chart := trend_chart(m.node)) is not None:
                blocks.append(chart)
    if digest.kpis_in_trouble:
        blocks += packed([f"{_mark(k)} {escape(k.name)}: _{escape(k.health.reason)}_"
                          for k in digest.kpis_in_trouble], title="*KPIs in trouble*",
                         more_hint="", max_sections=WHOLE)
        blocks += [chart for k in digest.kpis_in_trouble
                   if (chart := trend_chart(k)) is not None]
    if digest.blockers:
        blocks += packed([entry_text(b, now=now) for b in digest.blockers],
                         title="*Blocked*, closest to the North Star first",
                         more_hint="", max_sections=WHOLE)
    for title, lines in (
            ("*Needs a decision*", digest.decisions),
            ("*Red alerts told to owners*", digest.alerts),
            ("*Reported vs measured*", [
                f"{escape(d.node.name)}: confidence {d.confidence.confidence}/10 from "
                f"<@{d.confidence.reported_by}>, measured {escape(d.node.health.reason)}"
                for d in digest.reported_vs_measured]),
            ("*What explains it*", digest.explanations),
            ("*Activity–outcome gap*", [g.text for g in digest.gaps])):
        if lines:
            blocks += packed([escape(line) if title != "*Reported vs measured*" else line
                              for line in lines], title=title, more_hint="",
                              max_sections=WHOLE)
    answered = [p for state in PARTICIPATION_ORDER for p in digest.participation[state]
                if p.answers]
    for person in answered:
        blocks += packed([f"_{escape(q)}_\n{escape(a)}" for q, a in person.answers],
                         title=f"*{escape(person.name)}*", more_hint="", max_sections=WHOLE)
    return [{"text": fallback(f"{digest.team}: detail, part {n + 1}"),
             "blocks": blocks[i:i + MAX_PART_BLOCKS]}
            for n, i in enumerate(range(0, len(blocks), MAX_PART_BLOCKS))]


def preview(digest: Digest, *, now: datetime) -> list[dict]:
    """The digest as the asker alone sees it: the headline, then the detail's parts."""
    return [headline(digest), *detail_parts(digest, now=now)]


def late_answer(name: str, answers: Sequence[tuple[str, str]]) -> dict:
    """A check-in answered after the digest went out, added to its thread, marked late."""
    lines = [f"_{escape(question)}_\n{escape(answer)}" for question, answer in answers]
    blocks = packed(lines or ["_nothing written_"], title=f"*{escape(name)}* (late)",
                    more_hint="", max_sections=WHOLE)
    return {"text": fallback(f"{name} checked in late"), "blocks": blocks[:MAX_PART_BLOCKS]}


def manager_dm(digest: Digest, *, person: str) -> dict:
    """A manager's DM: their reporting line's headline, then what asks for them: decisions,
    reported vs measured, activity–outcome gaps; the rest is a command away."""
    head = headline(digest)
    blocks = head["blocks"][:2]
    for title, lines in (("*Needs a decision*", [escape(d) for d in digest.decisions]),
                         ("*Reported vs measured*", [
                             f"{escape(d.node.name)}: confidence {d.confidence.confidence}/10 "
                             f"from <@{d.confidence.reported_by}>, measured "
                             f"{escape(d.node.health.reason)}"
                             for d in digest.reported_vs_measured]),
                         ("*Activity–outcome gap*", [escape(g.text) for g in digest.gaps])):
        if lines:
            blocks += packed(lines, title=title, more_hint=f"see `/okr summary <@{person}>`",
                             max_sections=4)
    blocks = blocks[:MAX_PART_BLOCKS]
    blocks.append(context(f"The whole week of your reporting line: `/okr summary <@{person}>`"))
    return {"text": head["text"], "blocks": blocks}
