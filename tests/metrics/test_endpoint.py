"""GET /-/metrics on a served gateway: the exposition parses, and each request family moves."""

import asyncio
import secrets
from collections.abc import Callable

from gateway.appkeys import METRICS
from gateway.settings import Settings
from tests.conftest import GatewayClient, ServedGateway
from tests.fakes.redmine import Canned, FakeRedmine
from tests.metrics.scrape import Scrape, scrape
from tests.ports import free_port

WAIT_S = 5.0
FAMILIES = {
    "gateway_requests": "counter",
    "gateway_request_duration_seconds": "histogram",
    "gateway_upstream_requests": "counter",
    "gateway_upstream_errors": "counter",
    "gateway_upstream_duration_seconds": "histogram",
    "gateway_upstream_connections": "gauge",
    "gateway_client_connections": "gauge",
    "gateway_entries_posted": "counter",
    "gateway_redis_errors": "counter",
    "gateway_timers_running": "gauge",
    "gateway_outbox_depth": "gauge",
    "gateway_outbox_oldest_age_seconds": "gauge",
    "gateway_log_records_dropped": "counter",
    "gateway_processes": "gauge",
}


async def wait_until(condition: Callable[[], bool]) -> None:
    """Polls a condition nothing signals (the fake records calls as they arrive)."""
    async with asyncio.timeout(WAIT_S):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def metrics_of(client: GatewayClient) -> Scrape:
    return await scrape(client.session, str(client.make_url("/-/metrics")))


async def status_of(client: GatewayClient, method: str, path: str) -> int:
    async with client.request(method, path) as response:
        await response.read()
        return response.status


async def test_the_exposition_parses_with_every_family(client: GatewayClient) -> None:
    metrics = await metrics_of(client)
    assert metrics.families == FAMILIES
    assert metrics.value("gateway_processes") == 1
    # Every route has its histogram from the start, so a dashboard never has a gap.
    assert metrics.label_values("gateway_request_duration_seconds_count", "route") == {
        "passthrough",
        "timers",
        "analytics",
        "ops",
    }
    assert metrics.label_values("gateway_upstream_errors_total", "kind") == {
        "connect",
        "timeout",
        "closed",
        "5xx",
    }


async def test_requests_count_by_route_method_and_code(client: GatewayClient) -> None:
    assert await status_of(client, "GET", "/issues.json") == 200
    assert await status_of(client, "POST", "/time-trackings") == 401
    assert await status_of(client, "GET", "/time-trackings/analytics") == 401
    assert await status_of(client, "GET", "/time-trackings/reports") == 401
    assert await status_of(client, "GET", "/-/healthz") == 200
    assert await status_of(client, "GET", "/-/nothing") == 404
    metrics = await metrics_of(client)
    requests = {
        (labels["route"], labels["method"], labels["code"]): value
        for labels, value in metrics.values("gateway_requests_total")
    }
    assert requests == {
        ("passthrough", "GET", "200"): 1,
        ("timers", "POST", "401"): 1,
        ("analytics", "GET", "401"): 2,
        ("ops", "GET", "200"): 1,
        ("ops", "GET", "404"): 1,
    }
    # A request is counted once answered: this scrape shows up in the next one.
    again = await metrics_of(client)
    assert again.value("gateway_requests_total", route="ops", method="GET", code="200") == 2
    counts = {
        labels["route"]: value
        for labels, value in metrics.values("gateway_request_duration_seconds_count")
    }
    assert counts == {"passthrough": 1, "timers": 1, "analytics": 2, "ops": 2}
    bucket = "gateway_request_duration_seconds_bucket"
    assert metrics.value(bucket, route="analytics", le="+Inf") == 2
    assert metrics.value("gateway_request_duration_seconds_sum", route="passthrough") > 0


async def test_fifty_random_paths_make_one_passthrough_series(
    client: GatewayClient, redmine: FakeRedmine
) -> None:
    paths = [f"/projects/{secrets.token_hex(8)}/issues.json?key={n}" for n in range(50)]
    for path in paths:
        assert await status_of(client, "GET", path) == 200
    assert len(redmine.calls) == 50
    metrics = await metrics_of(client)
    assert metrics.values("gateway_requests_total") == [
        ({"route": "passthrough", "method": "GET", "code": "200"}, 50)
    ]
    assert not any(path.split("?")[0] in metrics.text for path in paths)


async def test_unknown_methods_count_as_other(client: GatewayClient) -> None:
    for method in ("PROPFIND", "REPORT", "MKCOL"):
        assert await status_of(client, method, "/dav/x") == 200
    assert await status_of(client, "PATCH", "/issues/1.json") == 200
    metrics = await metrics_of(client)
    assert metrics.label_values("gateway_requests_total", "method") == {"other", "PATCH"}
    assert metrics.total("gateway_requests_total", method="other") == 3


