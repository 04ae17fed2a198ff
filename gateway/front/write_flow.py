"""Waiting for a client to take more of its answer: the front's write-side flow control."""

import asyncio
from collections.abc import Callable

from gateway.front.request import ClientGone


class WriteFlow:
    """Follows the transport's pause/resume_writing; `drain` waits while the client's socket
    buffer is full, and `on_stuck` cuts a client that takes nothing for `timeout_s`."""

    def __init__(self, timeout_s: float, on_stuck: Callable[[], None]) -> None:
        self._timeout_s = timeout_s
        self._on_stuck = on_stuck
        # The transport's flow control, independent of the connection's states: set while the
        # client's socket buffer is full.
        self._is_paused = False
        self._waiter: asyncio.Future[None] | None = None

    def pause(self) -> None:
        self._is_paused = True

    def resume(self) -> None:
        self._is_paused = False
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def lost(self) -> None:
        """The connection is gone: a waiting writer learns it."""
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(ClientGone())

    async def drain(self) -> None:
        if not self._is_paused:
            return
        loop = asyncio.get_running_loop()
        self._waiter = loop.create_future()
        timer = loop.call_later(self._timeout_s, self._on_stuck)
        try:
            await self._waiter
        finally:
            self._waiter = None
            timer.cancel()
