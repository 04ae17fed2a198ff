"""Acknowledged writes on real servers: a start, stop or manual entry answers only once a replica
has it; 503 (safe to repeat) when none acknowledges in time; no WAIT without replicas."""

import asyncio
import datetime as dt
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pytest_aiohttp import AiohttpClient
from redis.asyncio import Redis

from gateway.app import create_app
from gateway.appkeys import OUTBOX
from gateway.store import replication
from tests.clock import ManualClock
from tests.conftest import GatewayClient
from tests.fakes.redmine_api import FakeRedmineApi
from tests.keyspace import Keyspace
from tests.ports import free_port
from tests.realredis import HOST, RedisServer, redis_server_binary, running_redis
from tests.realsentinel import (
    SentinelSet,
    acknowledges_writes,
    eventually,
    online_replica_ports,
    running_sentinel_set,
)
from tests.timers.replicas import (
    ALICE_ID,
    ISSUE,
    Cluster,
    Json,
    auth,
    entry_posts,
    shown,
    start,
    started,
    stop,
    unique_prefix,
)

WAIT_MS = 300
REPLICA_GONE_TIMEOUT_S = 10.0


@pytest.fixture
async def servers() -> AsyncIterator[SentinelSet]:
    async with running_sentinel_set(replicas=1, sentinels=1) as servers:
        yield servers


def sentinel_cluster(
    servers: SentinelSet, redmine: FakeRedmineApi, clock: ManualClock, serve: AiohttpClient
) -> Cluster:
    return Cluster(servers.master.url, redmine, clock, unique_prefix(), serve, servers.settings())


async def replica_of(cluster: Cluster) -> GatewayClient:
    """An app of the deployment that gives up waiting for a replica after WAIT_MS."""
    settings = cluster.settings(redis_wait_replicas_ms=WAIT_MS)
    return await cluster.serve(create_app(settings, clock=cluster.clock, outbox_worker=False))


async def wait_calls(url: str) -> int:
    """WAIT commands the server has run since it started."""
    async with Redis.from_url(url, decode_responses=True) as redis:
        stats = await redis.info("commandstats")
    return int(stats.get("cmdstat_wait", {}).get("calls", 0))


async def timer_json(server: RedisServer, prefix: str, timer_id: int) -> str | None:
    async with Redis(host=HOST, port=server.port, decode_responses=True) as redis:
        value = await redis.hget(Keyspace(prefix).timer(timer_id), "json")
    return None if value is None else str(value)


async def manual_entry(client: GatewayClient, key: str, clock: ManualClock) -> tuple[int, Json]:
    ended = clock.now() - dt.timedelta(hours=1)
    body = {
        "task_uuid": ISSUE,
        "description": "review",
        "started_at": (ended - dt.timedelta(minutes=30)).isoformat(),
        "ended_at": ended.isoformat(),
    }
    async with client.post("/time-trackings", json=body, headers=auth(key)) as response:
        return response.status, await response.json()


async def test_every_answered_write_is_already_on_the_replica(
    servers: SentinelSet,
    redmine_api: FakeRedmineApi,
    clock: ManualClock,
    aiohttp_client: AiohttpClient,
) -> None:
    cluster = sentinel_cluster(servers, redmine_api, clock, aiohttp_client)
    client = await replica_of(cluster)
    [replica] = servers.replicas
    key = cluster.key_of("alice")
    waits_before = await wait_calls(servers.master.url)
    timer_id = await started(client, key)
    # Read at once, never polled: the answer came only after the replica had the write.
    assert await timer_json(replica, cluster.prefix, timer_id) == await timer_json(
        servers.master, cluster.prefix, timer_id
    )
    clock.advance(minutes=30)
    status, stopped = await stop(client, key, timer_id)
    assert (status, stopped["data"]["status"]) == (200, "recorded"), stopped
    on_replica = await timer_json(replica, cluster.prefix, timer_id)
    assert on_replica is not None and '"status":"recorded"' in on_replica
    status, manual = await manual_entry(client, key, clock)
    assert status == 201, manual
    on_replica = await timer_json(replica, cluster.prefix, manual["data"]["id"])
    assert on_replica is not None and '"status":"recorded"' in on_replica
    # One WAIT per timer write: the start (1); the stop, the post's mark, its entry id and the
    # recorded state (4); the same for the manual entry (4). And one for the first run of each
    # script on this master (create, save), whose NOSCRIPT is answered before its WAIT.
    assert await wait_calls(servers.master.url) - waits_before == 1 + 4 + 4 + 2
    assert entry_posts(redmine_api) == 2


async def test_standalone_without_replicas_never_sends_wait(
    redmine_api: FakeRedmineApi, clock: ManualClock, aiohttp_client: AiohttpClient
) -> None:
    async with running_redis() as server:
        cluster = Cluster(server.url, redmine_api, clock, unique_prefix(), aiohttp_client)
        client = await replica_of(cluster)
        key = cluster.key_of("alice")
        timer_id = await started(client, key)
        clock.advance(minutes=30)
        assert (await stop(client, key, timer_id))[0] == 200
        assert (await manual_entry(client, key, clock))[0] == 201
        assert await wait_calls(server.url) == 0
        await client.close()


