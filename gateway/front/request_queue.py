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
        self._pauses = pauses
        self._max_queued = max_queued
        self._items: deque[QueueItem] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
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
        loop = asyncio.get_running_loop()
        self._waiter = loop.create_future()
        self._on_expired = on_expired
        self._timer = loop.call_at(deadline, on_expired)
        try:
            await self._waiter
        finally:
            self._waiter = None
            self._timer.cancel()
            self._timer = self._on_expired = None

    def move_deadline(self, deadline: float) -> None:
        """A wait under way ends at `deadline` instead (a head began while waiting for one):
        cheaper than waking the waiter to arm a new one for every request."""
        if self._timer is not None and self._on_expired is not None:
            self._timer.cancel()
            self._timer = asyncio.get_running_loop().call_at(deadline, self._on_expired)
