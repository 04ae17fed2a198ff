"""Snapshot: what one process counted and holds, in plain structures that add up across workers."""

from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict

from gateway.metrics.labels import ROUTES
from gateway.timers.models import PostResult

# Upper bounds (seconds) of the latency buckets: pass-through hops take well under a millisecond
# of the gateway's own time, Redmine's answers from milliseconds to GATEWAY_UPSTREAM_TIMEOUT_S.
BOUNDS_S: Final = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
)

UpstreamError = Literal["connect", "timeout", "closed", "5xx"]
UPSTREAM_ERRORS: Final[tuple[UpstreamError, ...]] = ("connect", "timeout", "closed", "5xx")
POST_RESULTS: Final[tuple[PostResult, ...]] = ("recorded", "adopted", "failed", "retried")
RedisErrorSource = Literal["request", "outbox", "scrape"]
REDIS_ERROR_SOURCES: Final[tuple[RedisErrorSource, ...]] = ("request", "outbox", "scrape")
# route, method, status code
RequestKey = tuple[str, str, int]


@dataclass(slots=True)
class Histogram:
    """Observations per bucket (not cumulative; the last one is above every bound) and their sum."""

    counts: list[int] = field(default_factory=lambda: [0] * (len(BOUNDS_S) + 1))
    total: float = 0.0

    def observe(self, value: float) -> None:
        # bisect_left: a value equal to a bound belongs to that bound's bucket (le, "<=").
        self.counts[bisect_left(BOUNDS_S, value)] += 1
        self.total += value

    def copy(self) -> "Histogram":
        return Histogram(list(self.counts), self.total)

    def add(self, other: "Histogram") -> None:
        self.counts = [a + b for a, b in zip(self.counts, other.counts, strict=True)]
        self.total += other.total

    def cumulative(self) -> list[tuple[str, float]]:
        """(le, observations at or below it), +Inf last, as the exposition format wants."""
        running = 0
        buckets = []
        for bound, count in zip([*map(str, BOUNDS_S), "+Inf"], self.counts, strict=True):
            running += count
            buckets.append((bound, float(running)))
        return buckets


def zeros(keys: tuple[str, ...]) -> dict[str, int]:
    return dict.fromkeys(keys, 0)


@dataclass
class Snapshot:
    """Counters and histograms since the process started, and its gauges at the moment taken."""

    requests: dict[RequestKey, int] = field(default_factory=dict)
    request_seconds: dict[str, Histogram] = field(
        default_factory=lambda: {route: Histogram() for route in ROUTES}
    )
    upstream_requests: int = 0
    upstream_errors: dict[str, int] = field(default_factory=lambda: zeros(UPSTREAM_ERRORS))
    upstream_seconds: Histogram = field(default_factory=Histogram)
    entries_posted: dict[str, int] = field(default_factory=lambda: zeros(POST_RESULTS))
    redis_errors: dict[str, int] = field(default_factory=lambda: zeros(REDIS_ERROR_SOURCES))
    log_records_dropped: int = 0
    client_connections: int = 0
    upstream_idle: int = 0
    upstream_in_use: int = 0
    processes: int = 1

    def add(self, other: "Snapshot") -> None:
        """Adds another process's: counters and histograms sum, and so do its gauges (its
        connections are its own)."""
        for key, count in other.requests.items():
            self.requests[key] = self.requests.get(key, 0) + count
        for route, histogram in other.request_seconds.items():
            self.request_seconds.setdefault(route, Histogram()).add(histogram)
        self.upstream_requests += other.upstream_requests
        add_counts(self.upstream_errors, other.upstream_errors)
        self.upstream_seconds.add(other.upstream_seconds)
        add_counts(self.entries_posted, other.entries_posted)
        add_counts(self.redis_errors, other.redis_errors)
        self.log_records_dropped += other.log_records_dropped
        self.client_connections += other.client_connections
        self.upstream_idle += other.upstream_idle
        self.upstream_in_use += other.upstream_in_use
        self.processes += other.processes


def add_counts(into: dict[str, int], other: dict[str, int]) -> None:
    for key, count in other.items():
        into[key] = into.get(key, 0) + count


class HistogramFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    counts: list[int]
    total: float


class SnapshotFile(BaseModel):
    """A snapshot as one worker writes it for the others (JSON; rows instead of tuple keys)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    requests: list[tuple[str, str, int, int]]
    request_seconds: dict[str, HistogramFile]
    upstream_requests: int
    upstream_errors: dict[str, int]
    upstream_seconds: HistogramFile
    entries_posted: dict[str, int]
    redis_errors: dict[str, int]
    log_records_dropped: int
    client_connections: int
    upstream_idle: int
    upstream_in_use: int


def dump(snapshot: Snapshot) -> bytes:
    return (
        SnapshotFile(
            requests=[(*key, count) for key, count in snapshot.requests.items()],
            request_seconds={r: histogram_file(h) for r, h in snapshot.request_seconds.items()},
            upstream_requests=snapshot.upstream_requests,
            upstream_errors=snapshot.upstream_errors,
            upstream_seconds=histogram_file(snapshot.upstream_seconds),
            entries_posted=snapshot.entries_posted,
            redis_errors=snapshot.redis_errors,
            log_records_dropped=snapshot.log_records_dropped,
            client_connections=snapshot.client_connections,
            upstream_idle=snapshot.upstream_idle,
            upstream_in_use=snapshot.upstream_in_use,
        )
        .model_dump_json()
        .encode()
    )


def load(raw: bytes) -> Snapshot:
    """Raises pydantic's ValidationError for anything that is not a snapshot of this version."""
    data = SnapshotFile.model_validate_json(raw)
    return Snapshot(
        requests={(route, method, code): n for route, method, code, n in data.requests},
        request_seconds={r: histogram(h) for r, h in data.request_seconds.items()},
        upstream_requests=data.upstream_requests,
        upstream_errors=dict(data.upstream_errors),
        upstream_seconds=histogram(data.upstream_seconds),
        entries_posted=dict(data.entries_posted),
        redis_errors=dict(data.redis_errors),
        log_records_dropped=data.log_records_dropped,
        client_connections=data.client_connections,
        upstream_idle=data.upstream_idle,
        upstream_in_use=data.upstream_in_use,
    )


def histogram_file(histogram: Histogram) -> HistogramFile:
    return HistogramFile(counts=histogram.counts, total=histogram.total)


def histogram(data: HistogramFile) -> Histogram:
    if len(data.counts) != len(BOUNDS_S) + 1:
        raise ValueError("a histogram with other buckets")
    return Histogram(list(data.counts), data.total)
