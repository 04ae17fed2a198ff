"""Gateway replicas over one real redis-server and the fake Redmine, and what they left in Redis."""

import asyncio
import json
import re
import uuid
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from pytest_aiohttp import AiohttpClient
from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster

from gateway.app import create_app
from gateway.settings import Settings
from gateway.store.keys import Keys
from tests.clock import ManualClock
from tests.conftest import GatewayClient
from tests.deployments import reading_client
from tests.fakes.redmine_api import FakeRedmineApi
from tests.keyspace import any_ids

# Every replica of one deployment shares it: it seals the API keys of entries waiting in Redis.
SECRET_KEY = "x" * 32
ALICE_ID = 5
BOB_ID = 6
ISSUE = "1"
ENTRY_PATH = "/time_entries.json"
POLL_INTERVAL_S = 0.05
POLL_TIMEOUT_S = 5.0

Json = dict[str, Any]


def unique_prefix() -> str:
    """A key prefix no other test uses: each test cleans up only what is its own."""
    return f"rr-{uuid.uuid4().hex[:12]}"


@dataclass
class Cluster:
    """One deployment: replicas built like production (each opens its own Redis client)."""

    redis_url: str
    redmine: FakeRedmineApi
    clock: ManualClock
    prefix: str
    serve: AiohttpClient
    # How the replicas reach Redis (e.g. through Sentinel); default: `redis_url` directly.
    redis_settings: dict[str, Any] = field(default_factory=dict)

    def reads(self) -> AbstractAsyncContextManager[Redis | RedisCluster]:
        """A client for the test's own reads of what the replicas stored."""
        return reading_client(self.redis_url, is_cluster="redis_cluster" in self.redis_settings)

    def settings(self, **overrides: Any) -> Settings:
        return Settings(
            redmine_url=self.redmine.url,
            **(self.redis_settings or {"redis_url": self.redis_url}),
            secret_key=SECRET_KEY,
            key_prefix=self.prefix,
            upstream_timeout_s=5.0,
            **overrides,
        )

    async def replica(self, *, outbox_worker: bool = False) -> GatewayClient:
        """A new app (no injected Redis: the production path), served by its own test client."""
        settings = self.settings()
        if outbox_worker:
            return await self.serve(create_app(settings, clock=self.clock))
        return await self.serve(create_app(settings, clock=self.clock, outbox_worker=False))

    def key_of(self, login: str) -> str:
        return self.redmine.api_key_of(login)

    def entry_posts(self, since: int = 0) -> int:
        return entry_posts(self.redmine, since)

    def entry_ids(self, user_id: int) -> list[int]:
        return [entry.id for entry in self.redmine.entries_for(user_id)]


def entry_posts(redmine: FakeRedmineApi, since: int = 0) -> int:
    """Time entries posted to Redmine after call number `since`, answered or not.

    A start's dry-run post carries no hours and is not counted.
    """
    return sum(
        1
        for call in redmine.calls[since:]
        if call.method == "POST"
        and call.raw_path.split("?")[0] == ENTRY_PATH
        and "hours" in json.loads(call.body)["time_entry"]
    )


def auth(api_key: str) -> dict[str, str]:
    return {"X-Redmine-API-Key": api_key}


async def start(client: GatewayClient, api_key: str, **body: Any) -> tuple[int, Json]:
    payload = {"task_uuid": ISSUE, "description": "pairing", **body}
    async with client.post("/time-trackings", json=payload, headers=auth(api_key)) as response:
        answer: Json = await response.json()
        return response.status, answer


async def stop(client: GatewayClient, api_key: str, timer_id: int) -> tuple[int, Json]:
    async with client.put(f"/time-trackings/{timer_id}", json={}, headers=auth(api_key)) as resp:
        answer: Json = await resp.json()
        return resp.status, answer


async def delete(client: GatewayClient, api_key: str, timer_id: int) -> int:
    async with client.delete(f"/time-trackings/{timer_id}", headers=auth(api_key)) as response:
        return response.status


async def active(client: GatewayClient, api_key: str) -> Json | None:
    async with client.get("/time-trackings/active", headers=auth(api_key)) as response:
        assert response.status == 200, await response.text()
        data: Json | None = (await response.json())["data"]
        return data


async def shown(client: GatewayClient, api_key: str, timer_id: int) -> Json:
    async with client.get(f"/time-trackings/{timer_id}", headers=auth(api_key)) as response:
        assert response.status == 200, await response.text()
        data: Json = (await response.json())["data"]
        return data


async def started(client: GatewayClient, api_key: str) -> int:
    status, answer = await start(client, api_key)
    assert status == 201, answer
    timer_id: int = answer["data"]["id"]
    return timer_id


