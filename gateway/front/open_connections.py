"""The connections a server has open, so that a shutdown can wait until the last one ends."""

import asyncio
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gateway.front.connection import ClientConnection


class OpenConnections:
    """Open connections, and a way to wait until there are none."""

    def __init__(self) -> None:
        self._open: set[ClientConnection] = set()
        self._none_open = asyncio.Event()
        self._none_open.set()

    def add(self, connection: "ClientConnection") -> None:
        self._open.add(connection)
        self._none_open.clear()

    def discard(self, connection: "ClientConnection") -> None:
        self._open.discard(connection)
        if not self._open:
            self._none_open.set()

    def __iter__(self) -> Iterator["ClientConnection"]:
        return iter(list(self._open))

    async def wait_all_closed(self, timeout_s: float) -> bool:
        try:
            async with asyncio.timeout(timeout_s):
                await self._none_open.wait()
        except TimeoutError:
            return False
        return True
