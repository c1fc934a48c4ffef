"""Finding a node by what a person typed (`flows.find_node`) on a chain updated in place: the
index of names is the plan's shape, built once and kept across new measurements, and what it
finds is the node of the chain asked, with that chain's health."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.errors import Ambiguous
from bot.okrs.flows import find_node
from bot.okrs.method.chain import Blueprint, NodeKind, build_chain
from bot.okrs.method.chain_update import update_chain
from bot.okrs.method.enums import Status
from bot.okrs.method.health import Measurement
from bot.okrs.plans.blueprints import blueprints
from bot.okrs.plans.files import load_plan

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 5, 20, 9, tzinfo=UTC)


def plan() -> list[Blueprint]:
    loaded = load_plan(ROOT / "examples" / "b2b-saas.yml")
    assert loaded.ok, loaded.errors
    return list(blueprints(loaded.plan))


def measured(blueprint: Blueprint, value: float) -> Blueprint:
    return replace(blueprint, measurements=(
        Measurement(value=value, measured_at=NOW - timedelta(days=1)),))


def test_the_name_index_is_kept_across_updates_and_finds_the_updated_node() -> None:
    original = plan()
    chain = build_chain(original, NOW)
    before = find_node(chain, "annual gross", kinds=[NodeKind.KEY_RESULT])
    index = chain.shape_memos()

    churn = next(b for b in original if b.key == "gross-churn")
    updated = update_chain(chain, [measured(churn, 12)])  # lower is better: 12 % is red
    after = find_node(updated, "annual gross", kinds=[NodeKind.KEY_RESULT])

    kept = updated.shape_memos()
    assert index and all(kept[name] is index[name] for name in index)  # not built again
    assert after.key == before.key == "gross-churn"
    assert after is updated.nodes[after.id] and after is not before
    assert after.health.status is Status.RED
    assert find_node(chain, "gross-churn").health == before.health  # the old chain: as it was


def test_several_matches_are_offered_as_the_asked_chain_s_nodes() -> None:
    chain = build_chain(plan(), NOW)
    find_node(chain, "gross-churn")  # the index is built
    updated = update_chain(chain, [])
    with pytest.raises(Ambiguous) as several:
        find_node(updated, "at")
    items = [choice.item for choice in several.value.choices]
    assert items and all(item is updated.nodes[item.id] for item in items)
