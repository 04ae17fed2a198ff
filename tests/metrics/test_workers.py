"""`serve` with GATEWAY_WORKERS=2 as a real process: one scrape counts what every worker served."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import aiohttp
import pytest

from gateway.metrics.snapshot import load
from tests.fakes.redmine import FakeRedmine
from tests.gateway_process import GatewayProcess, running_gateway
from tests.metrics.scrape import Scrape, scrape
from tests.ports import free_port
from tests.procfs import TCP_ESTABLISHED, TCP_LISTEN, tcp_sockets
from tests.realredis import running_redis

WAIT_S = 15.0
POLL_S = 0.05
# One keep-alive connection per session: the kernel spreads new connections over the workers'
# SO_REUSEPORT sockets, so with 24 of them both get some (all on one: 2**-23).
CONNECTIONS = 24
SECRET_KEY = "metrics-test-secret-key"


@pytest.fixture
async def real_redis_url() -> AsyncIterator[str]:
    async with running_redis() as server:
        yield server.url


def listening_workers(gateway: GatewayProcess) -> list[int] | None:
    pids = [pid for pid in gateway.children() if tcp_sockets(pid, gateway.port, TCP_LISTEN)]
    return pids if len(pids) == 2 else None


async def two_listening_workers(gateway: GatewayProcess) -> list[int]:
    async with asyncio.timeout(WAIT_S):
        # /proc signals nothing: polled.
        while (workers := listening_workers(gateway)) is None:  # noqa: ASYNC110
            await asyncio.sleep(POLL_S)
    return workers


async def scrape_until_counted(gateway: GatewayProcess, requests: int) -> Scrape:
    """Another worker's counts reach a scrape within its snapshot interval (about a second)."""
    async with aiohttp.ClientSession() as session, asyncio.timeout(WAIT_S):
        while True:
            metrics = await scrape(session, f"{gateway.ops_url}/-/metrics")
            if metrics.total("gateway_requests_total", route="passthrough") >= requests:
                return metrics
            await asyncio.sleep(POLL_S)


def snapshots(tmp: Path) -> dict[int, int]:
    """Worker pid -> pass-through requests, from the files the workers leave for each other."""
    [group] = tmp.glob("timer-gateway-metrics-*")
    return {
        int(path.stem): sum(
            n
            for (route, _, _), n in load(path.read_bytes()).requests.items()
            if route == "passthrough"
        )
        for path in group.glob("*.json")
    }


async def test_one_scrape_counts_the_requests_of_every_worker(
    tmp_path: Path, redmine: FakeRedmine, real_redis_url: str
) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    settings = {
        "GATEWAY_REDMINE_URL": redmine.url,
        "GATEWAY_WORKERS": "2",
        "GATEWAY_REDIS_URL": real_redis_url,
        "GATEWAY_SECRET_KEY": SECRET_KEY,
        # Where the parent makes the workers' shared directory, so the test can look into it.
        "TMPDIR": str(tmp),
    }
    async with running_gateway(settings, tmp_path / "gateway.log") as gateway:
        workers = await two_listening_workers(gateway)
        async with AsyncExitStack() as stack:
            sessions = [
                await stack.enter_async_context(aiohttp.ClientSession()) for _ in range(CONNECTIONS)
            ]
            for session in sessions:
                async with session.get(f"{gateway.url}/issues.json") as response:
                    assert response.status == 200
            served = {pid: len(tcp_sockets(pid, gateway.port, TCP_ESTABLISHED)) for pid in workers}
            assert all(served.values()), f"a worker accepted no connection: {served}"

            metrics = await scrape_until_counted(gateway, CONNECTIONS)
            assert (
                metrics.value(
                    "gateway_requests_total", route="passthrough", method="GET", code="200"
                )
                == CONNECTIONS
            )
            assert metrics.value("gateway_upstream_requests_total") == CONNECTIONS
            assert metrics.value("gateway_processes") == 2
            # The sessions' connections, held open, and the scrape's own.
            assert metrics.value("gateway_client_connections") == CONNECTIONS + 1
            # Each worker left its own counts, and both served some of the requests.
            per_worker = await asyncio.to_thread(snapshots, tmp)
            assert set(per_worker) == set(workers)
            assert all(per_worker.values()), per_worker
            assert sum(per_worker.values()) == CONNECTIONS
        assert await gateway.stop() == 0, await gateway.log_text()
    assert len(redmine.calls) == CONNECTIONS
    assert not list(tmp.glob("timer-gateway-metrics-*")), "the parent removes the directory"
    assert "Traceback" not in await gateway.log_text()


async def test_every_worker_serves_the_admin_port_and_only_it_has_ops(
    tmp_path: Path, redmine: FakeRedmine, real_redis_url: str
) -> None:
    settings = {
        "GATEWAY_REDMINE_URL": redmine.url,
        "GATEWAY_WORKERS": "2",
        "GATEWAY_REDIS_URL": real_redis_url,
        "GATEWAY_SECRET_KEY": SECRET_KEY,
        "GATEWAY_ADMIN_PORT": str(free_port()),
    }
    async with running_gateway(settings, tmp_path / "gateway.log") as gateway:
        workers = await two_listening_workers(gateway)
        assert gateway.admin_port is not None
        assert all(tcp_sockets(pid, gateway.admin_port, TCP_LISTEN) for pid in workers)
        async with aiohttp.ClientSession() as session:
            for path in ("/-/healthz", "/-/readyz", "/-/metrics"):
                async with session.get(f"{gateway.url}{path}") as response:
                    assert response.status == 404
                    assert (await response.json())["error_code"] == "NOT_FOUND"
            async with session.get(f"{gateway.ops_url}/issues.json") as response:
                assert response.status == 404
            async with session.get(f"{gateway.url}/issues.json") as response:
                assert response.status == 200
            async with session.get(f"{gateway.ops_url}/-/readyz") as response:
                assert response.status == 200, await response.text()
        metrics = await scrape_until_counted(gateway, 1)
        assert metrics.value("gateway_processes") == 2
        assert await gateway.stop() == 0, await gateway.log_text()
    # The admin port's /issues.json never reached Redmine (readiness asks it with HEAD /).
    assert [call.raw_path for call in redmine.calls if call.method == "GET"] == ["/issues.json"]
