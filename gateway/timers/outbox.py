"""The background worker that retries posting entries waiting in the outbox."""

import asyncio
import logging

from redis.exceptions import RedisError

from gateway.clock import Clock
from gateway.errors import GatewayError
from gateway.store.redis import RedisStore, TimerChanged
from gateway.timers.recorder import Recorder

log = logging.getLogger(__name__)

BATCH = 20


class OutboxWorker:
    def __init__(self, store: RedisStore, recorder: Recorder, clock: Clock) -> None:
        self._store = store
        self._recorder = recorder
        self._clock = clock

    async def run_once(self) -> int:
        """Attempts every entry that is due; returns how many were attempted."""
        due = await self._store.due_outbox_ids(self._clock.now(), BATCH)
        for timer_id in due:
            try:
                await self._recorder.attempt(timer_id)
            except (GatewayError, TimerChanged) as exc:
                # Deleted or changed meanwhile: whoever changed it owns it now.
                log.info("outbox item skipped timer=%s reason=%s", timer_id, type(exc).__name__)
        return len(due)

    async def run_forever(self, poll_s: float) -> None:
        while True:
            try:
                attempted = await self.run_once()
            except (RedisError, OSError) as exc:
                log.warning("outbox pass failed error=%s", type(exc).__name__)
                attempted = 0
            if attempted < BATCH:
                await asyncio.sleep(poll_s)
