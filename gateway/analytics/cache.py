"""Analytics answers kept briefly per caller and query, dropped when the caller's timers change."""

from pydantic import BaseModel, ConfigDict

from gateway.identity import Caller
from gateway.store.keys import CacheKind
from gateway.store.redis import RedisStore


class Answer(BaseModel):
    """A rendered analytics answer, ready to be sent (again)."""

    model_config = ConfigDict(frozen=True)

    content_type: str
    body: str
    filename: str | None = None  # set: offered as a download of that name


class ResultCache:
    """Answers by the caller's user id, the endpoint, the normalized query and the caller's
    generation. A start, stop or delete through the gateway moves the caller to a new generation
    (RedisStore.invalidate_analytics), so their older answers are never read again; changes
    made elsewhere show once the TTL has run out.
    """

    def __init__(self, store: RedisStore, ttl_s: int) -> None:
        self._store = store
        self._ttl_s = ttl_s

    async def slot(self, caller: Caller, endpoint: str, query: str) -> str | None:
        """Where this answer is kept; None when caching is off."""
        if self._ttl_s <= 0:
            return None
        generation = await self._store.caches.analytics_generation(caller.user_id)
        return f"{caller.user_id}:{generation}:{endpoint}:{query}"

    async def get(self, slot: str | None) -> Answer | None:
        if slot is None:
            return None
        cached = await self._store.caches.cached(CacheKind.ANALYTICS, slot)
        return None if cached is None else Answer.model_validate_json(cached)

    async def put(self, slot: str | None, answer: Answer) -> None:
        if slot is not None:
            await self._store.caches.remember(
                CacheKind.ANALYTICS, slot, answer.model_dump_json(), self._ttl_s
            )
