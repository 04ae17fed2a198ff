"""Each of the front's waits on a client applies in its own phase, with its own setting: the
others are an hour long here, so only the one under test can end the exchange."""

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from gateway.settings import Settings
from tests.conftest import ServedGateway
from tests.fakes.raw_upstream import RawUpstream
from tests.front_wire import Wire

HOUR_S = 3600.0
SHORT_S = 0.2

OpenWire = Callable[..., Awaitable[Wire]]


@pytest.fixture
async def wire_with(
    served_gateway: ServedGateway, raw_upstream: RawUpstream
) -> AsyncIterator[OpenWire]:
    """A connection to a gateway whose client waits are an hour, but for those given."""
    writers: list[asyncio.StreamWriter] = []

    async def open_wire(**short: float) -> Wire:
        waits = {
            "client_idle_timeout_s": HOUR_S,
            "client_head_timeout_s": HOUR_S,
            "client_body_timeout_s": HOUR_S,
            "client_send_timeout_s": HOUR_S,
        }
        settings = Settings.model_validate(
            {"redmine_url": raw_upstream.url, "upstream_timeout_s": 2.0, **waits, **short}
        )
        gateway = await served_gateway(settings)
        reader, writer = await asyncio.open_connection(gateway.server.host, gateway.server.port)
        writers.append(writer)
        return Wire(reader, writer)

    yield open_wire
    for writer in writers:
        writer.close()


async def test_a_head_that_stops_arriving_gets_408_after_the_head_timeout(
    wire_with: OpenWire, raw_upstream: RawUpstream
) -> None:
    wire = await wire_with(client_head_timeout_s=SHORT_S)
    await wire.send(b"GET /a HTTP/1.1\r\nHost: gw\r\nX-Slow: ")
    head = await wire.head()
    assert head.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
    assert b"Connection: close" in head
    assert json.loads(await wire.rest())["error_code"] == "REQUEST_TIMEOUT"
    assert raw_upstream.received == []


async def test_a_second_head_that_stops_arriving_gets_408_after_the_head_timeout(
    wire_with: OpenWire, raw_upstream: RawUpstream
) -> None:
    wire = await wire_with(client_head_timeout_s=SHORT_S)
    await wire.send(b"GET /a HTTP/1.1\r\nHost: gw\r\n\r\n")
    assert (await wire.head()).startswith(b"HTTP/1.1 200 OK\r\n")
    assert await wire.exactly(2) == b"ok"
    await wire.send(b"GET /b HT")
    assert (await wire.head()).startswith(b"HTTP/1.1 408 Request Timeout\r\n")
    assert len(raw_upstream.received) == 1


async def test_a_connection_that_never_sends_a_byte_is_closed_silently_after_the_head_timeout(
    wire_with: OpenWire,
) -> None:
    wire = await wire_with(client_head_timeout_s=SHORT_S)
    assert await wire.rest() == b""


async def test_a_kept_alive_connection_is_closed_silently_after_the_idle_timeout(
    wire_with: OpenWire,
) -> None:
    wire = await wire_with(client_idle_timeout_s=SHORT_S)
    await wire.send(b"GET /a HTTP/1.1\r\nHost: gw\r\n\r\n")
    assert (await wire.head()).startswith(b"HTTP/1.1 200 OK\r\n")
    assert await wire.exactly(2) == b"ok"
    assert await wire.rest() == b""


async def test_a_body_that_stops_arriving_gets_408_after_the_body_timeout(
    wire_with: OpenWire,
) -> None:
    wire = await wire_with(client_body_timeout_s=SHORT_S)
    await wire.send(b"PUT /x HTTP/1.1\r\nHost: gw\r\nContent-Length: 10\r\n\r\nhalf")
    assert (await wire.head()).startswith(b"HTTP/1.1 408 Request Timeout\r\n")
    assert json.loads(await wire.rest())["error_code"] == "REQUEST_TIMEOUT"


async def test_too_many_header_fields_get_431_and_are_never_forwarded(
    served_gateway: ServedGateway, raw_upstream: RawUpstream
) -> None:
    settings = Settings(redmine_url=raw_upstream.url, client_max_header_fields=10)
    gateway = await served_gateway(settings)
    reader, writer = await asyncio.open_connection(gateway.server.host, gateway.server.port)
    wire = Wire(reader, writer)
    fields = b"".join(b"X-%d: v\r\n" % n for n in range(10))  # Host makes 11
    await wire.send(b"GET /a HTTP/1.1\r\nHost: gw\r\n" + fields + b"\r\n")
    head = await wire.head()
    assert head.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n")
    document = json.loads(await wire.rest())
    assert document["error_code"] == "REQUEST_HEADER_FIELDS_TOO_LARGE"
    assert "too many header fields" in document["message"]
    assert raw_upstream.received == []
    writer.close()


async def test_exactly_the_allowed_number_of_header_fields_is_forwarded(
    served_gateway: ServedGateway, raw_upstream: RawUpstream
) -> None:
    settings = Settings(redmine_url=raw_upstream.url, client_max_header_fields=10)
    gateway = await served_gateway(settings)
    reader, writer = await asyncio.open_connection(gateway.server.host, gateway.server.port)
    wire = Wire(reader, writer)
    fields = b"".join(b"X-%d: v\r\n" % n for n in range(9))
    await wire.send(b"GET /a HTTP/1.1\r\nHost: gw\r\n" + fields + b"\r\n")
    assert (await wire.head()).startswith(b"HTTP/1.1 200 OK\r\n")
    assert len(raw_upstream.received) == 1
    writer.close()


async def test_the_head_size_setting_bounds_the_head(
    served_gateway: ServedGateway, raw_upstream: RawUpstream
) -> None:
    settings = Settings(redmine_url=raw_upstream.url, client_max_head_bytes=2048)
    gateway = await served_gateway(settings)
    reader, writer = await asyncio.open_connection(gateway.server.host, gateway.server.port)
    wire = Wire(reader, writer)
    await wire.send(b"GET /a HTTP/1.1\r\nHost: gw\r\nX-Big: " + b"v" * 3000 + b"\r\n\r\n")
    assert (await wire.head()).startswith(b"HTTP/1.1 431 ")
    assert raw_upstream.received == []
    writer.close()
