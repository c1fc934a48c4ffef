"""`/okr status`: an objective's key results and health, with its causal chain. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time

from bot.checkins.blocker_rules import BlockerEntry
from bot.checkins.confidence import HIGHEST, Confidence
from bot.okrs.method.chain import Chain, ChainNode, path_up
from bot.okrs.method.diagnosis import BrokenLink
from bot.okrs.method.enums import BandMode, Direction, Status
from bot.okrs.method.health import Bands, MetricSpec, format_value
from bot.okrs.views import objective_parts
from bot.slack.blocks.blocker_text import ago, entry_text
from bot.slack.blocks.charts import trend_chart
from bot.slack.blocks.mrkdwn import context, escape, fallback, header, section
from bot.slack.blocks.packing import packed
from bot.slack.blocks.share import share_button
from bot.slack.blocks.visuals import progress_bar, progress_label, sparkline, status_mark

MAX_KEY_RESULTS = 20
MAX_CHARTS = 3  # 4 + 20 + 3 + the rest (at most 14) stays under Slack's 50 blocks
TROUBLE = (Status.RED, Status.YELLOW)
BLOCKER_CLIP = 200  # characters of each blocker's words; `/okr blockers` shows more


def mark(node: ChainNode) -> str:
    return status_mark(node.health.status, node.health.stale)


def _days(start: date | None, end: date | None, today: date) -> str:
    if end is None:
        return ""
    span = f"{start:%-d %b} → {end:%-d %b %Y}" if start else f"due {end:%-d %b %Y}"
    left = (end - today).days
    if left > 1:
        return f"{span} · {left} days left"
    if left in (0, 1):
        return f"{span} · {'ends today' if left == 0 else '1 day left'}"
    return f"{span} · ended {-left} days ago"


def _value_line(node: ChainNode) -> str:
    spec = node.blueprint.metric
    if spec is None:
        return ""
    measurements = node.blueprint.measurements
    values = [m.value for m in measurements]
    latest = measurements[-1] if measurements else None
    current = format_value(latest.value, spec.unit, latest.decimals) if latest else "—"
    target = format_value(spec.target, spec.unit) if spec.target is not None else "—"
    progress = node.health.progress
    bar = f"`{progress_bar(progress)}` {progress_label(progress)} · " if progress is not None \
        else ""
    line = sparkline(values)
    return f"{bar}{escape(current)} / {escape(target)}{f'  {line}' if line else ''}"


def confidence_line(confidence: Confidence | None, now: datetime) -> str:
    if confidence is None:
        return "_no confidence yet_"
    return (f"Confidence *{confidence.confidence}/{HIGHEST}* · <@{confidence.reported_by}>, "
            f"{ago(confidence.reported_at, now)}")


def thresholds_text(spec: MetricSpec) -> str:
    """How the metric is judged, in a few words: 'green ≥ 90% of target, on pace'."""
    bands: Bands | None = spec.bands
    if bands is None:
        return "pace: green ≥ 90%, yellow ≥ 70% of the expected progress" \
            if spec.start and spec.due else "green at target, yellow ≥ 80%"
    if spec.direction is Direction.WITHIN_RANGE and bands.green_range:
        low, high = bands.green_range
        return f"green within {format_value(low, spec.unit)}–{format_value(high, spec.unit)}"
    at_least = "≤" if spec.direction is Direction.LOWER_IS_BETTER else "≥"
    if bands.mode is BandMode.ABSOLUTE:
        parts = [f"green {at_least} {format_value(bands.green, spec.unit)}"
                 if bands.green is not None else "",
                 f"yellow {at_least} {format_value(bands.yellow, spec.unit)}"
                 if bands.yellow is not None else ""]
        return ", ".join(p for p in parts if p)
    of = "of the expected progress" if bands.pace else "of target"
    shares = [f"{name} ≥ {share:.0%}" for name, share in (("green", bands.green),
                                                          ("yellow", bands.yellow))
              if share is not None]
    return f"{', '.join(shares)} {of}"


def _chain_line(node: ChainNode, broken: BrokenLink | None, *, detail: str = "") -> str:
    flag = " ⛓ *first broken link*" if broken is not None and broken.node.id == node.id else ""
    owner = f" · <@{node.owner}>" if node.owner else ""
    extra = f" · {detail}" if detail else ""
    return (f"{mark(node)} *{escape(node.label)}:* {escape(node.name)}{owner}{flag}\n"
            f"      _{escape(node.health.reason)}_{extra}")


def _capped(lines: Sequence[str], title: str, more_hint: str) -> list[dict]:
    """One section of a longer reply: the title, the lines that fit, then how many more."""
    return packed(lines, title=title, more_hint=more_hint, max_sections=1)


def status_message(chain: Chain, objective: ChainNode, *, today: date,
                   broken: BrokenLink | None, shareable: str | None = None,
                   blockers: Sequence[BlockerEntry] = (),
                   confidences: Mapping[str, Confidence] | None = None,
                   now: datetime | None = None) -> dict:
    """The ephemeral reply. `shareable` is the command text the Share button re-runs;
    `blockers` are the open ones on what the message shows, `confidences` the latest per
    key result key."""
    now = now or datetime.combine(today, time(), UTC)
    confidences = confidences or {}
    key_results, activities, kpis = objective_parts(chain, objective)
    timeframe = objective.blueprint.timeframe
    span = _days(timeframe[0], timeframe[1], today) if timeframe else ""
    blocks: list[dict] = [
        header(objective.name),
        section(f"{mark(objective)} *Objective health:* {escape(objective.health.reason)}\n"
                f"Owner <@{objective.owner}>" + (f" · {span}" if span else "")),
        {"type": "divider"},
        section(f"*Key results* ({len(key_results)})"),
    ]
    charted = 0
    for kr in key_results[:MAX_KEY_RESULTS]:
        blocks.append(section(f"{mark(kr)} *{escape(kr.name)}* (`{escape(kr.key)}`)\n"
                              f"{_value_line(kr)}\n_{escape(kr.health.reason)}_\n"
                              f"{confidence_line(confidences.get(kr.key), now)}"))
        # A key result in trouble gets its trend drawn (the sparkline stays for clients that
        # cannot draw it); a few at most, so the reply stays well inside 50 blocks.
        if kr.health.status in TROUBLE and charted < MAX_CHARTS \
                and (chart := trend_chart(kr)) is not None:
            blocks.append(chart)
            charted += 1
    if len(key_results) > MAX_KEY_RESULTS:
        blocks.append(context(f"…and {len(key_results) - MAX_KEY_RESULTS} more key results"))
    if blockers:
        blocks += _capped([entry_text(b, now=now, chain=chain, clip=BLOCKER_CLIP)
                           for b in blockers],
                          f"*Open blockers* ({len(blockers)}) 🚧", "see `/okr blockers`")
    else:
        blocks.append(context("No open blockers on this objective or the work under it."))
    above = path_up(chain, objective.id)[1:]
    blocks.append({"type": "divider"})
    blocks += _capped([_chain_line(n, broken) for n in reversed(above)],
                      "*Causal chain — what it moves* ⬆", "see `/okr tree`")
    below = [_chain_line(a, broken) for a in activities]
    below += [_chain_line(k, broken, detail=escape(thresholds_text(k.blueprint.metric)))
              for k in kpis.values() if k.blueprint.metric is not None]
    if below:
        blocks += _capped(below, "*What drives it* ⬇ (activities, then KPIs)",
                          "see `/okr tree " + escape(objective.key) + "`")
    if broken is not None and broken.explained_by:
        causes = ", ".join(escape(c.name) for c in broken.explained_by[:5])
        blocks.append(context(f"⛓ First broken link: {escape(broken.node.name)}, "
                              f"explained by {causes}"))
    if shareable is not None:
        blocks.append(share_button(shareable))
    return {"response_type": "ephemeral", "text": fallback(f"{objective.name}: "
                                                           f"{objective.health.status.value}"),
            "blocks": blocks}
