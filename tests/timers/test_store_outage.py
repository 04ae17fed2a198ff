"""A real Redis that hangs, restarts or is gone: clear 503s, nothing half-written, never a 500."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from pytest_aiohttp import AiohttpClient

from gateway.app import create_app
from gateway.settings import Settings
from tests.clock import ManualClock
from tests.conftest import GatewayClient, ServedGateway
from tests.fakes.redmine_api import FakeRedmineApi
from tests.realredis import ControlledRedis, controlled_redis
from tests.timers.replicas import ALICE_ID, SECRET_KEY, auth, start, stop, unique_prefix

REDIS_TIMEOUT_S = 0.3


@pytest.fixture
async def redis_server() -> AsyncIterator[ControlledRedis]:
    async with controlled_redis() as server:
        yield server


@pytest.fixture
async def replica(
    redis_server: ControlledRedis,
    redmine_api: FakeRedmineApi,
    clock: ManualClock,
    aiohttp_client: AiohttpClient,
) -> GatewayClient:
    """A gateway built as in production (its own Redis client), over the fake Redmine."""
    settings = Settings(
        redmine_url=redmine_api.url,
        redis_url=redis_server.url,
        secret_key=SECRET_KEY,
        key_prefix=unique_prefix(),
        redis_timeout_s=REDIS_TIMEOUT_S,
        upstream_timeout_s=2.0,
    )
    app: web.Application = create_app(settings, clock=clock, outbox_worker=False)
    return await aiohttp_client(app)


async def answer(client: GatewayClient, method: str, path: str, **kwargs: Any) -> Any:
    async with client.request(method, path, **kwargs) as response:
        body = await response.json() if response.content_type == "application/json" else None
        return response.status, response.headers.get("Retry-After"), body


def assert_store_unavailable(reply: Any) -> None:
    status, retry_after, body = reply
    assert status == 503, body
    assert body["error_code"] == "STORE_UNAVAILABLE"
    assert retry_after is not None and int(retry_after) > 0


async def test_a_hung_redis_answers_503_then_recovers(
    replica: GatewayClient,
    redis_server: ControlledRedis,
    redmine_api: FakeRedmineApi,
    caplog: pytest.LogCaptureFixture,
) -> None:
    key = redmine_api.api_key_of("alice")
    assert (await answer(replica, "GET", "/time-trackings/active", headers=auth(key)))[0] == 200
    redis_server.pause()
    try:
        for method, path in (("GET", "/time-trackings/active"), ("POST", "/time-trackings")):
            reply = await answer(replica, method, path, headers=auth(key), json={"task_uuid": "1"})
            assert_store_unavailable(reply)
    finally:
        redis_server.resume()
    status, _, body = await answer(replica, "GET", "/time-trackings/active", headers=auth(key))
    assert (status, body) == (200, {"data": None})
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"


async def test_across_a_restart_requests_answer_503_then_work_with_nothing_lost(
    replica: GatewayClient,
    redis_server: ControlledRedis,
    redmine_api: FakeRedmineApi,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    key = redmine_api.api_key_of("alice")
    status, started = await start(replica, key)
    assert status == 201, started
    timer_id = started["data"]["id"]
    clock.advance(minutes=30)
    await redis_server.stop()
    # Redis is gone: the stop is refused whole and the timer keeps running.
    assert_store_unavailable(
        await answer(replica, "PUT", f"/time-trackings/{timer_id}", headers=auth(key), json={})
    )
    await redis_server.start()
    # The pool's connections died with the old server: the first request after the restart
    # must not fail on them.
    status, _, body = await answer(replica, "GET", "/time-trackings/active", headers=auth(key))
    assert (status, body["data"]["id"], body["data"]["status"]) == (200, timer_id, "running")
    status, stopped = await stop(replica, key, timer_id)
    assert (status, stopped["data"]["status"]) == (200, "recorded")
    [entry] = redmine_api.entries_for(ALICE_ID)
    assert stopped["data"]["redmine_time_entry_ids"] == [entry.id]
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"


async def test_a_stop_meeting_a_restart_is_either_pending_or_running_and_posts_once(
    replica: GatewayClient,
    redis_server: ControlledRedis,
    redmine_api: FakeRedmineApi,
    clock: ManualClock,
) -> None:
    key = redmine_api.api_key_of("alice")
    _, started = await start(replica, key)
    timer_id = started["data"]["id"]
    clock.advance(minutes=30)
    stopping = asyncio.create_task(stop(replica, key, timer_id))
    await redis_server.stop()
    status, first = await stopping
    assert status in (200, 202, 503), first
    await redis_server.start()
    for _ in range(2):  # the timer app repeats the stop until it is taken
        status, again = await stop(replica, key, timer_id)
        assert status in (200, 202), again
    assert again["data"]["status"] in ("recorded", "pending")
    assert len(redmine_api.entries_for(ALICE_ID)) == 1


async def test_pass_through_and_readiness_while_redis_is_down(
    served_gateway: ServedGateway,
    redis_server: ControlledRedis,
    redmine_api: FakeRedmineApi,
) -> None:
    settings = Settings(
        redmine_url=redmine_api.url,
        redis_url=redis_server.url,
        secret_key=SECRET_KEY,
        redis_timeout_s=REDIS_TIMEOUT_S,
    )
    gateway = await served_gateway(settings, own_store=True)
    await redis_server.stop()
    key = redmine_api.api_key_of("alice")
    async with gateway.get("/issues/1.json", headers=auth(key)) as response:
        assert response.status == 200
        assert (await response.json())["issue"]["id"] == 1
    async with gateway.get("/-/readyz") as response:
        assert response.status == 503
        assert "redis" in (await response.json())["errors"]
    async with gateway.get("/time-trackings/active", headers=auth(key)) as response:
        assert response.status == 503
        assert (await response.json())["error_code"] == "STORE_UNAVAILABLE"
