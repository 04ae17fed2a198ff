"""The Redis deployments the real-Redis timer suite runs on, each with what a gateway is given to
reach it and a client for the test's own reads."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster

from tests.realredis import running_redis
from tests.realsentinel import running_sentinel_set
from tests.redis_cluster import running_cluster

DEPLOYMENTS = ("standalone", "sentinel", "cluster")


@dataclass(frozen=True)
class RedisDeployment:
    kind: str
    url: str  # the master (a cluster: any node)
    settings: dict[str, Any]  # Settings keyword arguments
    env: dict[str, str]  # the same as GATEWAY_* variables

    @property
    def is_cluster(self) -> bool:
        return self.kind == "cluster"


@asynccontextmanager
async def running_deployment(kind: str) -> AsyncIterator[RedisDeployment]:
    """A standalone redis-server, a master with one replica under one Sentinel, or a cluster of
    three masters with a replica each."""
    if kind == "standalone":
        async with running_redis() as server:
            yield RedisDeployment(
                kind, server.url, {"redis_url": server.url}, {"GATEWAY_REDIS_URL": server.url}
            )
    elif kind == "sentinel":
        async with running_sentinel_set(replicas=1, sentinels=1) as servers:
            yield RedisDeployment(kind, servers.master.url, servers.settings(), servers.env())
    else:
        assert kind == "cluster", kind
        async with running_cluster() as cluster:
            yield RedisDeployment(kind, cluster.url, cluster.settings(), cluster.env())


@asynccontextmanager
async def reading_client(url: str, *, is_cluster: bool) -> AsyncIterator[Redis | RedisCluster]:
    """A client for what a test reads or cleans up itself (a cluster's spans every node)."""
    client: Redis | RedisCluster = (
        RedisCluster.from_url(url, decode_responses=True)
        if is_cluster
        else Redis.from_url(url, decode_responses=True)
    )
    try:
        yield client
    finally:
        await client.aclose()
