"""A bounded pool of keep-alive connections to Redmine's one address."""

import asyncio
import logging
import ssl
from collections import deque
from dataclasses import dataclass

from gateway.limits import RelayLimits
from gateway.relay.answer import UpstreamClosed
from gateway.relay.connection import UpstreamConnection

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Origin:
    host: str
    port: int
    tls: ssl.SSLContext | None
    unix_path: str | None = None  # the gateway's own app listens on a private Unix socket


class ConnectionPool:
    """Hands out idle connections (warmest first) and opens new ones up to `limit`.

    A connection that Redmine closes while idle leaves the pool by itself; one that ends an
    exchange in an unknown state is closed instead of returned.
    """

    def __init__(
        self,
        origin: Origin,
        limit: int,
        connect_timeout_s: float,
        limits: RelayLimits,
    ) -> None:
        self._origin = origin
        self._limits = limits
        self._limit = limit
        self._connect_timeout_s = connect_timeout_s
        self._idle: deque[UpstreamConnection] = deque()
        self._open: set[UpstreamConnection] = set()
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._connecting = 0
        self._is_closed = False

    @property
    def idle_count(self) -> int:
        return len(self._idle)

    @property
    def in_use_count(self) -> int:
        """Connections open and lent out (an idle one is open too, until it is taken or ends)."""
        return len(self._open) - len(self._idle)

    @property
    def waiting_count(self) -> int:
        """Requests waiting for a connection (all allowed are lent out or opening)."""
        return len(self._waiters)

    @property
    def opening_count(self) -> int:
        return self._connecting

    async def acquire(self, timeout_s: float | None = None) -> UpstreamConnection:
        """A connection ready for one exchange; waiting for one (or for it to connect) takes at
        most `timeout_s`."""
        self._raise_if_closed()
        idle = self._take_idle()
        if idle is not None:
            return idle
        async with asyncio.timeout(timeout_s):
            return await self._acquire_slowly()

    def _take_idle(self) -> UpstreamConnection | None:
        """The warmest idle connection that is still open (Redmine may end idle ones)."""
        now = asyncio.get_running_loop().time()
        while self._idle:
            connection = self._idle.pop()
            if connection.is_usable and now - connection.idle_since < self._limits.idle_expiry_s:
                return connection
            self._open.discard(connection)
            connection.close()
        return None

    async def _acquire_slowly(self) -> UpstreamConnection:
        while True:
            self._raise_if_closed()  # a waiter woken by the close, or by a release after it
            idle = self._take_idle()
            if idle is not None:
                return idle
            if len(self._open) + self._connecting < self._limit:
                return await self._connect()
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except BaseException:
                if waiter.done() and not waiter.cancelled():
                    self._wake_one()  # woken, then cancelled: the turn passes to the next
                elif waiter in self._waiters:
                    self._waiters.remove(waiter)
                raise

    def release(self, connection: UpstreamConnection) -> None:
        if connection.is_reusable and not self._is_closed:
            connection.idle_since = asyncio.get_running_loop().time()
            self._idle.append(connection)
        else:
            connection.close()
            self._open.discard(connection)
        self._wake_one()

    async def close(self) -> None:
        """Closes every connection; waiters and connects still in flight end in UpstreamClosed."""
        self._is_closed = True
        for connection in list(self._open):
            connection.close()
        self._idle.clear()
        self._open.clear()
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)

    async def _connect(self) -> UpstreamConnection:
        origin = self._origin
        loop = asyncio.get_running_loop()
        self._connecting += 1
        try:
            async with asyncio.timeout(self._connect_timeout_s):
                if origin.unix_path is not None:
                    _, connection = await loop.create_unix_connection(
                        lambda: UpstreamConnection(self._forget, self._limits), origin.unix_path
                    )
                else:
                    _, connection = await loop.create_connection(
                        lambda: UpstreamConnection(self._forget, self._limits),
                        origin.host,
                        origin.port,
                        ssl=origin.tls,
                        server_hostname=origin.host if origin.tls else None,
                    )
        except BaseException:
            self._connecting -= 1
            self._wake_one()
            raise
        self._connecting -= 1
        if self._is_closed:
            connection.close()  # the pool closed while it connected: nobody else would close it
            self._raise_if_closed()
        self._open.add(connection)
        log.debug("upstream connection opened host=%s open=%s", origin.host, len(self._open))
        return connection

    def _raise_if_closed(self) -> None:
        if self._is_closed:
            raise UpstreamClosed(
                "the gateway is shutting down", answer_started=False, by_gateway=True
            )

    def _forget(self, connection: UpstreamConnection) -> None:
        self._open.discard(connection)
        try:
            self._idle.remove(connection)
        except ValueError:
            pass
        self._wake_one()

    def _wake_one(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
