"""Shared fixtures: fakeredis, the fake Redmine, and a gateway wired to both."""

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import cast

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from fakeredis import FakeAsyncRedis
from pytest_aiohttp import AiohttpClient, AiohttpServer

from gateway.app import create_app
from gateway.logs import with_request_id
from gateway.settings import Settings
from tests.clock import ManualClock
from tests.fakes.raw_upstream import RawUpstream
from tests.fakes.redmine import FakeRedmine
from tests.fakes.redmine_api import FakeRedmineApi
from tests.front_server import GatewayTestServer
from tests.front_wire import Wire

GatewayClient = TestClient[web.Request, web.Application]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A skipped test is a failed run: every test here must be able to run on a CI machine."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    skipped = reporter.stats.get("skipped", [])
    if skipped and exitstatus == pytest.ExitCode.OK:
        reporter.write_line(f"{len(skipped)} skipped test(s) fail this run", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True, scope="session")
def records_carry_request_ids() -> None:
    """As `configure_logging` does in a serving process: records carry the current request id."""
    logging.setLogRecordFactory(with_request_id(logging.getLogRecordFactory()))


@pytest.fixture
async def redis() -> AsyncIterator[FakeAsyncRedis]:
    client = FakeAsyncRedis(decode_responses=True)
    yield client
    await client.aclose()


@pytest.fixture
async def redmine(aiohttp_server: AiohttpServer) -> FakeRedmine:
    fake = FakeRedmine()
    server = await aiohttp_server(fake.app)
    fake.url = str(server.make_url("/"))
    return fake


@pytest.fixture
async def raw_upstream() -> AsyncIterator[RawUpstream]:
    """A Redmine stand-in that answers scripted bytes (tests/fakes/raw_upstream.py)."""
    fake = RawUpstream()
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
def settings(redmine: FakeRedmine) -> Settings:
    return Settings(redmine_url=redmine.url, upstream_timeout_s=2.0)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC))


@pytest.fixture
async def redmine_api(aiohttp_server: AiohttpServer, clock: ManualClock) -> FakeRedmineApi:
    fake = FakeRedmineApi(clock=clock.now)
    server = await aiohttp_server(fake.app)
    fake.url = str(server.make_url("/"))
    return fake


@pytest.fixture
def timer_settings(redmine_api: FakeRedmineApi) -> Settings:
    return Settings(redmine_url=redmine_api.url, upstream_timeout_s=2.0)


@pytest.fixture
async def timer_app(
    timer_settings: Settings, redis: FakeAsyncRedis, clock: ManualClock
) -> web.Application:
    """The gateway over the stateful fake Redmine; tests drive its outbox by hand."""
    return create_app(timer_settings, redis=redis, clock=clock, outbox_worker=False)


@pytest.fixture
async def timer_client(aiohttp_client: AiohttpClient, timer_app: web.Application) -> GatewayClient:
    return await aiohttp_client(timer_app)


ServedGateway = Callable[..., Awaitable[GatewayClient]]


@pytest.fixture
def served_gateway(aiohttp_client: AiohttpClient) -> ServedGateway:
    """Serves a whole gateway (front and app) for these settings, as `timer-gateway serve` would."""

    async def serve(
        settings: Settings,
        redis: FakeAsyncRedis | None = None,
    ) -> GatewayClient:
        app = create_app(settings, redis=redis or FakeAsyncRedis(decode_responses=True))
        served: TestClient[web.Request, None] = await aiohttp_client(
            GatewayTestServer(app, settings)
        )
        # pytest-aiohttp types a client of any BaseTestServer as app-less; this one has `app`.
        return cast(GatewayClient, served)

    return serve


@pytest.fixture
async def client(
    served_gateway: ServedGateway, settings: Settings, redis: FakeAsyncRedis
) -> GatewayClient:
    return await served_gateway(settings, redis)


# The front's tests (tests/test_front_*.py): a served gateway in front of the raw upstream,
# and raw client connections to it.


@pytest.fixture
async def scripted_gateway(
    served_gateway: ServedGateway, raw_upstream: RawUpstream
) -> GatewayClient:
    """A served gateway whose Redmine is the scripted raw upstream."""
    return await served_gateway(Settings(redmine_url=raw_upstream.url, upstream_timeout_s=2.0))


@pytest.fixture
async def wire(scripted_gateway: GatewayClient) -> AsyncIterator[Wire]:
    server = scripted_gateway.server
    reader, writer = await asyncio.open_connection(server.host, server.port)
    yield Wire(reader, writer)
    writer.close()


@pytest.fixture
async def impatient(
    served_gateway: ServedGateway, raw_upstream: RawUpstream
) -> AsyncIterator[Wire]:
    """A connection to a gateway that waits only 0.3 s on an idle or slow client."""
    settings = Settings(
        redmine_url=raw_upstream.url,
        upstream_timeout_s=2.0,
        client_idle_timeout_s=0.3,
        client_head_timeout_s=0.3,
        client_body_timeout_s=0.3,
        client_send_timeout_s=0.3,
    )
    gateway = await served_gateway(settings)
    reader, writer = await asyncio.open_connection(gateway.server.host, gateway.server.port)
    yield Wire(reader, writer)
    writer.close()
