"""SessionStore: the page's sign-in sessions in Redis, each under a hash of its id, with a TTL."""

from gateway.store.keys import Keys
from gateway.store.nodes import StoreClient


class SessionStore:
    """Each session is one JSON value (the page's model of it), expiring after its idle time."""

    def __init__(self, redis: StoreClient, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys

    async def open(self, digest: str, value: str, ttl_s: int) -> None:
        await self._redis.set(self._keys.page_session(digest), value, ex=ttl_s)

    async def read(self, digest: str) -> str | None:
        value = await self._redis.get(self._keys.page_session(digest))
        return None if value is None else str(value)

    async def touch(self, digest: str, value: str, ttl_s: int) -> bool:
        """Writes the session again with a fresh TTL, only if it still exists (a sign-out that
        happened meanwhile is never undone)."""
        written = await self._redis.set(self._keys.page_session(digest), value, ex=ttl_s, xx=True)
        return bool(written)

    async def close(self, digest: str) -> None:
        await self._redis.delete(self._keys.page_session(digest))
