"""Shared fixtures: fakeredis, the fake Redmine, and a gateway wired to both."""

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from fakeredis import FakeAsyncRedis
from pytest_aiohttp import AiohttpClient, AiohttpServer

from gateway.app import create_app
from gateway.settings import Settings
from tests.fakes.redmine import FakeRedmine

GatewayClient = TestClient[web.Request, web.Application]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A skipped test is a failed run: every test here must be able to run on a CI machine."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if skipped and exitstatus == pytest.ExitCode.OK:
        reporter.write_line(f"{len(skipped)} skipped test(s) fail this run", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


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
def settings(redmine: FakeRedmine) -> Settings:
    return Settings(redmine_url=redmine.url, upstream_timeout_s=2.0)


@pytest.fixture
async def client(
    aiohttp_client: AiohttpClient, settings: Settings, redis: FakeAsyncRedis
) -> GatewayClient:
    return await aiohttp_client(create_app(settings, redis=redis))
