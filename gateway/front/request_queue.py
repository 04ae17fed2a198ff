"""Requests a client connection has parsed and not yet answered, and the wait for the next one."""

import asyncio
from collections import deque
from collections.abc import Callable

from gateway.errors import GatewayError
from gateway.front.reading import ReadingPauses
from gateway.front.request import IncomingRequest

QueueItem = IncomingRequest | GatewayError  # an error: a request refused before it was parsed


class RequestQueue:
    """In arrival order; while `max_queued` wait, the socket is not read, so a client that
    pipelines faster than Redmine answers never fills the gateway's memory."""

    def __init__(self, pauses: ReadingPauses, max_queued: int) -> None:
        self._loop = asyncio.get_running_loop()
        self._pauses = pauses
        self._max_queued = max_queued
        self._items: deque[QueueItem] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = 0.0  # when the timer fires
        self._deadline = 0.0  # when the wait under way ends
        self._on_expired: Callable[[], None] | None = None

    def __bool__(self) -> bool:
        return bool(self._items)

    def put(self, item: QueueItem) -> None:
        self._items.append(item)
        if len(self._items) >= self._max_queued:
            self._pauses.pause("queue")
        self.wake()

    def pop(self) -> QueueItem:
        item = self._items.popleft()
        if len(self._items) < self._max_queued:
            self._pauses.resume("queue")
        return item

    def wake(self) -> None:
        """Something changed (a request, an end, a new head): the waiter looks again."""
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def wait(self, deadline: float, on_expired: Callable[[], None]) -> None:
        """Until `wake`; `on_expired` runs if the loop's clock reaches `deadline` first."""
        self._waiter = self._loop.create_future()
        self._on_expired = on_expired
        self.move_deadline(deadline)
        try:
            await self._waiter
        finally:
            self._waiter = None
            self._on_expired = None  # the timer stays armed for the next wait (see _on_timer)

    def move_deadline(self, deadline: float) -> None:
        """The wait under way (or the next) ends at `deadline` instead.

        Arming a timer costs about as much as the rest of a wait, so one timer serves a
        connection's waits: it is moved only when a deadline comes before it, and when it
        fires before the deadline it is armed again. Deadlines mostly move later (each wait
        begins after the last), so this happens about once per timeout period.
        """
        self._deadline = deadline
        if self._on_expired is None:
            return  # nothing waits: the next wait brings its own deadline
        if self._timer is None or deadline < self._timer_at:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = self._loop.call_at(deadline, self._on_timer)
            self._timer_at = deadline

    def close(self) -> None:
        """No more waits: the timer goes (it would keep the connection alive until it fired)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _on_timer(self) -> None:
        self._timer = None
        if self._on_expired is None:
            return  # nothing waits: the next wait arms it again
        if self._loop.time() < self._deadline:
            self.move_deadline(self._deadline)
            return
        self._on_expired()
