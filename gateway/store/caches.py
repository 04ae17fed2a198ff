"""Caches: what the gateway remembers of Redmine for a while (single keys with a TTL), and the
generation each user's cached analytics are read under."""

from collections.abc import Mapping, Sequence

from gateway.store.keys import CacheKind, Keys
from gateway.store.nodes import StoreClient

# Outlives any cached analytics result (GATEWAY_ANALYTICS_CACHE_TTL_S is at most an hour) by far,
# so a generation never expires back to one that results are still cached under.
ANALYTICS_GENERATION_TTL_S = 86_400


class Caches:
    def __init__(self, redis: StoreClient, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys

    async def cached(self, kind: CacheKind, name: str) -> str | None:
        value = await self._redis.get(self._keys.cache(kind, name))
        return None if value is None else str(value)

    async def remember(self, kind: CacheKind, name: str, value: str, ttl_s: int) -> None:
        if ttl_s > 0:
            await self._redis.set(self._keys.cache(kind, name), value, ex=ttl_s)

    async def cached_many(self, kind: CacheKind, names: Sequence[str]) -> list[str | None]:
        """`cached` for many names in one round trip, in their order."""
        if not names:
            return []
        # GETs in a pipeline, not MGET: on a cluster the names fall in different slots.
        pipe = self._redis.pipeline(transaction=False)
        for name in names:
            pipe.get(self._keys.cache(kind, name))
        values = await pipe.execute()
        return [None if value is None else str(value) for value in values]

    async def remember_many(self, kind: CacheKind, values: Mapping[str, str], ttl_s: int) -> None:
        if ttl_s <= 0 or not values:
            return
        pipe = self._redis.pipeline(transaction=False)
        for name, value in values.items():
            pipe.set(self._keys.cache(kind, name), value, ex=ttl_s)
        await pipe.execute()

    async def analytics_generation(self, user_id: int) -> int:
        value = await self._redis.get(self._keys.analytics_generation(user_id))
        return int(value) if value else 0

    async def invalidate_analytics(self, user_id: int) -> None:
        """Moves the user's analytics to a new generation: results cached under an older one
        are never read again (and expire by themselves)."""
        key = self._keys.analytics_generation(user_id)
        pipe = self._redis.pipeline(transaction=True)
        pipe.incr(key)
        pipe.expire(key, ANALYTICS_GENERATION_TTL_S)
        await pipe.execute()
