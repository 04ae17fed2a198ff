"""Fixtures shared by the analytics endpoint and source tests."""

import pytest
from fakeredis import FakeAsyncRedis
from pytest_aiohttp import AiohttpClient

from tests.clock import ManualClock
from tests.fakes.redmine_api import FakeRedmineApi
from tests.timers.conftest import GatewayFactory, gateway_factory


@pytest.fixture
def make_gateway(
    aiohttp_client: AiohttpClient,
    redmine_api: FakeRedmineApi,
    redis: FakeAsyncRedis,
    clock: ManualClock,
) -> GatewayFactory:
    return gateway_factory(aiohttp_client, redmine_api, redis, clock)