async def test_requests_refused_unparsed_count_with_their_status(client: GatewayClient) -> None:
    assert client.server.port is not None
    reader, writer = await asyncio.open_connection(client.server.host, client.server.port)
    writer.write(b"BREW /pot HTTP/1.1\r\nHost: gw\r\n\r\n")  # no method llhttp knows
    async with asyncio.timeout(WAIT_S):
        answer = await reader.read()
    writer.close()
    assert answer.startswith(b"HTTP/1.1 400 ")
    metrics = await metrics_of(client)
    assert metrics.values("gateway_requests_total") == [
        ({"route": "passthrough", "method": "other", "code": "400"}, 1)
    ]


async def test_redmine_answers_count_with_their_latency_and_5xx(
    client: GatewayClient, redmine: FakeRedmine
) -> None:
    redmine.queue(Canned(status=503), Canned(status=500), Canned(status=404))
    for expected in (503, 500, 404, 200):
        assert await status_of(client, "GET", "/issues.json") == expected
    metrics = await metrics_of(client)
    assert metrics.value("gateway_upstream_requests_total") == 4
    assert metrics.value("gateway_upstream_errors_total", kind="5xx") == 2
    assert metrics.value("gateway_upstream_errors_total", kind="closed") == 0
    assert metrics.value("gateway_upstream_duration_seconds_count") == 4
    assert metrics.value("gateway_upstream_duration_seconds_bucket", le="+Inf") == 4
    # The gateway's own requests (and the scrape) are never upstream exchanges.
    assert await status_of(client, "GET", "/time-trackings") == 401
    assert (await metrics_of(client)).value("gateway_upstream_requests_total") == 4


async def test_a_redmine_that_cannot_be_reached_counts_as_connect(
    served_gateway: ServedGateway,
) -> None:
    client = await served_gateway(Settings(redmine_url=f"http://127.0.0.1:{free_port()}/"))
    assert await status_of(client, "GET", "/issues.json") == 502
    metrics = await metrics_of(client)
    assert metrics.value("gateway_upstream_requests_total") == 1
    assert metrics.value("gateway_upstream_errors_total", kind="connect") == 1
    assert metrics.value("gateway_upstream_duration_seconds_count") == 0
    assert metrics.values("gateway_requests_total") == [
        ({"route": "passthrough", "method": "GET", "code": "502"}, 1)
    ]


async def test_a_slow_redmine_counts_as_timeout(
    served_gateway: ServedGateway, redmine: FakeRedmine
) -> None:
    client = await served_gateway(Settings(redmine_url=redmine.url, upstream_timeout_s=0.2))
    redmine.queue(Canned(delay_s=1.0))
    assert await status_of(client, "GET", "/issues.json") == 504
    metrics = await metrics_of(client)
    assert metrics.value("gateway_upstream_errors_total", kind="timeout") == 1
    assert metrics.value("gateway_upstream_requests_total") == 1


async def test_a_dropped_connection_counts_as_closed(
    client: GatewayClient, redmine: FakeRedmine
) -> None:
    redmine.outage = Canned(drop_connection=True)
    assert await status_of(client, "GET", "/issues.json") == 502
    metrics = await metrics_of(client)
    # A GET is sent once more on a fresh connection when the first drops before any answer:
    # one request, one error (the retry's).
    assert metrics.value("gateway_upstream_errors_total", kind="closed") == 1
    assert metrics.value("gateway_upstream_requests_total") == 1


async def test_connection_gauges_follow_a_request_in_flight(
    client: GatewayClient, redmine: FakeRedmine
) -> None:
    redmine.queue(Canned(delay_s=0.5))
    in_flight = asyncio.create_task(status_of(client, "GET", "/slow"))
    await wait_until(lambda: bool(redmine.calls))
    during = await metrics_of(client)
    assert await in_flight == 200
    after = await metrics_of(client)
    # The slow request's connection and the scrape's own.
    assert during.value("gateway_client_connections") == 2
    assert during.value("gateway_upstream_connections", state="in_use") == 1
    assert during.value("gateway_upstream_connections", state="idle") == 0
    assert after.value("gateway_upstream_connections", state="in_use") == 0
    assert after.value("gateway_upstream_connections", state="idle") == 1


async def test_metrics_off_answers_404_and_counts_nothing(
    served_gateway: ServedGateway, redmine: FakeRedmine
) -> None:
    client = await served_gateway(Settings(redmine_url=redmine.url, metrics_enabled=False))
    assert await status_of(client, "GET", "/issues.json") == 200
    async with client.get("/-/metrics") as response:
        assert response.status == 404
        assert (await response.json())["error_code"] == "NOT_FOUND"
    assert client.app is not None
    assert client.app[METRICS].snapshot().requests == {}
