"""The connections a server has open, so that a shutdown can wait until the last one ends."""

import asyncio
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gateway.front.connection import ClientConnection

log = logging.getLogger(__name__)


class OpenConnections:
    """Open connections and the tasks serving them, and a way to wait until there are none."""

    def __init__(self) -> None:
        self._open: set[ClientConnection] = set()
        # The event loop holds tasks only weakly: one nobody references can be collected while
        # it waits, and its exception would go unseen.
        self._tasks: set[asyncio.Task[None]] = set()
        self._none_open = asyncio.Event()
        self._none_open.set()

    def add(self, connection: "ClientConnection") -> None:
        self._open.add(connection)
        self._none_open.clear()

    def discard(self, connection: "ClientConnection") -> None:
        self._open.discard(connection)
        if not self._open:
            self._none_open.set()

    def keep(self, task: "asyncio.Task[None]") -> None:
        """Holds a connection's task until it is done."""
        self._tasks.add(task)
        task.add_done_callback(self._forget)

    def _forget(self, task: "asyncio.Task[None]") -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("a connection's task failed", exc_info=error)

    @property
    def count(self) -> int:
        return len(self._open)

    @property
    def task_count(self) -> int:
        return len(self._tasks)

    def __iter__(self) -> Iterator["ClientConnection"]:
        return iter(list(self._open))

    async def wait_all_closed(self, timeout_s: float) -> bool:
        try:
            async with asyncio.timeout(timeout_s):
                await self._none_open.wait()
        except TimeoutError:
            return False
        return True
