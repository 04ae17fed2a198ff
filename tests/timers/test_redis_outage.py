"""A real redis-server that hangs, stops or restarts: 503 STORE_UNAVAILABLE, then back to work."""

import asyncio
import logging
import os
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient, AiohttpServer

from gateway.app import create_app
from gateway.appkeys import OUTBOX
from gateway.settings import Settings
from tests.clock import ManualClock
from tests.conftest import GatewayClient
from tests.fakes.redmine_api import FakeRedmineApi
from tests.front_server import GatewayTestServer
from tests.realredis import RedisServer, running_redis
from tests.timers.replicas import (
    ALICE_ID,
    POLL_INTERVAL_S,
    SECRET_KEY,
    HoldingRedmine,
    Json,
    active,
    auth,
    entry_posts,
    shown,
    started,
    stop,
    unique_prefix,
)

# Short, so that a silent Redis is given up on quickly; the tests assert on answers, not times.
REDIS_TIMEOUT_S = 0.3
# A request that hangs fails its test here instead of holding it (a bound, not an assertion).
ANSWER_BOUND_S = 30.0
# Pooled connections opened before a restart, which the restart leaves dead.
CONCURRENT = 8
# The outbox lease is 2 x GATEWAY_UPSTREAM_TIMEOUT_S + 10 s; a short upstream timeout keeps a
# lease left behind by an outage short (the posting lock expires in real time, in Redis).
UPSTREAM_TIMEOUT_S = 0.5
OUTBOX_BOUND_S = 30.0


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    retry_after: str | None


@dataclass
class Deployment:
    """One gateway replica (served as the app alone) on a real Redis that keeps its data."""

    redis: RedisServer
    redmine: FakeRedmineApi
    clock: ManualClock
    serve: AiohttpClient
    prefix: str

    def settings(self) -> Settings:
        return Settings(
            redmine_url=self.redmine.url,
            redis_url=self.redis.url,
            secret_key=SECRET_KEY,
            key_prefix=self.prefix,
            upstream_timeout_s=UPSTREAM_TIMEOUT_S,
            redis_timeout_s=REDIS_TIMEOUT_S,
        )

    async def replica(self) -> GatewayClient:
        app = create_app(self.settings(), clock=self.clock, outbox_worker=False)
        return await self.serve(app)

    def key(self) -> str:
        return self.redmine.api_key_of("alice")


@pytest.fixture
async def aof_redis() -> AsyncIterator[RedisServer]:
    async with running_redis(append_only=True) as server:
        yield server


@pytest.fixture
def deployment(
    aof_redis: RedisServer,
    redmine_api: FakeRedmineApi,
    clock: ManualClock,
    aiohttp_client: AiohttpClient,
) -> Deployment:
    return Deployment(aof_redis, redmine_api, clock, aiohttp_client, unique_prefix())


async def ask(
    client: GatewayClient, method: str, path: str, key: str, body: Json | None = None
) -> Reply:
    async with (
        asyncio.timeout(ANSWER_BOUND_S),
        client.request(method, path, json=body, headers=auth(key)) as response,
    ):
        return Reply(response.status, await response.json(), response.headers.get("Retry-After"))


def assert_store_unavailable(reply: Reply) -> None:
    assert reply.status == 503, reply
    assert reply.body.keys() == {"message", "error_code", "errors"}, reply.body
    assert reply.body["error_code"] == "STORE_UNAVAILABLE"
    assert reply.body["errors"] == {}
    assert reply.retry_after is not None and reply.retry_after.isdigit(), reply
    assert int(reply.retry_after) > 0


