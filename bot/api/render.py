"""The API's answers as JSON-ready dicts, from what the flows return. Pure."""

from __future__ import annotations

from typing import Any

from bot.api.recording import BatchRecorded
from bot.api.schemas import MeasurementsRecorded, MetricOut, MetricRecorded
from bot.okrs.method.chain import ChainNode


def recorded(batch: BatchRecorded) -> dict[str, Any]:
    return MeasurementsRecorded(recorded=batch.count, metrics=[
        MetricRecorded(key=m.key, count=m.count, at=m.at, value=m.recorded.new_value,
                       previous_value=m.recorded.old_value,
                       status=m.recorded.health.status.value,
                       reason=m.recorded.health.reason,
                       triggers=[f.rule.action for f in m.recorded.fired])
        for m in batch.metrics]).model_dump(mode="json")


def metric(node: ChainNode) -> dict[str, Any]:
    spec = node.blueprint.metric
    latest = node.blueprint.measurements[-1] if node.blueprint.measurements else None
    return MetricOut(
        key=node.key, name=node.name, kind=node.kind.value, unit=spec.unit if spec else "",
        owner=node.owner, direction=spec.direction.value if spec else "",
        baseline=spec.baseline if spec else None, target=spec.target if spec else None,
        current=node.health.value, measured_at=latest.measured_at if latest else None,
        status=node.health.status.value, reason=node.health.reason, stale=node.health.stale,
        progress=node.health.progress).model_dump(mode="json")


def problem(error: str, message: str, errors: dict[str, str] | None = None) -> dict[str, Any]:
    return {"error": error, "message": message,
            "errors": [{"field": f, "message": m} for f, m in (errors or {}).items()]}
