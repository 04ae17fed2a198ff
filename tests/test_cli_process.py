"""`python -m gateway serve` as a real process: signals, workers, start-up logs and secrets."""

import asyncio
import base64
import json
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import aiohttp
import pytest
from aiohttp import web
from multidict import CIMultiDictProxy
from pytest_aiohttp import AiohttpServer
from yarl import URL

from tests.gateway_process import HOST, GatewayProcess, running_gateway
from tests.procfs import TCP_ESTABLISHED, TCP_LISTEN, is_alive, tcp_sockets
from tests.realredis import running_redis

POLL_INTERVAL_S = 0.02
WAIT_TIMEOUT_S = 10.0
# A shutdown that cut in-flight requests short after a brief grace would still pass with a fast
# upstream; this one keeps the request open well after the gateway has begun to stop.
SLOW_ANSWER_S = 1.0
# A shared store needs the key that encrypts what waits in it (any 16+ characters will do).
SECRET_KEY = "process-test-secret-key"
T = TypeVar("T")


@pytest.fixture
async def real_redis_url() -> AsyncIterator[str]:
    """A throw-away redis-server; fails (never skips) when redis-server is not installed."""
    async with running_redis() as server:
        yield server.url


@dataclass
class Upstream:
    """Redmine's stand-in: records requests; /slow answers a second after the test releases it."""

    url: str = ""
    received: list[tuple[str, CIMultiDictProxy[str], bytes]] = field(default_factory=list)
    slow_arrived: asyncio.Event = field(default_factory=asyncio.Event)
    slow_release: asyncio.Event = field(default_factory=asyncio.Event)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/slow", self.slow)
        app.router.add_route("*", "/drop", self.drop)
        app.router.add_route("*", "/{anything:.*}", self.record)
        return app

    async def record(self, request: web.Request) -> web.Response:
        self.received.append((request.raw_path, request.headers, await request.read()))
        return web.json_response({"issues": []})

    async def slow(self, request: web.Request) -> web.Response:
        self.slow_arrived.set()
        async with asyncio.timeout(WAIT_TIMEOUT_S):
            await self.slow_release.wait()
        await asyncio.sleep(SLOW_ANSWER_S)  # how slow Redmine is, not a synchronisation
        return web.Response(text="slow answer")

    async def drop(self, request: web.Request) -> web.Response:
        assert request.transport is not None
        request.transport.close()
        return web.Response()


@pytest.fixture
async def upstream(aiohttp_server: AiohttpServer) -> Upstream:
    upstream = Upstream()
    server = await aiohttp_server(upstream.app())
    upstream.url = str(server.make_url("/"))
    return upstream


async def poll_until(probe: Callable[[], T | None], what: str) -> T:
    """Polls `probe` (it reads /proc, which has nothing to await) until it returns a value."""
    try:
        async with asyncio.timeout(WAIT_TIMEOUT_S):
            while True:
                result = probe()
                if result is not None:
                    return result
                await asyncio.sleep(POLL_INTERVAL_S)
    except TimeoutError:
        raise AssertionError(f"no {what} after {WAIT_TIMEOUT_S} s") from None


