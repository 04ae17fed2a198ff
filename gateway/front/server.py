"""The public listener, with Redmine and the gateway's own app behind it, and its shutdown."""

import asyncio
import contextlib
import logging
import os
import shutil
import socket
import ssl
import tempfile
from collections.abc import AsyncIterator, Callable

from aiohttp import web
from yarl import URL

from gateway.front.connection import ClientConnection
from gateway.front.open_connections import OpenConnections
from gateway.front.overload import OverloadAnswer
from gateway.limits import EdgeLimits, FrontLimits, edge_limits
from gateway.logs import ACCESS_LOGGER, AccessLineFormat
from gateway.proxy.access_log import AccessLog
from gateway.proxy.observer import RelayObserver
from gateway.proxy.relaying import Proxy
from gateway.proxy.routing import ADMIN, EVERYTHING, PUBLIC, Upstream
from gateway.relay.pool import ConnectionPool, Origin
from gateway.settings import Settings

log = logging.getLogger(__name__)


class FrontServer:
    """Accepts connections and keeps track of them, so a shutdown lets in-flight answers finish.

    It listens on the public port and, with GATEWAY_ADMIN_PORT, on the admin port too; each
    listener has its own Proxy (what it serves), and all connections count against one limit.
    """

    def __init__(
        self,
        proxy: Proxy,
        limits: FrontLimits,
    ) -> None:
        self._proxy = proxy
        self._limits = limits
        self._connections = OpenConnections()
        self._server: asyncio.Server | None = None
        self._admin_server: asyncio.Server | None = None

    async def listen(
        self, host: str, port: int, *, reuse_port: bool = False, sock: socket.socket | None = None
    ) -> None:
        loop = asyncio.get_running_loop()
        if sock is not None:
            self._server = await loop.create_server(self._accept, sock=sock)
        else:
            self._server = await loop.create_server(
                self._accept, host, port, reuse_port=reuse_port or None
            )

    async def listen_admin(
        self, host: str, port: int, proxy: Proxy, *, reuse_port: bool = False
    ) -> None:
        self._admin_server = await asyncio.get_running_loop().create_server(
            lambda: self._accept(proxy), host, port, reuse_port=reuse_port or None
        )

    @property
    def port(self) -> int:
        assert self._server is not None
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    @property
    def admin_port(self) -> int | None:
        if self._admin_server is None:
            return None
        port: int = self._admin_server.sockets[0].getsockname()[1]
        return port

    def open_connection_count(self) -> int:
        return self._connections.count

    async def shutdown(self, timeout_s: float) -> None:
        """Stops accepting, closes idle connections and waits (up to `timeout_s`) for the rest."""
        for server in (self._server, self._admin_server):
            if server is not None:
                server.close()
        for connection in self._connections:
            connection.close_when_idle()
        if await self._connections.wait_all_closed(timeout_s):
            return
        for connection in self._connections:
            log.warning("connection still busy at shutdown peer=%s", connection.peer)
            connection.abort()

    def _accept(self, proxy: Proxy | None = None) -> asyncio.Protocol:
        limit = self._limits.max_connections
        if limit is not None and self._connections.count >= limit:
            log.warning("connection refused: too many open max=%s", limit)
            return OverloadAnswer()
        proxy = proxy or self._proxy
        return ClientConnection(
            proxy.respond, proxy.refuse_observed, self._connections, self._limits
        )


@contextlib.asynccontextmanager
async def serving(
    settings: Settings,
    app: web.Application,
    *,
    reuse_port: bool = False,
    sock: socket.socket | None = None,
    limits: EdgeLimits | None = None,
    observer: RelayObserver | None = None,
    write_access_line: Callable[[str], None] | None = None,
) -> AsyncIterator[FrontServer]:
    """Runs `app` on a private Unix socket and the front on GATEWAY_HOST:GATEWAY_PORT (or `sock`)
    and GATEWAY_ADMIN_PORT when set, until the block ends; then answers what is in flight and
    shuts everything down in order. `limits` replaces the bounds the settings give (tests
    shorten the waits); `observer` (the app's metrics) hears of every request;
    `write_access_line` (the log writer's) takes access lines made whole (None: as records)."""
    limits = limits or edge_limits(settings)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    private_dir = await asyncio.to_thread(tempfile.mkdtemp, prefix="timer-gateway-")
    redmine_pool = ConnectionPool(
        await redmine_origin(settings),
        settings.upstream_max_connections,
        settings.upstream_connect_timeout_s,
        limits.relay,
    )
    own_socket = os.path.join(private_dir, "app.sock")
    own_pool = ConnectionPool(
        Origin("localhost", 0, None, unix_path=own_socket),
        limits.own_app_connections,
        settings.upstream_connect_timeout_s,
        limits.relay,
    )
    front: FrontServer | None = None
    try:
        await web.UnixSite(runner, own_socket).start()
        redmine = redmine_upstream(settings, redmine_pool)
        # A stuck app answers 504 in the error shape rather than holding the client; the bound
        # is generous, as a long analytics answer may still be making progress.
        own = Upstream(own_pool, b"", b"localhost", settings.app_timeout_s, is_own=True)
        access_log = (
            AccessLog(
                logging.getLogger(ACCESS_LOGGER),
                write_access_line,
                AccessLineFormat(settings.log_format),
            )
            if settings.access_log
            else None
        )
        has_admin = settings.admin_port is not None
        front = FrontServer(
            Proxy(redmine, own, access_log, observer, PUBLIC if has_admin else EVERYTHING),
            limits.front,
        )
        await front.listen(settings.host, settings.port, reuse_port=reuse_port, sock=sock)
        if settings.admin_port is not None:
            admin = Proxy(redmine, own, access_log, observer, ADMIN)
            await front.listen_admin(
                settings.host, settings.admin_port, admin, reuse_port=reuse_port
            )
        if observer is not None:
            observer.watch_edge(front.open_connection_count, redmine_pool)
        yield front
    finally:
        if front is not None:
            await front.shutdown(limits.shutdown_timeout_s)
        await redmine_pool.close()
        await own_pool.close()
        await runner.cleanup()
        await asyncio.to_thread(shutil.rmtree, private_dir, ignore_errors=True)


async def redmine_origin(settings: Settings) -> Origin:
    base = URL(settings.redmine_base)
    # Loading the system's CA certificates reads files: off the event loop.
    tls = await asyncio.to_thread(ssl.create_default_context) if base.scheme == "https" else None
    return Origin(base.raw_host or "", base.port or 80, tls)


def redmine_upstream(settings: Settings, pool: ConnectionPool) -> Upstream:
    base = URL(settings.redmine_base)
    host = base.raw_host or ""
    return Upstream(
        pool,
        base_path=base.raw_path.rstrip("/").encode(),
        host=(host if base.is_default_port() else f"{host}:{base.port}").encode(),
        timeout_s=settings.upstream_timeout_s,
    )
