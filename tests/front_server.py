"""The whole gateway (front and own app) served in-process, for aiohttp's TestClient."""

import contextlib
import dataclasses
import socket
from typing import Any

from aiohttp import web
from aiohttp.test_utils import BaseTestServer, get_port_socket
from aiohttp.web_runner import BaseRunner
from yarl import URL

from gateway.app import relay_observer
from gateway.front.server import FrontServer, serving
from gateway.limits import edge_limits
from gateway.settings import Settings

SHUTDOWN_TIMEOUT_S = 5.0


class GatewayTestServer(BaseTestServer):
    """Runs `serving()` as `timer-gateway serve` does, on a free loopback port."""

    def __init__(
        self,
        app: web.Application,
        settings: Settings,
    ) -> None:
        super().__init__(host="127.0.0.1")
        self.app = app
        self._settings = settings
        self._stack: contextlib.AsyncExitStack | None = None
        self.front: FrontServer | None = None

    async def start_server(self, loop: Any = None, **kwargs: Any) -> None:
        if self._stack is not None:
            return
        sock = get_port_socket(self.host, 0, socket.AF_INET)
        stack = contextlib.AsyncExitStack()
        self.front = await stack.enter_async_context(
            serving(
                self._settings,
                self.app,
                sock=sock,
                limits=dataclasses.replace(
                    edge_limits(self._settings), shutdown_timeout_s=SHUTDOWN_TIMEOUT_S
                ),
                observer=relay_observer(self.app),
            )
        )
        self._stack = stack
        self.port = sock.getsockname()[1]
        self.scheme = "http"
        self._root = URL(f"http://{self.host}:{self.port}")

    async def _make_runner(self, **kwargs: Any) -> BaseRunner:
        raise NotImplementedError("the gateway runs its own runner inside serving()")

    @property
    def started(self) -> bool:
        return self._stack is not None

    async def close(self) -> None:
        if self._stack is not None and not self._closed:
            await self._stack.aclose()
            self._root = None
            self._closed = True