async def fetch(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with session.get(url) as response:
        return response.status, await response.text()


async def wait_until_refusing(gateway: GatewayProcess) -> None:
    """Returns once the gateway no longer accepts connections (it has begun shutting down)."""
    async with asyncio.timeout(WAIT_TIMEOUT_S):
        while True:
            try:
                _, writer = await asyncio.open_connection(HOST, gateway.port)
            except ConnectionRefusedError:
                return
            except ConnectionResetError:
                pass  # queued on the listening socket as it closed: the next attempt is refused
            else:
                writer.close()
                await writer.wait_closed()
            await asyncio.sleep(POLL_INTERVAL_S)


@pytest.mark.parametrize("how", ["SIGTERM", "Ctrl-C"])
async def test_shutdown_lets_an_in_flight_request_finish(
    tmp_path: Path, upstream: Upstream, how: str
) -> None:
    settings = {"GATEWAY_REDMINE_URL": upstream.url}
    async with (
        running_gateway(settings, tmp_path / "gateway.log") as gateway,
        aiohttp.ClientSession() as session,
    ):
        in_flight = asyncio.create_task(fetch(session, f"{gateway.url}/slow"))
        try:
            async with asyncio.timeout(WAIT_TIMEOUT_S):
                await upstream.slow_arrived.wait()
            if how == "SIGTERM":
                gateway.send_signal(signal.SIGTERM)
            else:
                gateway.interrupt_from_terminal()
            # The upstream starts its slow answer only once the gateway has stopped accepting, so
            # the request is provably in flight for SLOW_ANSWER_S while the gateway shuts down.
            await wait_until_refusing(gateway)
            assert not in_flight.done()
            upstream.slow_release.set()
            async with asyncio.timeout(WAIT_TIMEOUT_S):
                assert await in_flight == (200, "slow answer")
        finally:
            upstream.slow_release.set()
            if not in_flight.done():
                in_flight.cancel()
            await asyncio.gather(in_flight, return_exceptions=True)
        assert await gateway.wait() == 0, await gateway.log_text()
    assert "Traceback" not in await gateway.log_text()


def listening_workers(gateway: GatewayProcess, count: int) -> dict[int, set[int]] | None:
    """Worker pid -> its listening sockets on the gateway's port, once `count` workers listen."""
    workers = {pid: tcp_sockets(pid, gateway.port, TCP_LISTEN) for pid in gateway.children()}
    if len(workers) == count and all(workers.values()):
        return workers
    return None


@pytest.mark.parametrize("how", ["SIGTERM", "Ctrl-C"])
async def test_workers_share_one_port_and_stop_together(
    tmp_path: Path, upstream: Upstream, real_redis_url: str, how: str
) -> None:
    settings = {
        "GATEWAY_REDMINE_URL": upstream.url,
        "GATEWAY_WORKERS": "2",
        "GATEWAY_REDIS_URL": real_redis_url,
        "GATEWAY_SECRET_KEY": SECRET_KEY,
    }
    connections = 24
    async with running_gateway(settings, tmp_path / "gateway.log") as gateway:
        workers = await poll_until(lambda: listening_workers(gateway, 2), "two listening workers")
        [first, second] = workers.values()
        assert first.isdisjoint(second), "each worker binds its own SO_REUSEPORT socket"
        assert not tcp_sockets(gateway.pid, gateway.port, TCP_LISTEN), "the parent only supervises"

        async with AsyncExitStack() as stack:
            # One keep-alive connection per session; the kernel spreads new connections over the
            # listening sockets, so with 24 of them both workers get some (all on one: 2**-23).
            sessions = [
                await stack.enter_async_context(aiohttp.ClientSession()) for _ in range(connections)
            ]
            for session in sessions:
                async with session.get(f"{gateway.url}/-/readyz") as response:
                    assert response.status == 200, await response.text()
                    checks = (await response.json())["checks"]
                    assert checks == {"redis": "ok", "redmine": "ok"}
                async with session.get(f"{gateway.url}/issues.json") as response:
                    assert response.status == 200
            served = {pid: len(tcp_sockets(pid, gateway.port, TCP_ESTABLISHED)) for pid in workers}
            assert sum(served.values()) == connections, served
            assert all(served.values()), f"a worker accepted no connection: {served}"

            # Idle keep-alive connections are still open: they must not hold up the stop. Ctrl-C
            # reaches only the parent (workers run in their own session); it stops them.
            if how == "SIGTERM":
                gateway.send_signal(signal.SIGTERM)
            else:
                gateway.interrupt_from_terminal()
            assert await gateway.wait() == 0, await gateway.log_text()
        assert not [pid for pid in workers if is_alive(pid)]
    assert [target for target, _, _ in upstream.received].count("/issues.json") == connections
    log = await gateway.log_text()
    signal_name = "SIGTERM" if how == "SIGTERM" else "SIGINT"
    assert f"stopping workers signal={signal_name}" in log
    assert "Traceback" not in log


EMBEDDED_STORE_WARNING = "GATEWAY_REDIS_URL is not set"


async def test_embedded_store_is_announced_at_start_up(tmp_path: Path, upstream: Upstream) -> None:
    async with running_gateway(
        {"GATEWAY_REDMINE_URL": upstream.url}, tmp_path / "gateway.log"
    ) as gateway:
        # Log lines are written by a thread every 50 ms: /-/healthz may answer before.
        log = await gateway.wait_for_log(EMBEDDED_STORE_WARNING)
    [warning] = [line for line in log.splitlines() if EMBEDDED_STORE_WARNING in line]
    assert " WARNING " in warning
    assert "store=embedded" in log


async def test_no_embedded_store_warning_with_redis(
    tmp_path: Path, upstream: Upstream, real_redis_url: str
) -> None:
    settings = {
        "GATEWAY_REDMINE_URL": upstream.url,
        "GATEWAY_REDIS_URL": real_redis_url,
        "GATEWAY_SECRET_KEY": SECRET_KEY,
    }
    async with running_gateway(settings, tmp_path / "gateway.log") as gateway:
        log = await gateway.log_text()
    assert "store=redis" in log
    assert EMBEDDED_STORE_WARNING not in log


SECRETS = [
    "SECRET1-key",
    "SECRET2-header",
    "SECRET3-cookie",
    "SECRET4-password",
    "SECRET5-body",
    "SECRET6-gateway-secret-key",
]
BASIC = "Basic " + base64.b64encode(b"admin:SECRET4-password").decode()


async def send_requests_carrying_secrets(session: aiohttp.ClientSession, url: str) -> None:
    credentials = {
        "X-Redmine-API-Key": "SECRET2-header",
        "Authorization": BASIC,
        "Cookie": "_redmine_session=SECRET3-cookie",
    }
    targets = [
        "/issues.json?key=SECRET1-key",
        "/projects.json?limit=1&key=SECRET1-key&offset=0",
        "/drop?key=SECRET1-key",  # the upstream cuts the connection: a warning is logged
        "/-/healthz?key=SECRET1-key",
        "/-/nope?key=SECRET1-key",  # the gateway's own 404
    ]
    for target in targets:
        async with session.get(url + target, headers=credentials) as response:
            await response.read()
    body = json.dumps({"time_entry": {"comments": "SECRET5-body"}})
    async with session.post(
        f"{url}/time_entries.json?key=SECRET1-key", data=body, headers=credentials
    ) as response:
        assert response.status == 200


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_secrets_never_reach_the_log(
    tmp_path: Path, upstream: Upstream, log_format: str
) -> None:
    settings = {
        "GATEWAY_REDMINE_URL": upstream.url,
        "GATEWAY_LOG_LEVEL": "DEBUG",
        "GATEWAY_LOG_FORMAT": log_format,
        "GATEWAY_SECRET_KEY": "SECRET6-gateway-secret-key",
    }
    async with (
        running_gateway(settings, tmp_path / "gateway.log") as gateway,
        aiohttp.ClientSession() as session,
    ):
        await send_requests_carrying_secrets(session, gateway.url)
        assert await gateway.stop() == 0
    log = await gateway.log_text()

    # The secrets did pass through the gateway, unchanged, so it had every chance to log them.
    [_, _, post] = upstream.received
    assert post[0] == "/time_entries.json?key=SECRET1-key"
    assert post[1]["X-Redmine-API-Key"] == "SECRET2-header"
    assert post[1]["Authorization"] == BASIC
    assert post[1]["Cookie"] == "_redmine_session=SECRET3-cookie"
    assert b"SECRET5-body" in post[2]

    leaked = [secret for secret in [*SECRETS, BASIC.split()[1]] if secret in log]
    assert not leaked, f"secrets in the log: {leaked}\n{log}"
    assert "key=[REDACTED]" in log, "requests were logged, with the key masked"
    assert "upstream unavailable" in log, "the error path was logged too"
    lines = log.splitlines()
    if log_format == "json":
        entries = [json.loads(line) for line in lines]  # every line, not only ours
        assert {entry["level"] for entry in entries} >= {"DEBUG", "INFO", "WARNING"}
    else:
        assert any(" DEBUG " in line for line in lines), "DEBUG logging was on"


async def test_percent_encoded_key_never_reaches_the_log(
    tmp_path: Path, upstream: Upstream
) -> None:
    # Rack decodes parameter names, so Redmine reads ?k%65y=... as its API key parameter.
    target = "/issues.json?k%65y=SECRET7-encoded-key"
    async with (
        running_gateway({"GATEWAY_REDMINE_URL": upstream.url}, tmp_path / "gateway.log") as gateway,
        aiohttp.ClientSession() as session,
    ):
        async with session.get(URL(gateway.url + target, encoded=True)) as response:
            assert response.status == 200
        assert await gateway.stop() == 0
    [(received, _, _)] = upstream.received
    assert received == target
    assert "SECRET7-encoded-key" not in await gateway.log_text()
