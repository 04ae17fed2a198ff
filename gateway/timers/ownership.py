"""A caller's own timer, read with its version; anyone else's is answered as not found."""

from gateway.errors import NotFound
from gateway.identity import Caller
from gateway.store.redis import RedisStore, Versioned
from gateway.timers.models import TIMER_ID_BASE


async def own_timer(store: RedisStore, caller: Caller, timer_id: int) -> Versioned:
    if timer_id < TIMER_ID_BASE:
        raise NotFound("No such timer.")
    read = await store.timer(timer_id)
    if read.timer.user.id != caller.user_id:
        # Someone else's timer is answered exactly like one that does not exist.
        raise NotFound("No such time tracking.")
    return read
