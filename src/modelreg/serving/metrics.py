"""Prometheus metrics of `modelreg serve` (prometheus-client); free of the web framework.

Request figures are counted as requests end. What the follower knows (the version serving, swaps,
failed loads, whether the channel has moved past the served version) is read from its snapshot
at scrape time, so the exposition can never disagree with `/ready`. Each app has its own
collector registry: two servers in one process (tests) never share a counter.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING

from ..errors import MissingDependencyError

try:
    from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
    from prometheus_client.exposition import CONTENT_TYPE_LATEST
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise MissingDependencyError(
        f"modelreg serve needs prometheus-client: pip install 'modelreg[serve]' ({exc})"
    ) from exc

if TYPE_CHECKING:
    from .follower import ChannelFollower

__all__ = ["OUTCOMES", "ServeMetrics"]

#: how a request ended: answered, refused for its input (4xx), no model yet (503), failed (5xx)
OUTCOMES = ("ok", "rejected", "unavailable", "failed")
_LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class ServeMetrics:
    """The counters and histogram one prediction app updates, and its `/metrics` text."""

    def __init__(self, follower: ChannelFollower) -> None:
        self.registry = CollectorRegistry()
        self._requests = Counter(
            "modelreg_serve_requests",
            "Prediction requests by outcome: ok, rejected (4xx), unavailable (503), failed (5xx).",
            ["outcome"],
            registry=self.registry,
        )
        self._errors = Counter(
            "modelreg_serve_errors",
            "Prediction requests that did not get predictions, by error code.",
            ["error"],
            registry=self.registry,
        )
        self._latency = Histogram(
            "modelreg_serve_request_duration_seconds",
            "Time from a prediction request's arrival to its answer, body read included.",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._rows = Counter(
            "modelreg_serve_predicted_rows",
            "Rows predicted (one prediction each).",
            registry=self.registry,
        )
        for outcome in OUTCOMES:
            self._requests.labels(outcome)
        self.registry.register(_FollowerCollector(follower))

    def observe(
        self, seconds: float, status: int, *, error: str | None = None, rows: int = 0
    ) -> None:
        """Count one finished prediction request with its HTTP status."""
        self._requests.labels(_outcome(status)).inc()
        self._latency.observe(seconds)
        if error is not None:
            self._errors.labels(error).inc()
        if rows:
            self._rows.inc(rows)

    def exposition(self) -> tuple[bytes, str]:
        """The metrics in Prometheus' text format, and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


def _outcome(status: int) -> str:
    if status < 400:
        return "ok"
    if status == 503:
        return "unavailable"
    return "rejected" if status < 500 else "failed"


class _FollowerCollector:
    """The follower's snapshot as metrics, read when Prometheus scrapes."""

    def __init__(self, follower: ChannelFollower) -> None:
        self._follower = follower

    def collect(self) -> Iterator[Metric]:
        status = self._follower.status
        info = GaugeMetricFamily(
            "modelreg_serve_model_info",
            "The version answering requests now (value 1), and the channel it follows.",
            labels=["channel", "version"],
        )
        if status.version is not None:
            info.add_metric([status.channel, status.version], 1)
        yield info
        yield GaugeMetricFamily(
            "modelreg_serve_ready", "1 when a model is loaded and answering.", value=status.ready
        )
        stale = status.ready and status.channel_version not in (None, status.version)
        yield GaugeMetricFamily(
            "modelreg_serve_channel_ahead",
            "1 while the channel points to a version other than the one serving (loading it, "
            "or it failed: see /ready).",
            value=stale,
        )
        yield CounterMetricFamily(
            "modelreg_serve_swaps",
            "Times a new version was swapped in after the first.",
            value=status.swaps,
        )
        yield CounterMetricFamily(
            "modelreg_serve_failed_swaps",
            "Versions the channel pointed to that failed to load or check, so were not served.",
            value=status.failed_loads,
        )
        if status.since is not None:
            since = datetime.fromisoformat(status.since.replace("Z", "+00:00"))
            yield GaugeMetricFamily(
                "modelreg_serve_model_since_seconds",
                "When the serving version was swapped in (Unix time).",
                value=since.timestamp(),
            )
        if status.load_seconds is not None:
            yield GaugeMetricFamily(
                "modelreg_serve_model_load_duration_seconds",
                "How long loading and checking the serving version took.",
                value=status.load_seconds,
            )
