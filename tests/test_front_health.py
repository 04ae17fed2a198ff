"""The front answers /-/healthz itself, and gives its own app a deadline (504, not a hang)."""

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from fakeredis import FakeAsyncRedis
from pytest_aiohttp import AiohttpClient

from gateway.app import create_app
from gateway.errors import AppUnavailable, Handler
from gateway.front.connection import ClientConnection
from gateway.front.open_connections import OpenConnections
from gateway.front.request import IncomingRequest
from gateway.limits import EdgeLimits, FrontLimits
from gateway.proxy.relaying import Proxy
from gateway.settings import Settings
from tests.fakes.redmine import FakeRedmine
from tests.front_server import GatewayTestServer
from tests.front_wire import FakeTransport, Wire

OWN_APP_CONNECTIONS = EdgeLimits().own_app_connections

# A request that hangs fails its test here instead of holding it (a bound, not an assertion).
ANSWER_BOUND_S = 10.0
STUCK_APP_TIMEOUT_S = 0.3

Served = TestClient[web.Request, None]


@dataclass
class StuckApp:
    """Every request to the gateway's own app waits until `release` is set; `filled` is set once
    `expected` of them are waiting."""

    release: asyncio.Event
    filled: asyncio.Event
    expected: int = 0
    arrived: int = 0

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.arrived += 1
        if self.arrived >= self.expected:
            self.filled.set()
        await self.release.wait()
        return await handler(request)


@pytest.fixture
async def stuck() -> AsyncIterator[StuckApp]:
    app = StuckApp(asyncio.Event(), asyncio.Event())
    yield app
    app.release.set()  # lets the blocked handlers end, so the server shuts down cleanly


async def serve_stuck(aiohttp_client: AiohttpClient, settings: Settings, stuck: StuckApp) -> Served:
    app = create_app(settings, redis=FakeAsyncRedis(decode_responses=True))
    app.middlewares.append(stuck.middleware)
    served: Served = await aiohttp_client(GatewayTestServer(app, settings))
    return served


async def test_healthz_is_answered_while_every_app_connection_is_stuck(
    aiohttp_client: AiohttpClient, redmine: FakeRedmine, stuck: StuckApp
) -> None:
    settings = Settings(redmine_url=redmine.url)
    stuck.expected = OWN_APP_CONNECTIONS
    gateway = await serve_stuck(aiohttp_client, settings, stuck)
    host, port = gateway.server.host, gateway.server.port
    # One connection per pooled connection to the app, each holding it with a request that hangs.
    wires = [Wire(*await asyncio.open_connection(host, port)) for _ in range(OWN_APP_CONNECTIONS)]
    for wire in wires:
        await wire.send(b"GET /-/readyz HTTP/1.1\r\nHost: gw\r\n\r\n")
    async with asyncio.timeout(ANSWER_BOUND_S):
        await stuck.filled.wait()
    async with asyncio.timeout(ANSWER_BOUND_S):
        async with gateway.get("/-/healthz") as response:
            assert response.status == 200
            assert response.headers["Content-Type"] == "application/json; charset=utf-8"
            assert await response.read() == b'{"status": "ok"}'
        async with gateway.head("/-/healthz") as response:
            assert response.status == 200
            assert response.headers["Content-Length"] == "16"
            assert await response.read() == b""
    assert stuck.arrived == OWN_APP_CONNECTIONS  # neither probe reached the app
    for wire in wires:
        wire.writer.close()


async def test_the_fronts_healthz_is_the_apps_answer_byte_for_byte(
    aiohttp_client: AiohttpClient, redmine: FakeRedmine
) -> None:
    settings = Settings(redmine_url=redmine.url)
    app_alone = await aiohttp_client(create_app(settings, redis=FakeAsyncRedis()))
    front: Served = await aiohttp_client(
        GatewayTestServer(create_app(settings, redis=FakeAsyncRedis()), settings)
    )
    answers = []
    for client in (app_alone, front):
        async with client.get("/-/healthz") as response:
            answers.append(
                (response.status, response.headers["Content-Type"], await response.read())
            )
    assert answers[0] == answers[1]


async def test_a_stuck_app_answers_504_in_the_error_shape(
    aiohttp_client: AiohttpClient, redmine: FakeRedmine, stuck: StuckApp
) -> None:
    settings = Settings(redmine_url=redmine.url, app_timeout_s=STUCK_APP_TIMEOUT_S)
    gateway = await serve_stuck(aiohttp_client, settings, stuck)
    for path in ("/time-trackings/active", "/-/readyz"):
        async with asyncio.timeout(ANSWER_BOUND_S), gateway.get(path) as response:
            assert response.status == 504
            assert response.headers["Content-Type"] == "application/json; charset=utf-8"
            body = await response.json()
        assert body.keys() == {"message", "error_code", "errors"}
        assert (body["error_code"], body["errors"]) == ("GATEWAY_TIMEOUT", {})
    # Redmine is still reached as ever.
    async with asyncio.timeout(ANSWER_BOUND_S), gateway.get("/projects.json") as response:
        assert response.status == 200


async def test_a_503_the_front_writes_carries_retry_after() -> None:
    async def respond(request: IncomingRequest, client: ClientConnection) -> bool:
        return True

    transport = FakeTransport()
    connection = ClientConnection(respond, Proxy.refuse, OpenConnections(), FrontLimits())
    connection.connection_made(transport)
    Proxy.refuse(AppUnavailable("The gateway could not answer; try again."), connection)
    connection.connection_lost(None)
    head, _, body = transport.written.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 503 Service Unavailable\r\n")
    retry_after = b"\r\nRetry-After: %d\r\n" % AppUnavailable.retry_after_s
    assert retry_after in head + b"\r\n"
    assert json.loads(body)["error_code"] == "SERVICE_UNAVAILABLE"
