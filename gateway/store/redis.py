"""RedisStore: domain-named methods over redis.asyncio."""

from redis.asyncio import Redis

from gateway.store.keys import Keys


class RedisStore:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys

    async def is_reachable(self) -> bool:
        return bool(await self._redis.ping())