def assert_no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    unhandled = [r.getMessage() for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert not unhandled, unhandled


async def test_a_hanging_redis_answers_503_and_requests_work_once_it_continues(
    deployment: Deployment, aof_redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    gateway, key = await deployment.replica(), deployment.key()
    timer_id = await started(gateway, key)
    os.kill(aof_redis.pid, signal.SIGSTOP)
    try:
        for path in (
            "/time-trackings/active",
            f"/time-trackings/{timer_id}",
            "/time-trackings/analytics?project_slug=web-app",
        ):
            assert_store_unavailable(await ask(gateway, "GET", path, key))
        assert_store_unavailable(await ask(gateway, "PUT", f"/time-trackings/{timer_id}", key, {}))
    finally:
        os.kill(aof_redis.pid, signal.SIGCONT)
    running = await active(gateway, key)
    assert running is not None
    assert (running["id"], running["status"]) == (timer_id, "running")
    assert_no_traceback(caplog)


async def test_requests_after_a_redis_restart_succeed_and_answer_503_while_it_is_down(
    deployment: Deployment, aof_redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    gateway, key = await deployment.replica(), deployment.key()
    timer_id = await started(gateway, key)
    path = "/time-trackings/active"
    await asyncio.gather(*(ask(gateway, "GET", path, key) for _ in range(CONCURRENT)))
    await aof_redis.restart()  # every pooled connection is now dead
    replies = await asyncio.gather(*(ask(gateway, "GET", path, key) for _ in range(CONCURRENT)))
    assert [(r.status, r.body["data"]["id"]) for r in replies] == [(200, timer_id)] * CONCURRENT
    await aof_redis.stop()
    assert_store_unavailable(await ask(gateway, "GET", path, key))
    assert_store_unavailable(await ask(gateway, "GET", "/time-trackings?project_slug=web-app", key))
    assert await aof_redis.start()
    replies = await asyncio.gather(*(ask(gateway, "GET", path, key) for _ in range(CONCURRENT)))
    assert [(r.status, r.body["data"]["id"]) for r in replies] == [(200, timer_id)] * CONCURRENT
    assert_no_traceback(caplog)


async def test_a_stop_while_redis_is_down_leaves_the_timer_running(
    deployment: Deployment, aof_redis: RedisServer
) -> None:
    gateway, key = await deployment.replica(), deployment.key()
    timer_id = await started(gateway, key)
    deployment.clock.advance(minutes=30)
    await aof_redis.stop()
    assert_store_unavailable(await ask(gateway, "PUT", f"/time-trackings/{timer_id}", key, {}))
    assert entry_posts(deployment.redmine) == 0
    await aof_redis.restart()
    assert (await shown(gateway, key, timer_id))["status"] == "running"
    status, answer = await stop(gateway, key, timer_id)
    assert (status, answer["data"]["status"]) == (200, "recorded"), answer
    assert entry_posts(deployment.redmine) == 1
    assert answer["data"]["redmine_time_entry_ids"] == [
        entry.id for entry in deployment.redmine.entries_for(ALICE_ID)
    ]


@pytest.fixture
async def holding_deployment(
    aof_redis: RedisServer,
    aiohttp_server: AiohttpServer,
    clock: ManualClock,
    aiohttp_client: AiohttpClient,
) -> Deployment:
    fake = HoldingRedmine(clock)
    server = await aiohttp_server(fake.app)
    fake.url = str(server.make_url("/"))
    return Deployment(aof_redis, fake, clock, aiohttp_client, unique_prefix())


async def drain_outbox(gateway: GatewayClient, deployment: Deployment, timer_id: int) -> Json:
    """Runs the outbox (the clock past every lease and back-off) until the timer is recorded;
    bounded, and polled: the posting lock an outage left behind expires in Redis's own time."""
    key = deployment.key()
    async with asyncio.timeout(OUTBOX_BOUND_S):
        while True:
            deployment.clock.advance(minutes=1)
            await gateway.app[OUTBOX].run_once()
            data = await shown(gateway, key, timer_id)
            if data["status"] != "pending":
                return data
            await asyncio.sleep(POLL_INTERVAL_S)


async def test_a_stop_whose_post_outlives_redis_is_kept_and_posted_once(
    holding_deployment: Deployment, aof_redis: RedisServer
) -> None:
    deployment = holding_deployment
    redmine = deployment.redmine
    assert isinstance(redmine, HoldingRedmine)
    gateway, key = await deployment.replica(), deployment.key()
    timer_id = await started(gateway, key)
    deployment.clock.advance(minutes=30)
    redmine.hold_next_post()
    stopping = asyncio.create_task(ask(gateway, "PUT", f"/time-trackings/{timer_id}", key, {}))
    try:
        async with asyncio.timeout(ANSWER_BOUND_S):
            await redmine.stored.wait()
        # Redmine has stored the entry; Redis goes away before its answer comes back.
        await aof_redis.stop()
    finally:
        redmine.release.set()
    # The stop was kept before the post went out: it answers pending, not an error.
    first = await stopping
    assert (first.status, first.body["data"]["status"]) == (202, "pending"), first
    await aof_redis.start()
    assert (await shown(gateway, key, timer_id))["status"] == "pending"  # not lost
    status, again = await stop(gateway, key, timer_id)
    assert (status, again["data"]["status"]) == (202, "pending"), again
    recorded = await drain_outbox(gateway, deployment, timer_id)
    assert recorded["status"] == "recorded", recorded
    [entry] = redmine.entries_for(ALICE_ID)
    assert recorded["redmine_time_entry_ids"] == [entry.id]
    assert entry_posts(redmine) == 1


async def test_pass_through_works_and_readyz_names_redis_while_redis_is_down(
    deployment: Deployment, aof_redis: RedisServer, aiohttp_client: AiohttpClient
) -> None:
    settings = deployment.settings()
    served: TestClient[web.Request, None] = await aiohttp_client(
        GatewayTestServer(create_app(settings, clock=deployment.clock), settings)
    )
    key = deployment.key()
    await aof_redis.stop()
    async with served.get("/projects/web-app.json", headers=auth(key)) as response:
        assert response.status == 200
        assert (await response.json())["project"]["identifier"] == "web-app"
    async with served.get("/-/readyz") as response:
        assert response.status == 503
        body = await response.json()
        assert body["error_code"] == "NOT_READY"
        assert set(body["errors"]) == {"redis"}
    async with served.get("/time-trackings/active", headers=auth(key)) as response:
        assert response.status == 503
        assert response.headers["Retry-After"].isdigit()
        assert (await response.json())["error_code"] == "STORE_UNAVAILABLE"


async def test_a_pause_or_resume_while_redis_is_down_is_503_and_changes_nothing(
    deployment: Deployment, aof_redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    gateway, key = await deployment.replica(), deployment.key()
    timer_id = await started(gateway, key)
    deployment.clock.advance(minutes=20)
    await aof_redis.stop()
    assert_store_unavailable(await ask(gateway, "POST", f"/time-trackings/{timer_id}/pause", key))
    await aof_redis.restart()
    running = await shown(gateway, key, timer_id)
    assert (running["status"], running["is_paused"]) == ("running", False)
    assert (await ask(gateway, "POST", f"/time-trackings/{timer_id}/pause", key)).status == 200
    deployment.clock.advance(minutes=40)
    await aof_redis.stop()
    assert_store_unavailable(await ask(gateway, "POST", f"/time-trackings/{timer_id}/resume", key))
    await aof_redis.restart()
    paused = await shown(gateway, key, timer_id)
    assert (paused["is_paused"], paused["duration_minutes"]) == (True, 20)
    assert_no_traceback(caplog)
