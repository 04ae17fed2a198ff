"""The Redis client the settings ask for: one Redis by URL, the master of a Sentinel set, a
Redis Cluster, or the embedded store; the same bounded retries and timeouts for each."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import MasterNotFoundError, Sentinel
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ReadOnlyError
from redis.exceptions import TimeoutError as RedisTimeoutError

from gateway.settings import REDIS_BACKOFF_BASE_S, REDIS_BACKOFF_CAP_S, Settings
from gateway.store.nodes import StoreClient

log = logging.getLogger(__name__)

# Seen in CLIENT LIST of every Redis the gateway is connected to (operators, the failover test).
CLIENT_NAME = "timer-gateway"
# A command meeting one of these is tried again on a new connection (GATEWAY_REDIS_RETRIES).
# Under Sentinel a new connection asks the Sentinels for the master first, so after a failover
# the retry reaches the new master: MasterNotFoundError while they are still electing it, and
# ReadOnlyError from a connection to the old master that came back as a replica.
RETRIED_ERRORS: list[type[Exception]] = [
    RedisConnectionError,
    RedisTimeoutError,
    ReadOnlyError,
    MasterNotFoundError,
]


def client_options(settings: Settings, timeout_s: float | None = None) -> dict[str, Any]:
    """Bounded everywhere: a silent Redis fails a command (503) instead of holding a request
    forever, and a connection a restart or failover left dead is replaced, not reported."""
    timeout = settings.redis_timeout_s if timeout_s is None else timeout_s
    return {
        "decode_responses": True,
        "socket_connect_timeout": timeout,
        "socket_timeout": timeout,
        "retry": Retry(
            ExponentialBackoff(cap=REDIS_BACKOFF_CAP_S, base=REDIS_BACKOFF_BASE_S),
            settings.redis_retries,
        ),
        "retry_on_error": list(RETRIED_ERRORS),
        "health_check_interval": settings.redis_health_check_interval_s,
        "client_name": CLIENT_NAME,
    }


@asynccontextmanager
async def connected_redis(
    settings: Settings, *, timeout_s: float | None = None
) -> AsyncIterator[StoreClient]:
    """The client for these settings; it connects on its first command and is closed (with the
    Sentinel clients behind it) on exit. `timeout_s` overrides GATEWAY_REDIS_TIMEOUT_S."""
    if settings.redis_cluster and settings.redis_url is not None:
        options = client_options(settings, timeout_s)
        # The cluster client refreshes its map of slots on MOVED and on a node's failure
        # itself; the retries on top follow a failover until a replica has taken over.
        cluster = RedisCluster.from_url(str(settings.redis_url), **options)
        try:
            yield cluster
        finally:
            await cluster.aclose()
        return
    if settings.redis_sentinels is not None and settings.redis_sentinel_master is not None:
        options = client_options(settings, timeout_s)
        sentinel = Sentinel(
            settings.sentinel_addresses,
            # Asking one Sentinel is not retried: discovery moves on to the next one.
            sentinel_kwargs={
                "socket_timeout": options["socket_timeout"],
                "socket_connect_timeout": options["socket_connect_timeout"],
                "decode_responses": True,
            },
        )
        password = settings.redis_password
        client = sentinel.master_for(
            settings.redis_sentinel_master,
            redis_class=Redis,
            db=settings.redis_db,
            password=password.get_secret_value() if password else None,
            **options,
        )
        try:
            yield client
        finally:
            await client.aclose()
            for sentinel_client in sentinel.sentinels:
                await sentinel_client.aclose()
        return
    if settings.redis_url is not None:
        client = Redis.from_url(str(settings.redis_url), **client_options(settings, timeout_s))
        try:
            yield client
        finally:
            await client.aclose()
        return
    log.warning(
        "GATEWAY_REDIS_URL is not set: using the embedded in-process store; "
        "running timers will not survive a restart"
    )
    # Imported here so that a gateway with a real Redis never loads the embedded server.
    from fakeredis import FakeAsyncRedis

    embedded = FakeAsyncRedis(decode_responses=True)
    try:
        yield embedded
    finally:
        await embedded.aclose()
