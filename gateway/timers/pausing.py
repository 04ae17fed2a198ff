"""Pausing and resuming a running timer: compare-and-set writes of its working segments."""

import logging

from gateway.clock import Clock
from gateway.errors import (
    Conflict,
    TimerAlreadyPaused,
    TimerNotPaused,
    TimerNotRunning,
    TooManyPauses,
)
from gateway.identity import Caller
from gateway.store.redis import RedisStore, TimerChanged, Versioned
from gateway.timers.models import Timer
from gateway.timers.ownership import own_timer
from gateway.timers.segments import running_work

log = logging.getLogger(__name__)

# A pause or resume that keeps losing the race to other writes of the same timer gives up.
WRITE_TRIES = 5
# Every pause keeps a segment in the timer's record: bounded, so a record stays small.
MAX_SEGMENTS = 100


class Pauser:
    def __init__(self, store: RedisStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def pause(self, caller: Caller, timer_id: int) -> Timer:
        """Closes the open segment; 409 TIMER_ALREADY_PAUSED when it is paused already."""
        return await self._change(caller, timer_id, pausing=True)

    async def resume(self, caller: Caller, timer_id: int) -> Timer:
        """Opens a new segment; 409 TIMER_NOT_PAUSED when it is not paused."""
        return await self._change(caller, timer_id, pausing=False)

    async def _change(self, caller: Caller, timer_id: int, *, pausing: bool) -> Timer:
        for _ in range(WRITE_TRIES):
            read = await own_timer(self._store, caller, timer_id)
            changed = self._changed(read, pausing=pausing)
            try:
                await self._store.save_timer(read, changed)
            except TimerChanged:
                continue  # another write (a stop, another pause) came first: read it again
            log.info(
                "timer %s timer=%s user=%s",
                "paused" if pausing else "resumed",
                timer_id,
                caller.user_id,
            )
            return changed
        raise Conflict("The timer keeps changing meanwhile; try again.")

    def _changed(self, read: Versioned, *, pausing: bool) -> Timer:
        timer = read.timer
        if timer.status != "running":
            raise TimerNotRunning("The timer has stopped; only a running timer pauses or resumes.")
        now = self._clock.now()
        is_paused = timer.paused_at is not None
        if pausing:
            if is_paused:
                raise TimerAlreadyPaused("The timer is paused already.")
            if len(timer.segments) >= MAX_SEGMENTS:
                raise TooManyPauses(
                    f"A timer pauses at most {MAX_SEGMENTS} times; stop it and start another."
                )
            work = running_work(timer.started_at, timer.segments, timer.resumed_at, None, now)
            return timer.model_copy(update={"segments": work, "paused_at": now})
        if not is_paused:
            raise TimerNotPaused("The timer is not paused.")
        return timer.model_copy(update={"paused_at": None, "resumed_at": now})