async def poll_until_recorded(client: GatewayClient, api_key: str, timer_id: int) -> Json:
    """Polls GET until the timer is recorded (a condition, bounded; never a fixed sleep)."""
    try:
        async with asyncio.timeout(POLL_TIMEOUT_S):
            while True:
                data = await shown(client, api_key, timer_id)
                if data["status"] == "recorded":
                    return data
                await asyncio.sleep(POLL_INTERVAL_S)
    except TimeoutError:
        raise AssertionError(f"timer {timer_id} not recorded after {POLL_TIMEOUT_S} s") from None


def permanent_key_pattern(prefix: str) -> re.Pattern[str]:
    """The keys meant to outlive any TTL: timers (but recorded ones), their indexes and the
    outbox."""
    keys, some_id, bucket = Keys(prefix), 987654321, 0
    shapes = [
        keys.timer_ids(bucket),
        keys.outbox(bucket),
        keys.outbox_since(bucket),
        keys.running_timers(bucket),
        keys.entry_timers(bucket),
        keys.settled(bucket),
        keys.timer(bucket, some_id),
        keys.running(some_id),
        keys.user_timers(some_id),
        keys.user_unrecorded(some_id),
    ]
    return re.compile("|".join(any_ids(s, some_id) for s in shapes))


def timer_record_pattern(prefix: str) -> re.Pattern[str]:
    some_id = 987654321
    return re.compile(any_ids(Keys(prefix).timer(0, some_id), some_id))


async def is_recorded(redis: Redis | RedisCluster, name: str) -> bool:
    """A recorded timer's record expires after the retention; every other one is kept."""
    return bool(await redis.hget(name, "status") == "recorded")


async def values_of(redis: Redis | RedisCluster, key: str) -> list[str]:
    """Every string a key holds, read the way its type requires."""
    kind = await redis.type(key)
    if kind == "string":
        return [str(await redis.get(key))]
    if kind == "hash":
        fields = await redis.hgetall(key)
        return [str(item) for pair in fields.items() for item in pair]
    if kind == "zset":
        return [str(member) for member in await redis.zrange(key, 0, -1)]
    if kind == "set":
        return [str(member) for member in await redis.smembers(key)]
    if kind == "list":
        return [str(item) for item in await redis.lrange(key, 0, -1)]
    raise AssertionError(f"unexpected type {kind!r} of {key}")


async def audit_keys(cluster: Cluster, secrets: list[str]) -> dict[str, int]:
    """Asserts what the gateway left in Redis; returns each key with its TTL (-1: permanent).

    Everything is under the prefix, only timers and their indexes are permanent, every other key
    (the caches, any lock) expires, and no raw API key appears in a key's name or value.
    """
    permanent = permanent_key_pattern(cluster.prefix)
    record = timer_record_pattern(cluster.prefix)
    async with cluster.reads() as redis:
        names = [str(name) async for name in redis.scan_iter(count=500)]
        ttls = {name: int(await redis.ttl(name)) for name in names}
        values = {name: await values_of(redis, name) for name in names}
        recorded = {n for n in names if record.fullmatch(n) and await is_recorded(redis, n)}
    assert names, "the flows left nothing in Redis"
    outside = [name for name in names if not name.startswith(f"{cluster.prefix}:")]
    assert not outside, f"keys outside the prefix: {outside}"
    retention_s = cluster.settings().record_retention_days * 86_400
    for name, ttl in ttls.items():
        if name in recorded:
            assert 0 < ttl <= retention_s, f"recorded {name} expires in {ttl} s"
        elif permanent.fullmatch(name):
            assert ttl == -1, f"{name} is permanent but expires in {ttl} s"
        else:
            assert ttl > 0, f"{name} is not a timer or its index, yet never expires"
    for secret in secrets:
        assert all(secret not in name for name in names), "an API key names a key"
        leaked = [name for name, held in values.items() if any(secret in v for v in held)]
        assert not leaked, f"a raw API key is stored in {leaked}"
    return ttls


class HoldingRedmine(FakeRedmineApi):
    """The fake Redmine, able to keep the answer to one time entry post after storing the entry:
    a slow reply, so a test can act while that post is in flight."""

    def __init__(self, clock: ManualClock) -> None:
        super().__init__(clock=clock.now)
        self.stored = asyncio.Event()
        self.release = asyncio.Event()
        self._holding = False

    def hold_next_post(self) -> None:
        self._holding = True

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        posts_hours = request.method == "POST" and b'"hours"' in body
        response = await super()._handle(request)
        if posts_hours and self._holding:
            self._holding = False
            self.stored.set()
            async with asyncio.timeout(POLL_TIMEOUT_S):
                await self.release.wait()
        return response
