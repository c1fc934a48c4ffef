"""Prometheus metrics, one registry per runtime (never prometheus_client's global one), served
at /metrics: two runtimes in one process share nothing."""

from bot.metrics.registry import Metrics

__all__ = ["Metrics"]
