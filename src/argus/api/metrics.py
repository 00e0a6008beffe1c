"""Prometheus metrics, one registry per app (no process-global state).

Requests and latency per route template, inference time per model (from the request's timing
spans), and result-cache and job counters that later layers increment through
``app.state.metrics``.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "argus_http_requests",
            "HTTP requests by route template, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "argus_http_request_seconds",
            "HTTP request latency by route template.",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.inference = Histogram(
            "argus_inference_seconds",
            "Time spent in each model's predict, per request.",
            ["model"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.cache = Counter(
            "argus_cache_lookups",
            "Result-cache lookups by outcome (hit or miss) and task.",
            ["task", "outcome"],
            registry=self.registry,
        )
        self.jobs = Counter(
            "argus_jobs_finished",
            "Jobs finished, by kind and outcome.",
            ["kind", "outcome"],
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "argus_job_queue_depth",
            "Jobs waiting to run.",
            registry=self.registry,
        )
        self.frames = Counter(
            "argus_frames_classified",
            "Frames of GIFs and videos run through a model in requests, by route.",
            ["route"],
            registry=self.registry,
        )
        self.cancelled = Counter(
            "argus_requests_cancelled",
            "Requests whose work was stopped because the client disconnected, by route.",
            ["route"],
            registry=self.registry,
        )
        # labelled children by label values: ``labels()`` costs a light request more than the
        # increment itself; the label values are bounded (route templates, statuses, tasks)
        self._served: dict[tuple[str, str, str], tuple[Any, Any]] = {}
        self._lookups: dict[tuple[str, str], Any] = {}

    def served(self, route: str, method: str, status: str, seconds: float) -> None:
        """Count one answered request and observe its latency."""
        children = self._served.get((route, method, status))
        if children is None:
            children = (self.requests.labels(route, method, status), self.latency.labels(route))
            self._served[route, method, status] = children
        children[0].inc()
        children[1].observe(seconds)

    def cache_lookup(self, task: str, outcome: str) -> None:
        """Count one result-cache lookup (``outcome`` is hit or miss)."""
        child = self._lookups.get((task, outcome))
        if child is None:
            child = self._lookups[task, outcome] = self.cache.labels(task=task, outcome=outcome)
        child.inc()

    def observe_timings(self, ms: dict[str, float]) -> None:
        for name, value in ms.items():
            if name.startswith("model:"):
                self.inference.labels(model=name[len("model:") :]).observe(value / 1000.0)

    def render(self) -> bytes:
        return generate_latest(self.registry)
