"""connected_redis: the Redis bounds in Settings reach the client the app builds, by URL or
through Sentinel."""

from typing import Any

import pytest
from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import MasterNotFoundError, SentinelConnectionPool
from redis.exceptions import ConnectionError, ReadOnlyError, TimeoutError

from gateway.settings import Settings
from gateway.store.connection import CLIENT_NAME, connected_redis

SECRET_KEY = "x" * 32
BOUNDS: dict[str, Any] = {
    "redis_timeout_s": 1.5,
    "redis_retries": 3,
    "redis_health_check_interval_s": 7,
}


def assert_bounded(kwargs: dict[str, Any]) -> None:
    assert kwargs["socket_timeout"] == kwargs["socket_connect_timeout"] == 1.5
    assert kwargs["health_check_interval"] == 7
    assert kwargs["client_name"] == CLIENT_NAME
    retry = kwargs["retry"]
    assert isinstance(retry, Retry)
    assert retry.get_retries() == 3
    retried = set(kwargs["retry_on_error"])
    assert {ConnectionError, TimeoutError, ReadOnlyError, MasterNotFoundError} <= retried


async def test_a_real_redis_client_gets_every_bound_from_settings() -> None:
    settings = Settings(
        redmine_url="http://127.0.0.1:3000/",
        redis_url="redis://127.0.0.1:1/0",
        secret_key=SECRET_KEY,
        **BOUNDS,
    )
    async with connected_redis(settings) as client:
        assert isinstance(client, Redis)
        assert_bounded(client.connection_pool.connection_kwargs)


async def test_a_sentinel_master_client_gets_every_bound_and_the_master_settings() -> None:
    settings = Settings(
        redmine_url="http://127.0.0.1:3000/",
        redis_sentinels="127.0.0.1:1, [::1]:2",
        redis_sentinel_master="timers",
        redis_password="hunter2",
        redis_db=3,
        secret_key=SECRET_KEY,
        **BOUNDS,
    )
    async with connected_redis(settings) as client:
        assert isinstance(client, Redis)
        pool = client.connection_pool
        assert isinstance(pool, SentinelConnectionPool)
        assert (pool.service_name, pool.is_master) == ("timers", True)
        kwargs = pool.connection_kwargs
        assert_bounded(kwargs)
        assert (kwargs["password"], kwargs["db"]) == ("hunter2", 3)
        sentinels = pool.sentinel_manager.sentinels
        addresses = [s.connection_pool.connection_kwargs for s in sentinels]
        assert [(a["host"], a["port"]) for a in addresses] == [("127.0.0.1", 1), ("::1", 2)]
        # Asking the Sentinels is bounded too, and never with the master's password.
        assert all(a["socket_timeout"] == 1.5 for a in addresses)
        assert all(a.get("password") is None for a in addresses)


async def test_a_cluster_client_gets_every_bound_from_settings() -> None:
    settings = Settings(
        redmine_url="http://127.0.0.1:3000/",
        redis_url="redis://127.0.0.1:1/0",
        redis_cluster=True,
        secret_key=SECRET_KEY,
        **BOUNDS,
    )
    async with connected_redis(settings) as client:
        assert isinstance(client, RedisCluster)
        # The cluster client retries itself (following a failover); its nodes' connections
        # carry the timeouts.
        kwargs = client.nodes_manager.connection_kwargs
        assert kwargs["socket_timeout"] == kwargs["socket_connect_timeout"] == 1.5
        assert kwargs["health_check_interval"] == 7
        assert kwargs["client_name"] == CLIENT_NAME
        assert client.retry.get_retries() == 3


async def test_the_preflight_timeout_replaces_the_settings_one() -> None:
    settings = Settings(
        redmine_url="http://127.0.0.1:3000/",
        redis_url="redis://127.0.0.1:1/0",
        secret_key=SECRET_KEY,
        **BOUNDS,
    )
    async with connected_redis(settings, timeout_s=5.0) as client:
        assert isinstance(client, Redis)
        assert client.connection_pool.connection_kwargs["socket_timeout"] == 5.0


async def test_no_sentinel_answering_is_a_retried_connection_error() -> None:
    """What a request meets while no Sentinel answers: a ConnectionError (503), not a hang."""
    settings = Settings(
        redmine_url="http://127.0.0.1:3000/",
        redis_sentinels="127.0.0.1:1",
        redis_sentinel_master="timers",
        secret_key=SECRET_KEY,
        redis_timeout_s=0.5,
        redis_retries=1,
    )
    async with connected_redis(settings) as client:
        with pytest.raises(MasterNotFoundError):
            await client.ping()


def test_redis_bounds_have_defaults_of_a_few_seconds() -> None:
    settings = Settings(redmine_url="http://127.0.0.1:3000/")
    assert 0 < settings.redis_timeout_s <= 5
    assert settings.redis_retries >= 1
    assert settings.redis_health_check_interval_s > 0
    assert 0 < settings.redis_wait_replicas_ms <= 2000
