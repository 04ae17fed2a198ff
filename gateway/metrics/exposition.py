"""The Prometheus text exposition of a snapshot, through prometheus-client's own writer."""

from collections.abc import Iterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from gateway.metrics.snapshot import Snapshot


@dataclass(frozen=True)
class TimerGauges:
    """The timers' state, read from Redis at the scrape (shared by every worker and replica)."""

    running: int
    outbox_depth: int
    oldest_pending_age_s: float


class SnapshotCollector:
    """Yields the families of one scrape: a private registry holds it for that scrape only, so
    nothing of prometheus-client's global state (its default REGISTRY) is involved."""

    def __init__(self, snapshot: Snapshot, timers: TimerGauges | None) -> None:
        self._snapshot = snapshot
        self._timers = timers

    def collect(self) -> Iterator[Metric]:
        yield from self._requests()
        yield from self._upstream()
        yield from self._timer_families()
        s = self._snapshot
        yield CounterMetricFamily(
            "gateway_log_records_dropped",
            "Log records dropped because stderr was read too slowly.",
            value=s.log_records_dropped,
        )
        yield GaugeMetricFamily(
            "gateway_processes",
            "Serving processes whose counts this scrape adds up (GATEWAY_WORKERS).",
            value=s.processes,
        )

    def _requests(self) -> Iterator[Metric]:
        s = self._snapshot
        requests = CounterMetricFamily(
            "gateway_requests",
            "Requests answered, by route (passthrough, timers, analytics, ops), method and "
            "status code (499: the client left first).",
            labels=["route", "method", "code"],
        )
        for (route, method, code), count in sorted(s.requests.items()):
            requests.add_metric([route, method, str(code)], count)
        yield requests
        durations = HistogramMetricFamily(
            "gateway_request_duration_seconds",
            "Time from a request's head to the end of its answer, by route.",
            labels=["route"],
        )
        for route, histogram in s.request_seconds.items():
            durations.add_metric([route], histogram.cumulative(), histogram.total)
        yield durations

    def _upstream(self) -> Iterator[Metric]:
        s = self._snapshot
        yield CounterMetricFamily(
            "gateway_upstream_requests",
            "Pass-through requests relayed to Redmine.",
            value=s.upstream_requests,
        )
        errors = CounterMetricFamily(
            "gateway_upstream_errors",
            "Pass-through exchanges with Redmine that failed, by kind: connect (no connection), "
            "timeout, closed (the connection ended early, or the answer was invalid), 5xx.",
            labels=["kind"],
        )
        for kind, count in s.upstream_errors.items():
            errors.add_metric([kind], count)
        yield errors
        latency = HistogramMetricFamily(
            "gateway_upstream_duration_seconds",
            "Time until Redmine's answer began (a connection from the pool included).",
        )
        latency.add_metric([], s.upstream_seconds.cumulative(), s.upstream_seconds.total)
        yield latency
        pool = GaugeMetricFamily(
            "gateway_upstream_connections",
            "Keep-alive connections to Redmine, by state (idle, in_use).",
            labels=["state"],
        )
        pool.add_metric(["idle"], s.upstream_idle)
        pool.add_metric(["in_use"], s.upstream_in_use)
        yield pool
        yield GaugeMetricFamily(
            "gateway_client_connections", "Client connections open.", value=s.client_connections
        )

    def _timer_families(self) -> Iterator[Metric]:
        s = self._snapshot
        posted = CounterMetricFamily(
            "gateway_entries_posted",
            "Attempts to post a stopped timer to Redmine, by result: recorded, adopted (an "
            "entry an earlier, lost answer had made), failed (given up), retried (put back).",
            labels=["result"],
        )
        for result, count in s.entries_posted.items():
            posted.add_metric([result], count)
        yield posted
        redis = CounterMetricFamily(
            "gateway_redis_errors",
            "Redis failures, by where they were met: request (answered 503 STORE_UNAVAILABLE), "
            "outbox (the background worker), scrape.",
            labels=["source"],
        )
        for source, count in s.redis_errors.items():
            redis.add_metric([source], count)
        yield redis
        timers = self._timers
        if timers is None:
            return  # Redis did not answer in time: no value rather than a wrong one
        yield GaugeMetricFamily("gateway_timers_running", "Timers running.", value=timers.running)
        yield GaugeMetricFamily(
            "gateway_outbox_depth",
            "Stopped timers waiting to be posted to Redmine.",
            value=timers.outbox_depth,
        )
        yield GaugeMetricFamily(
            "gateway_outbox_oldest_age_seconds",
            "How long the oldest entry in the outbox has waited (0 when it is empty).",
            value=timers.oldest_pending_age_s,
        )


def render(snapshot: Snapshot, timers: TimerGauges | None) -> bytes:
    registry = CollectorRegistry()
    registry.register(SnapshotCollector(snapshot, timers))
    return generate_latest(registry)
