"""The background sweep that prunes recorded timers whose retention ended, indexes and all."""

import asyncio
import logging

from gateway.clock import Clock
from gateway.store.failures import STORE_OR_IO_FAILURES
from gateway.store.redis import RedisStore

log = logging.getLogger(__name__)

BATCH = 200


class RetentionSweeper:
    """Prunes on the gateway's clock; the records' own TTLs (Redis's clock) are the safety net
    for when no gateway runs. Every replica sweeps: pruning one timer twice prunes it once."""

    def __init__(self, store: RedisStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self.pruned = 0

    async def run_once(self) -> int:
        """Prunes every timer due now, a batch at a time; returns how many it pruned."""
        pruned = 0
        while True:
            batch = await self._store.walks.prune_settled(self._clock.now(), BATCH)
            pruned += batch.pruned
            if batch.seen < BATCH:
                break
        if pruned:
            self.pruned += pruned
            log.info("recorded timers pruned count=%s", pruned)
        return pruned

    async def run_forever(self, poll_s: float) -> None:
        while True:
            try:
                await self.run_once()
            except STORE_OR_IO_FAILURES as exc:
                log.warning("retention sweep failed error=%s", type(exc).__name__)
            await asyncio.sleep(poll_s)