async def test_a_stop_no_replica_acknowledges_is_503_and_repeating_it_posts_once(
    servers: SentinelSet,
    redmine_api: FakeRedmineApi,
    clock: ManualClock,
    aiohttp_client: AiohttpClient,
) -> None:
    cluster = sentinel_cluster(servers, redmine_api, clock, aiohttp_client)
    client = await replica_of(cluster)
    [replica] = servers.replicas
    key = cluster.key_of("alice")
    timer_id = await started(client, key)
    clock.advance(minutes=45)
    os.kill(replica.pid, signal.SIGSTOP)  # still listed online by the master, acknowledges nothing
    try:
        loop = asyncio.get_running_loop()
        began = loop.time()
        async with client.put(f"/time-trackings/{timer_id}", json={}, headers=auth(key)) as resp:
            assert resp.status == 503, await resp.text()
            assert resp.headers["Retry-After"] == "5"
            answer = await resp.json()
        assert loop.time() - began >= WAIT_MS / 1000
        assert answer["error_code"] == "STORE_UNAVAILABLE"
        # A start meets the same: its timer is stored on the master, answered 503.
        status, refused = await start(client, cluster.key_of("bob"))
        assert (status, refused["error_code"]) == (503, "STORE_UNAVAILABLE")
    finally:
        os.kill(replica.pid, signal.SIGCONT)
    assert entry_posts(redmine_api) == 0, "nothing is posted before the stop is acknowledged"
    # The client repeats: the stop stands (waiting in the outbox), it is not made again.
    status, repeated = await stop(client, key, timer_id)
    assert (status, repeated["data"]["status"]) == (202, "pending"), repeated
    assert await client.app[OUTBOX].run_once() == 1
    data = await shown(client, key, timer_id)
    assert (data["status"], data["hours"]) == ("recorded", 0.75)
    assert await stop(client, key, timer_id) == (200, {"data": data})
    assert entry_posts(redmine_api) == 1
    assert [e.id for e in redmine_api.entries_for(ALICE_ID)] == data["redmine_time_entry_ids"]


async def test_a_replica_that_went_away_is_not_waited_for(
    servers: SentinelSet,
    redmine_api: FakeRedmineApi,
    clock: ManualClock,
    aiohttp_client: AiohttpClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    cluster = sentinel_cluster(servers, redmine_api, clock, aiohttp_client)
    client = await replica_of(cluster)
    key = cluster.key_of("alice")
    await started(client, key)  # the app now knows the master has a replica
    [replica] = servers.replicas
    await replica.kill()

    async def has_no_replica() -> bool:
        return not await online_replica_ports(servers.master)

    await eventually(has_no_replica, REPLICA_GONE_TIMEOUT_S, "the master lost its replica")
    waits = await wait_calls(servers.master.url)
    timer_id = await started(client, cluster.key_of("bob"))  # one WAIT falls short, then none
    clock.advance(minutes=30)
    status, stopped = await stop(client, cluster.key_of("bob"), timer_id)
    assert (status, stopped["data"]["status"]) == (200, "recorded"), stopped
    assert await wait_calls(servers.master.url) == waits + 1
    # Said once, when it was found gone: a failover now could lose what is written.
    warned = [r for r in caplog.records if "no online replica, writes not waited" in r.message]
    assert [r.levelname for r in warned] == ["WARNING"]


async def test_a_replica_that_joins_is_waited_for_once_the_count_is_read_again(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    redmine_api: FakeRedmineApi,
    clock: ManualClock,
    aiohttp_client: AiohttpClient,
) -> None:
    async with running_redis() as master:
        cluster = Cluster(master.url, redmine_api, clock, unique_prefix(), aiohttp_client)
        client = await replica_of(cluster)
        key = cluster.key_of("alice")
        timer_id = await started(client, key)
        assert await wait_calls(master.url) == 0
        joining = RedisServer(
            redis_server_binary(),
            tmp_path,
            free_port(),
            append_only=False,
            extra_args=("--replicaof", HOST, str(master.port)),
        )
        try:
            assert await joining.start()

            await eventually(
                lambda: acknowledges_writes(master, 1),
                REPLICA_GONE_TIMEOUT_S,
                "the replica is online and acknowledges writes",
            )
            # Instead of the next second: the count is read again on this very write.
            monkeypatch.setattr(replication, "REPLICAS_CHECK_S", 0.0)
            clock.advance(minutes=15)
            status, stopped = await stop(client, key, timer_id)
            assert status == 200, stopped
            assert await wait_calls(master.url) > 0
            recorded = await timer_json(joining, cluster.prefix, timer_id)
            assert recorded is not None and '"status":"recorded"' in recorded
        finally:
            await client.close()
            await joining.stop()
