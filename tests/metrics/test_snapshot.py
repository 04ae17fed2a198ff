"""Snapshots: histogram buckets as Prometheus reads them, a round trip through a worker's file,
and the sums that make one process group's scrape."""

import logging

import pytest

from gateway.logwriter import written_off_the_loop
from gateway.metrics.exposition import TimerGauges, render
from gateway.metrics.process import Metrics
from gateway.metrics.snapshot import BOUNDS_S, Histogram, Snapshot, dump, load
from tests.metrics.scrape import parse


def test_a_value_on_a_bound_falls_in_that_bucket() -> None:
    histogram = Histogram()
    for value in (0.0005, 0.001, 0.0011, 0.5, 60.0, 61.0):
        histogram.observe(value)
    cumulative = dict(histogram.cumulative())
    assert cumulative["0.001"] == 2  # le: "less than or equal"
    assert cumulative["0.0025"] == 3
    assert cumulative["0.5"] == 4
    assert cumulative["60.0"] == 5
    assert cumulative["+Inf"] == 6
    assert histogram.total == pytest.approx(0.0005 + 0.001 + 0.0011 + 0.5 + 60.0 + 61.0)
    assert len(histogram.cumulative()) == len(BOUNDS_S) + 1


def sample_snapshot() -> Snapshot:
    snapshot = Snapshot(
        requests={("passthrough", "GET", 200): 7, ("ops", "other", 404): 1},
        upstream_requests=7,
        log_records_dropped=3,
        client_connections=2,
        upstream_idle=4,
        upstream_in_use=1,
    )
    snapshot.request_seconds["passthrough"].observe(0.002)
    snapshot.upstream_seconds.observe(0.02)
    snapshot.upstream_errors["5xx"] = 2
    snapshot.entries_posted["adopted"] = 1
    snapshot.redis_errors["outbox"] = 5
    return snapshot


def test_a_snapshot_survives_its_file() -> None:
    snapshot = sample_snapshot()
    assert load(dump(snapshot)) == snapshot


@pytest.mark.parametrize(
    "raw",
    [b"", b"{}", b"not json", dump(Snapshot()).replace(b'"counts":[0,', b'"counts":[', 1)],
    ids=["empty", "no fields", "not json", "other buckets"],
)
def test_anything_else_is_refused(raw: bytes) -> None:
    with pytest.raises(ValueError):
        load(raw)


def test_snapshots_add_up() -> None:
    total = sample_snapshot()
    total.add(sample_snapshot())
    total.add(Snapshot(requests={("timers", "POST", 201): 1}))
    assert total.requests == {
        ("passthrough", "GET", 200): 14,
        ("ops", "other", 404): 2,
        ("timers", "POST", 201): 1,
    }
    assert total.request_seconds["passthrough"].total == pytest.approx(0.004)
    assert sum(total.request_seconds["passthrough"].counts) == 2
    assert (total.upstream_requests, total.upstream_errors["5xx"]) == (14, 4)
    assert (total.entries_posted["adopted"], total.redis_errors["outbox"]) == (2, 10)
    assert (total.client_connections, total.upstream_idle, total.upstream_in_use) == (4, 8, 2)
    assert (total.log_records_dropped, total.processes) == (6, 3)


def test_the_exposition_carries_each_value() -> None:
    metrics = parse(render(sample_snapshot(), TimerGauges(3, 2, 42.5)).decode())
    assert (
        metrics.value("gateway_requests_total", route="passthrough", method="GET", code="200") == 7
    )
    assert (
        metrics.value("gateway_request_duration_seconds_bucket", route="passthrough", le="0.001")
        == 0
    )
    assert (
        metrics.value("gateway_request_duration_seconds_bucket", route="passthrough", le="0.0025")
        == 1
    )
    assert metrics.value("gateway_upstream_errors_total", kind="5xx") == 2
    assert metrics.value("gateway_upstream_connections", state="idle") == 4
    assert metrics.value("gateway_client_connections") == 2
    assert metrics.value("gateway_entries_posted_total", result="adopted") == 1
    assert metrics.value("gateway_redis_errors_total", source="outbox") == 5
    assert metrics.value("gateway_log_records_dropped_total") == 3
    assert metrics.value("gateway_timers_running") == 3
    assert metrics.value("gateway_outbox_depth") == 2
    assert metrics.value("gateway_outbox_oldest_age_seconds") == 42.5


def test_dropped_log_records_are_counted() -> None:
    logger = logging.getLogger("tests.metrics.drops")
    with written_off_the_loop(interval_s=60.0, max_queued=3) as log_queue:
        metrics = Metrics(dropped_logs=lambda: log_queue.dropped)
        for n in range(5):
            logger.warning("line n=%s", n)
        dropped = metrics.snapshot().log_records_dropped
    assert dropped == 2
    assert (
        parse(render(metrics.snapshot(), None).decode()).value("gateway_log_records_dropped_total")
        == 2
    )
