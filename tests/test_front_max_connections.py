"""GATEWAY_MAX_CLIENT_CONNECTIONS: a connection beyond it is answered 503 and closed."""

import asyncio
import json

from gateway.settings import Settings
from tests.conftest import ServedGateway
from tests.fakes.raw_upstream import RawUpstream
from tests.front_wire import Wire


async def test_a_connection_beyond_the_limit_gets_503_and_is_closed(
    served_gateway: ServedGateway, raw_upstream: RawUpstream
) -> None:
    settings = Settings(redmine_url=raw_upstream.url, max_client_connections=1)
    gateway = await served_gateway(settings)
    host, port = gateway.server.host, gateway.server.port
    first = Wire(*await asyncio.open_connection(host, port))
    await first.send(b"GET /x HTTP/1.1\r\nHost: gw\r\n\r\n")
    assert (await first.head()).startswith(b"HTTP/1.1 200 ")
    assert await first.exactly(2) == b"ok"  # kept alive: it still counts
    second = Wire(*await asyncio.open_connection(host, port))
    await second.send(b"GET /y HTTP/1.1\r\nHost: gw\r\n\r\n")
    head = await second.head()
    assert head.startswith(b"HTTP/1.1 503 ") and b"Retry-After: " in head
    assert json.loads(await second.rest())["error_code"] == "SERVICE_UNAVAILABLE"
    assert len(raw_upstream.received) == 1  # the refused request never reached Redmine
    first.writer.close()
    second.writer.close()
    await first.writer.wait_closed()
    await second.writer.wait_closed()
