"""Each user's posting lock: one post to Redmine per user at a time, held until a moment on the
gateway's clock so that it ends with the outbox lease it is taken inside."""

import datetime as dt
import secrets
from dataclasses import dataclass

from gateway.store import scripts
from gateway.store.keys import Keys
from gateway.store.members import score
from gateway.store.nodes import StoreClient

# Once its holder's lease has ended, a posting lock is kept this much longer in Redis only so
# that a dead holder's lock cannot outlive everything.
POSTING_LOCK_SLACK = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class PostingLock:
    user_id: int
    value: str


class PostingLocks:
    def __init__(self, redis: StoreClient, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys
        self._lock = redis.register_script(scripts.LOCK_POSTING)
        self._release = redis.register_script(scripts.RELEASE_POSTING)

    async def lock(
        self, user_id: int, timer_id: int, now: dt.datetime, until: dt.datetime
    ) -> PostingLock | None:
        """Takes the user's posting lock until `until` (the gateway's clock); None when another
        post of this user holds it."""
        value = f"{timer_id}:{secrets.token_hex(8)}:{score(until)}"
        expiry_ms = max(1, int(((until - now) + POSTING_LOCK_SLACK).total_seconds() * 1000))
        taken: int = await self._lock(
            keys=[self._keys.posting(user_id)], args=[value, score(now), expiry_ms]
        )
        return PostingLock(user_id, value) if taken else None

    async def is_held(self, user_id: int, timer_id: int, now: dt.datetime) -> bool:
        held = await self._redis.get(self._keys.posting(user_id))
        if held is None:
            return False
        holder, _, rest = str(held).partition(":")
        return holder == str(timer_id) and float(rest.rpartition(":")[2]) > score(now)

    async def unlock(self, lock: PostingLock) -> None:
        await self._release(keys=[self._keys.posting(lock.user_id)], args=[lock.value])
