"""Metrics: this process's counts, reported into by the front, the relay and the timers."""

import asyncio
from collections.abc import Callable
from pathlib import Path

from gateway.front.request import IncomingRequest
from gateway.metrics.labels import OTHER_METHOD, ROUTES, method_label, route_of
from gateway.metrics.snapshot import (
    POST_RESULTS,
    REDIS_ERROR_SOURCES,
    UPSTREAM_ERRORS,
    Histogram,
    RedisErrorSource,
    RequestKey,
    Snapshot,
    UpstreamError,
    zeros,
)
from gateway.proxy.routing import Destination
from gateway.relay.pool import ConnectionPool
from gateway.timers.models import PostResult


def no_count() -> int:
    """A source with nothing to count (until its owner is watched)."""
    return 0


class Metrics:
    """Plain counters and histograms, updated in place on the request path (a dict lookup and a
    few additions per request); a scrape or a worker's snapshot copies them (`snapshot`).

    Gauges are read from their owners when a snapshot is taken: the front's open connections
    and Redmine pool (`watch_edge`, once the front listens), the log writer's drops and the
    outbox worker's Redis failures (given by whoever owns them).
    """

    def __init__(
        self, group_dir: Path | None = None, dropped_logs: Callable[[], int] = no_count
    ) -> None:
        # Where the workers of one `serve` leave their snapshots; None: a single process.
        self.group_dir = group_dir
        self._dropped_logs = dropped_logs
        self._requests: dict[RequestKey, int] = {}
        self._request_seconds = {route: Histogram() for route in ROUTES}
        self._upstream_requests = 0
        self._upstream_errors = zeros(UPSTREAM_ERRORS)
        self._upstream_seconds = Histogram()
        self._entries_posted = zeros(POST_RESULTS)
        self._redis_errors = zeros(REDIS_ERROR_SOURCES)
        self._client_connections: Callable[[], int] = no_count
        self._pool: ConnectionPool | None = None
        self._outbox_redis_errors: Callable[[], int] = no_count

    # ------------------------------------------------------------ reported by the edge

    def finished(self, where: Destination | None, request: IncomingRequest, status: int) -> None:
        """One request answered (or given up on by its client), from the front's point of view."""
        seconds = asyncio.get_running_loop().time() - request.started
        route = route_of(where, request)
        key = (route, method_label(request.method), status)
        self._requests[key] = self._requests.get(key, 0) + 1
        self._request_seconds[route].observe(seconds)

    def refused(self, status: int) -> None:
        # Its method is unknown (maybe unparsed), and so is when it began: no duration.
        key = ("passthrough", OTHER_METHOD, status)
        self._requests[key] = self._requests.get(key, 0) + 1

    def upstream_answered(self, status: int, seconds: float) -> None:
        """Redmine's answer began `seconds` after the relay started asking for a connection."""
        self._upstream_requests += 1
        self._upstream_seconds.observe(seconds)
        if status >= 500:
            self._upstream_errors["5xx"] += 1

    def upstream_failed(self, kind: UpstreamError, *, answered: bool) -> None:
        """An exchange with Redmine ended in `kind`; `answered`: after its answer began (cut
        short), so the request was counted already."""
        if not answered:
            self._upstream_requests += 1
        self._upstream_errors[kind] += 1

    def watch_edge(self, client_connections: Callable[[], int], pool: ConnectionPool) -> None:
        self._client_connections = client_connections
        self._pool = pool

    # ------------------------------------------------------------ reported by the timers

    def entry_posted(self, result: PostResult) -> None:
        self._entries_posted[result] += 1

    def redis_error(self, source: RedisErrorSource = "request") -> None:
        self._redis_errors[source] += 1

    def watch_outbox(self, redis_errors: Callable[[], int]) -> None:
        self._outbox_redis_errors = redis_errors

    # ------------------------------------------------------------ read by a scrape

    def snapshot(self) -> Snapshot:
        redis_errors = dict(self._redis_errors)
        redis_errors["outbox"] += self._outbox_redis_errors()
        pool = self._pool
        return Snapshot(
            requests=dict(self._requests),
            request_seconds={r: h.copy() for r, h in self._request_seconds.items()},
            upstream_requests=self._upstream_requests,
            upstream_errors=dict(self._upstream_errors),
            upstream_seconds=self._upstream_seconds.copy(),
            entries_posted=dict(self._entries_posted),
            redis_errors=redis_errors,
            log_records_dropped=self._dropped_logs(),
            client_connections=self._client_connections(),
            upstream_idle=0 if pool is None else pool.idle_count,
            upstream_in_use=0 if pool is None else pool.in_use_count,
        )
