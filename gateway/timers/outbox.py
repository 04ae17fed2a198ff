"""The background worker that retries posting entries waiting in the outbox."""

import asyncio
import logging
from dataclasses import dataclass

from gateway.clock import Clock
from gateway.errors import GatewayError
from gateway.logs import current_request_id, new_request_id
from gateway.store.failures import STORE_FAILURES, STORE_OR_IO_FAILURES
from gateway.store.redis import RedisStore, TimerChanged, UnreadableTimer
from gateway.timers.recorder import Recorder

log = logging.getLogger(__name__)

BATCH = 20


@dataclass
class OutboxCounts:
    """What the worker met since it started, for operators (and metrics)."""

    attempted: int = 0
    item_errors: int = 0
    set_aside: int = 0
    pass_errors: int = 0
    redis_errors: int = 0  # items or passes that failed on Redis (among the errors above)


class OutboxWorker:
    def __init__(self, store: RedisStore, recorder: Recorder, clock: Clock) -> None:
        self._store = store
        self._recorder = recorder
        self._clock = clock
        self.counts = OutboxCounts()

    async def run_once(self) -> int:
        """Attempts every entry that is due; returns how many were attempted."""
        due = await self._store.walks.due_outbox_ids(self._clock.now(), BATCH)
        for timer_id in due:
            await self._attempt(timer_id)
        return len(due)

    async def _attempt(self, timer_id: int) -> None:
        """One item; whatever it raises, the next item is still attempted. Each attempt has a
        request id of its own: its lines and its calls to Redmine carry it."""
        current_request_id.set(new_request_id())
        self.counts.attempted += 1
        try:
            await self._recorder.attempt(timer_id)
        except (GatewayError, TimerChanged) as exc:
            # Deleted or changed meanwhile: whoever changed it owns it now.
            log.info("outbox item skipped timer=%s reason=%s", timer_id, type(exc).__name__)
        except UnreadableTimer:
            self.counts.item_errors += 1
            if await self._store.set_aside(timer_id):
                self.counts.set_aside += 1
                log.error("outbox item unreadable, set aside timer=%s", timer_id)
        except STORE_OR_IO_FAILURES as exc:
            self.counts.item_errors += 1
            self.counts.redis_errors += isinstance(exc, STORE_FAILURES)
            log.warning("outbox item failed timer=%s error=%s", timer_id, type(exc).__name__)
        except Exception:
            self.counts.item_errors += 1
            log.exception("outbox item failed unexpectedly timer=%s", timer_id)

    async def run_forever(self, poll_s: float) -> None:
        log.info("outbox worker started")
        while True:
            try:
                attempted = await self.run_once()
            except STORE_OR_IO_FAILURES as exc:
                self.counts.pass_errors += 1
                self.counts.redis_errors += isinstance(exc, STORE_FAILURES)
                log.warning("outbox pass failed error=%s", type(exc).__name__)
                attempted = 0
            except Exception:
                self.counts.pass_errors += 1
                log.exception("outbox pass failed unexpectedly; the worker goes on")
                attempted = 0
            if attempted < BATCH:
                await asyncio.sleep(poll_s)
