"""open_redis: the Redis bounds in Settings reach the client the app builds."""

from redis.asyncio.retry import Retry
from redis.exceptions import ConnectionError, TimeoutError

from gateway.app import open_redis
from gateway.settings import Settings

SECRET_KEY = "x" * 32


async def test_a_real_redis_client_gets_every_bound_from_settings() -> None:
    settings = Settings(
        redmine_url="http://127.0.0.1:3000/",
        redis_url="redis://127.0.0.1:1/0",
        secret_key=SECRET_KEY,
        redis_timeout_s=1.5,
        redis_retries=3,
        redis_health_check_interval_s=7,
    )
    client = open_redis(settings)
    try:
        kwargs = client.connection_pool.connection_kwargs
        assert kwargs["socket_timeout"] == kwargs["socket_connect_timeout"] == 1.5
        assert kwargs["health_check_interval"] == 7
        retry = kwargs["retry"]
        assert isinstance(retry, Retry)
        assert retry.get_retries() == 3
        assert {ConnectionError, TimeoutError} <= set(kwargs["retry_on_error"])
    finally:
        await client.aclose()


def test_redis_bounds_have_defaults_of_a_few_seconds() -> None:
    settings = Settings(redmine_url="http://127.0.0.1:3000/")
    assert 0 < settings.redis_timeout_s <= 5
    assert settings.redis_retries >= 1
    assert settings.redis_health_check_interval_s > 0
