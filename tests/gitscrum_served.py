"""A whole gateway (front and app) over the fake Redmine, for replaying GitScrum clients."""

from dataclasses import dataclass
from typing import Any, cast

from aiohttp import web
from aiohttp.test_utils import TestClient
from fakeredis import FakeAsyncRedis
from pytest_aiohttp import AiohttpClient

from gateway.app import create_app
from gateway.settings import Settings
from tests.clock import ManualClock
from tests.conftest import GatewayClient
from tests.fakes.redmine_api import FakeRedmineApi
from tests.front_server import GatewayTestServer
from tests.gitscrum_wire import Answer, exchange, go_cli_request, mcp_request
from tests.timers.conftest import ENTRIES, posted_entry


@dataclass
class Served:
    client: GatewayClient
    redmine: FakeRedmineApi
    clock: ManualClock

    @property
    def port(self) -> int:
        port = self.client.server.port
        assert port is not None
        return port

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def send(self, raw: bytes) -> Answer:
        return await exchange("127.0.0.1", self.port, raw)

    async def cli(
        self, method: str, path: str, body: dict[str, Any] | None = None, login: str = "alice"
    ) -> Answer:
        """What `gitscrum` sends for one API call (pkg/api/client.go), answered."""
        token = self.redmine.api_key_of(login)
        return await self.send(go_cli_request(self.host, method, path, token, body))

    async def mcp(
        self,
        method: str,
        endpoint: str,
        params: list[tuple[str, str | int]] | None = None,
        body: dict[str, Any] | None = None,
        login: str = "alice",
    ) -> Answer:
        """What the MCP server's GitScrumClient sends for one call, answered."""
        token = self.redmine.api_key_of(login)
        return await self.send(mcp_request(self.host, method, endpoint, token, params or [], body))

    def entry_posts(self) -> list[dict[str, Any]]:
        posts = [c for c in self.redmine.calls if c.method == "POST" and c.raw_path == ENTRIES]
        return [e for e in map(posted_entry, posts) if "hours" in e]


async def serve_gitscrum(
    aiohttp_client: AiohttpClient,
    redmine_api: FakeRedmineApi,
    redis: FakeAsyncRedis,
    clock: ManualClock,
    **overrides: Any,
) -> Served:
    settings = Settings(**{"redmine_url": redmine_api.url, "upstream_timeout_s": 2.0, **overrides})
    app = create_app(settings, redis=redis, clock=clock, outbox_worker=False)
    client: TestClient[web.Request, None] = await aiohttp_client(GatewayTestServer(app, settings))
    # pytest-aiohttp types a client of any BaseTestServer as app-less; this one has `app`.
    return Served(cast(GatewayClient, client), redmine_api, clock)
