"""update_chain gives the chain build_chain gives from the new blueprints, whatever measurements
change, on both example plans: the pure half of the incremental cache, with many examples."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.okrs.method.chain import Blueprint, Chain, build_chain
from bot.okrs.method.chain_update import update_chain
from bot.okrs.method.health import Measurement
from bot.okrs.plans.blueprints import blueprints
from bot.okrs.plans.files import load_plan

ROOT = Path(__file__).resolve().parents[3]
NOW = datetime(2026, 7, 1, 9, tzinfo=UTC)


def plan_blueprints(name: str) -> list[Blueprint]:
    loaded = load_plan(ROOT / "examples" / name)
    assert loaded.ok, loaded.errors
    return list(blueprints(loaded.plan))


PLANS = {name: plan_blueprints(name) for name in ("ai-feature-launch.yml", "b2b-saas.yml")}

CHANGES = st.lists(st.tuples(
    st.integers(min_value=0, max_value=10_000),  # which measured node (modulo their number)
    st.lists(st.tuples(st.floats(min_value=-50, max_value=500, allow_nan=False),
                       st.floats(min_value=0, max_value=200)),  # value, days before NOW
             max_size=4)), min_size=1, max_size=6)


def assert_same(updated: Chain, rebuilt: Chain) -> None:
    assert list(updated.nodes.items()) == list(rebuilt.nodes.items())
    assert (updated.children, updated.parents) == (rebuilt.children, rebuilt.parents)


@pytest.mark.parametrize("name", sorted(PLANS))
@settings(max_examples=60, deadline=None)
@given(changes=CHANGES)
def test_updating_in_place_equals_rebuilding(name: str,
                                             changes: list[tuple[int, list]]) -> None:
    original = PLANS[name]
    measured = [i for i, b in enumerate(original) if b.metric is not None]
    chain = build_chain(original, NOW)
    current = list(original)
    for which, points in changes:
        i = measured[which % len(measured)]
        series = tuple(sorted((Measurement(value=round(v, 2),
                                           measured_at=NOW - timedelta(days=d))
                               for v, d in points), key=lambda m: m.measured_at))
        current[i] = replace(current[i], measurements=series)
        chain = update_chain(chain, [current[i]])
        assert_same(chain, build_chain(current, NOW))


def test_the_chain_it_started_from_is_left_as_it_was() -> None:
    original = PLANS["b2b-saas.yml"]
    chain = build_chain(original, NOW)
    before = dict(chain.nodes)
    metric = next(b for b in original if b.metric is not None)
    update_chain(chain, [replace(metric, measurements=(Measurement(1.0, NOW),))])
    assert chain.nodes == before  # requests still reading it see no change mid-answer


def test_a_counter_metric_turning_red_is_felt_by_the_metric_it_guards() -> None:
    original = PLANS["b2b-saas.yml"]
    index = {b.id: i for i, b in enumerate(original)}
    guarded = next(b for b in original if b.counter_metrics and b.metric is not None
                   and b.metric.target is not None)
    counter_id = guarded.counter_metrics[0]
    current = list(original)
    current[index[guarded.id]] = replace(guarded, measurements=(
        Measurement(guarded.metric.target, NOW - timedelta(days=1)),))
    chain = build_chain(current, NOW)
    assert chain.nodes[guarded.id].health.status.value == "green"
    red = None
    for value in (-1e6, -100.0, 0.0, 1e6):
        candidate = list(current)
        candidate[index[counter_id]] = replace(current[index[counter_id]], measurements=(
            Measurement(value, NOW - timedelta(days=1)),))
        if build_chain(candidate, NOW).nodes[counter_id].health.status.value == "red":
            red = candidate
            break
    assert red is not None, "no value turns the counter-metric red"

    updated = update_chain(chain, [red[index[counter_id]]])

    assert updated.nodes[guarded.id].health.status.value == "yellow"
    assert_same(updated, build_chain(red, NOW))
