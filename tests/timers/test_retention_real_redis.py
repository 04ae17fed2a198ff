"""Retention on a real redis-server: the records' TTLs as Redis keeps them, and Redis's own
expiry followed by the sweep's pruning."""

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from pytest_aiohttp import AiohttpClient
from redis.asyncio import Redis

from gateway.store.buckets import bucket_of_user, bucketed_timer_id
from gateway.store.keys import Keys
from gateway.store.redis import RedisStore, Retention
from gateway.timers.models import Portion, Timer
from tests.clock import ManualClock
from tests.fakes.redmine import Canned
from tests.fakes.redmine_api import FakeRedmineApi
from tests.keyspace import Keyspace
from tests.realredis import RedisServer, running_redis
from tests.timers.records import a_timer
from tests.timers.replicas import (
    ALICE_ID,
    Cluster,
    audit_keys,
    shown,
    started,
    stop,
    unique_prefix,
)

DAY_MS = 86_400_000
EXPIRY_DEADLINE_S = 5.0


@pytest.fixture
async def real_redis() -> AsyncIterator[RedisServer]:
    async with running_redis() as server:
        yield server


@pytest.fixture
async def redis(real_redis: RedisServer) -> AsyncIterator[Redis]:
    client = Redis.from_url(real_redis.url, decode_responses=True)
    yield client
    await client.aclose()


async def test_recorded_records_carry_the_retention_as_ttl_and_others_none(
    real_redis: RedisServer,
    redis: Redis,
    redmine_api: FakeRedmineApi,
    clock: ManualClock,
    aiohttp_client: AiohttpClient,
) -> None:
    cluster = Cluster(real_redis.url, redmine_api, clock, unique_prefix(), aiohttp_client)
    gateway = await cluster.replica()
    key = cluster.key_of("alice")
    recorded = await started(gateway, key)
    clock.advance(minutes=30)
    assert (await stop(gateway, key, recorded))[0] == 200
    pending = await started(gateway, key)
    clock.advance(minutes=30)
    redmine_api.outage = Canned(status=503)
    assert (await stop(gateway, key, pending))[0] == 202
    redmine_api.outage = None
    assert (await shown(gateway, key, recorded))["status"] == "recorded"

    keys = Keyspace(cluster.prefix)
    before_ms = int(time.time() * 1000)
    expires_ms = int(await redis.pexpiretime(keys.timer(recorded)))
    after_ms = int(time.time() * 1000)
    assert before_ms + 400 * DAY_MS - 60_000 <= expires_ms <= after_ms + 400 * DAY_MS
    assert int(await redis.pexpiretime(keys.timer(pending))) == -1
    # The due time on the gateway's clock is the same retention, counted from the post.
    [(member, due)] = [
        (str(pair[0]), float(pair[1]))
        for pair in await redis.zrange(keys.settled(ALICE_ID), 0, -1, withscores=True)
    ]
    assert member.startswith(f"{recorded}:{ALICE_ID}:")
    assert due == (clock.now() - dt.timedelta(minutes=30) + dt.timedelta(days=400)).timestamp()
    await audit_keys(cluster, [key])


def recorded_timer(timer_id: int, entry_id: int, now: dt.datetime) -> Timer:
    day = now.date()
    return a_timer(
        timer_id,
        ALICE_ID,
        now - dt.timedelta(minutes=30),
        ended_at=now,
        status="recorded",
        duration_seconds=1800,
        portions=(Portion(spent_on=day, minutes=30, hours=Decimal("0.5"), entry_id=entry_id),),
    )


async def test_redis_expires_the_record_and_the_sweep_prunes_its_indexes(
    redis: Redis, clock: ManualClock
) -> None:
    keys = Keys(unique_prefix())
    store = RedisStore(redis, keys)
    now = clock.now()
    timer_id, entry_id = bucketed_timer_id(bucket_of_user(ALICE_ID), 1), 77
    running = recorded_timer(timer_id, entry_id, now).model_copy(
        update={"status": "running", "portions": (), "ended_at": None}
    )
    assert await store.create_timer(running, exclusive=True) is None
    read = await store.timer(timer_id)
    # A retention of 200 ms on Redis's clock, one day on the gateway's.
    retention = Retention(until=now + dt.timedelta(days=1), ttl=dt.timedelta(milliseconds=200))
    await store.save_timer(read, recorded_timer(timer_id, entry_id, now), retention=retention)
    record = Keyspace(keys.prefix).timer(timer_id)
    assert 0 < int(await redis.pttl(record)) <= 200
    async with asyncio.timeout(EXPIRY_DEADLINE_S):
        while True:
            if not await redis.exists(record):
                break
            await asyncio.sleep(0.05)
    # Redis dropped the record; its indexes wait for the sweep, on the gateway's clock.
    assert await redis.zrange(keys.user_timers(ALICE_ID), 0, -1) == [str(timer_id)]
    assert await store.timer_ids_of_entries({entry_id: ALICE_ID}) == {entry_id: timer_id}
    assert (await store.walks.prune_settled(now, 10)).pruned == 0
    pruned = await store.walks.prune_settled(now + dt.timedelta(days=1), 10)
    assert (pruned.seen, pruned.pruned) == (1, 1)
    assert await redis.zrange(keys.user_timers(ALICE_ID), 0, -1) == []
    assert await store.timer_ids_of_entries({entry_id: ALICE_ID}) == {}
    assert await store.walks.settled_count() == 0
    assert [name async for name in redis.scan_iter(match=f"{keys.prefix}:*")] == []
