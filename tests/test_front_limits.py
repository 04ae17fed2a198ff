"""The front's timeouts, and how it copes with slow, idle, early or departing clients."""

import asyncio
import contextlib
import json
import logging

import pytest

from gateway.errors import GatewayError
from gateway.front.connection import ClientConnection
from gateway.front.open_connections import OpenConnections
from gateway.front.request import IncomingRequest
from gateway.limits import FrontLimits
from gateway.logs import ACCESS_LOGGER
from gateway.proxy.relaying import Proxy
from gateway.settings import Settings
from tests.conftest import GatewayClient, ServedGateway
from tests.fakes.raw_upstream import RawAnswer, RawUpstream
from tests.front_wire import FakeTransport, Wire
from tests.loop_clock import settle

# How long a condition nothing signals is polled for.
WAIT_S = 5.0


async def test_time_spent_on_a_slow_client_does_not_count_against_redmine(
    served_gateway: ServedGateway, raw_upstream: RawUpstream
) -> None:
    gateway = await served_gateway(Settings(redmine_url=raw_upstream.url, upstream_timeout_s=0.5))
    reader, writer = await asyncio.open_connection(gateway.server.host, gateway.server.port)
    wire = Wire(reader, writer)
    await wire.send(b"PUT /slow HTTP/1.1\r\nHost: gw\r\nContent-Length: 4\r\n\r\n")
    for piece in (b"1", b"2", b"3", b"4"):  # 1.2 s in all, more than the 0.5 s upstream timeout
        await asyncio.sleep(0.3)
        await wire.send(piece)
    assert (await wire.head()).startswith(b"HTTP/1.1 200 OK\r\n")
    assert await wire.exactly(2) == b"ok"
    assert raw_upstream.received[0].endswith(b"\r\n\r\n1234")
    writer.close()


async def test_redmine_gets_the_upstream_timeout_in_total_even_while_bytes_flow(
    served_gateway: ServedGateway, raw_upstream: RawUpstream
) -> None:
    gateway = await served_gateway(Settings(redmine_url=raw_upstream.url, upstream_timeout_s=0.5))
    raw_upstream.answers.append(
        RawAnswer(
            b"HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n",
            delay_s=0.2,  # never 0.5 s without a byte, but 1 s in all
            trickle=(b"ab", b"cd", b"ef", b"gh"),
        )
    )
    reader, writer = await asyncio.open_connection(gateway.server.host, gateway.server.port)
    wire = Wire(reader, writer)
    await wire.send(b"GET /slow HTTP/1.1\r\nHost: gw\r\n\r\n")
    assert (await wire.head()).startswith(b"HTTP/1.1 200 OK\r\n")
    with pytest.raises((asyncio.IncompleteReadError, ConnectionError)):
        await wire.exactly(8)
    writer.close()


async def test_a_client_that_half_closes_still_gets_its_answer(
    wire: Wire, raw_upstream: RawUpstream
) -> None:
    await wire.send(b"POST /x HTTP/1.1\r\nHost: gw\r\nContent-Length: 2\r\n\r\nhi")
    wire.writer.write_eof()
    head = await wire.head()
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"Connection: close" in head
    assert await wire.rest() == b"ok"


@pytest.mark.parametrize("ending", [b"", b"GARBAGE\r\n\r\n"], ids=["half-close", "garbage"])
async def test_requests_queued_before_the_end_of_input_are_all_answered(
    wire: Wire, raw_upstream: RawUpstream, ending: bytes
) -> None:
    raw_upstream.answers.append(
        RawAnswer(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1", delay_s=0.2)
    )
    await wire.send(
        b"GET /1 HTTP/1.1\r\nHost: gw\r\n\r\nGET /2 HTTP/1.1\r\nHost: gw\r\n\r\n" + ending
    )
    if not ending:
        wire.writer.write_eof()
    first = await wire.head()
    assert b"Connection: close" not in first
    assert await wire.exactly(1) == b"1"
    second = await wire.head()
    assert await wire.exactly(2) == b"ok"
    if ending:
        assert b"Connection: close" not in second
        assert (await wire.head()).startswith(b"HTTP/1.1 400 ")
    else:
        assert b"Connection: close" in second, "the last answer says the connection ends"
    await wire.rest()
    assert len(raw_upstream.received) == 2


async def test_an_unread_refused_body_does_not_stall_the_connection(
    wire: Wire, raw_upstream: RawUpstream
) -> None:
    raw_upstream.answers.append(
        RawAnswer(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", delay_s=0.3)
    )
    # One byte over what the front buffers before it stops reading: the body is complete
    # exactly when reading stops, and nobody reads it, since the request is refused.
    body = b"x" * (FrontLimits().body_high_water_bytes + 1)
    await wire.send(
        b"GET /slow HTTP/1.1\r\nHost: gw\r\n\r\n"
        b"POST /../x HTTP/1.1\r\nHost: gw\r\nContent-Length: %d\r\n\r\n%b" % (len(body), body)
    )
    assert (await wire.head()).startswith(b"HTTP/1.1 200 OK\r\n")
    assert await wire.exactly(2) == b"ok"
    refused = await wire.head()
    assert refused.startswith(b"HTTP/1.1 400 ")
    assert b"Connection: close" not in refused
    length = int(refused.split(b"Content-Length: ")[1].split(b"\r\n")[0])
    assert json.loads(await wire.exactly(length))["error_code"] == "BAD_REQUEST"
    await wire.send(b"GET /next HTTP/1.1\r\nHost: gw\r\n\r\n")
    assert (await wire.head()).startswith(b"HTTP/1.1 200 OK\r\n")


async def test_an_answer_given_before_the_body_was_taken_reaches_the_client(
    wire: Wire, raw_upstream: RawUpstream
) -> None:
    refusal = b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 3\r\nConnection: close\r\n\r\nbig"
    raw_upstream.answers.append(RawAnswer(refusal, before_body=True))
    await wire.send(b"POST /uploads.json HTTP/1.1\r\nHost: gw\r\nContent-Length: 2000000\r\n\r\n")
    await wire.send(b"z" * 2_000_000)
    assert (await wire.head()).startswith(b"HTTP/1.1 413 Payload Too Large\r\n")
    assert await wire.exactly(3) == b"big"


async def test_a_body_that_stops_arriving_gets_408_and_the_connection_closes(
    impatient: Wire, raw_upstream: RawUpstream
) -> None:
    await impatient.send(b"PUT /x HTTP/1.1\r\nHost: gw\r\nContent-Length: 10\r\n\r\nhalf")
    head = await impatient.head()
    assert head.startswith(b"HTTP/1.1 408 ")
    assert json.loads(await impatient.rest())["error_code"] == "REQUEST_TIMEOUT"


async def test_an_idle_keep_alive_connection_is_closed(
    impatient: Wire, raw_upstream: RawUpstream
) -> None:
    await impatient.send(b"GET /a HTTP/1.1\r\nHost: gw\r\n\r\n")
    await impatient.head()
    assert await impatient.exactly(2) == b"ok"
    assert await impatient.rest() == b"", "closed after 0.3 s without a request"


async def test_a_client_that_never_reads_is_cut_off_after_the_close() -> None:
    async def respond(request: IncomingRequest, client: ClientConnection) -> bool:
        return True

    transport = FakeTransport()
    connection = ClientConnection(
        respond, Proxy.refuse, OpenConnections(), FrontLimits(send_timeout_s=0.05)
    )
    connection.connection_made(transport)
    transport.buffered = 300_000  # an answer still waiting for the client to read it
    connection.close_when_idle()
    assert transport.closed and not transport.aborted, "a close first waits for the buffer"
    async with asyncio.timeout(5):
        await transport.was_aborted.wait()  # then the connection is cut, after the send timeout


async def test_a_large_body_in_one_read_is_not_taken_for_a_large_head() -> None:
    answered: list[tuple[str, bytes]] = []

    async def respond(request: IncomingRequest, client: ClientConnection) -> bool:
        body = b""
        while request.body and (chunk := await request.body.read()):
            body += chunk
        answered.append((request.method, body))
        return True

    def refuse(error: GatewayError, client: ClientConnection) -> None:
        answered.append(("refused", str(error).encode()))

    connection = ClientConnection(respond, refuse, OpenConnections(), FrontLimits())
    connection.connection_made(FakeTransport())
    body = b"b" * 70_000
    connection.data_received(  # one read: a whole POST, then a whole GET, over 64 KiB in all
        b"POST /big HTTP/1.1\r\nHost: gw\r\nContent-Length: %d\r\n\r\n%b" % (len(body), body)
        + b"GET /next HTTP/1.1\r\nHost: gw\r\n\r\n"
    )
    await settle(lambda: len(answered) == 2, turns=1000)
    assert answered == [("POST", body), ("GET", b"")]


async def test_a_client_gone_before_its_answer_is_logged_as_499(
    scripted_gateway: GatewayClient, raw_upstream: RawUpstream, caplog: pytest.LogCaptureFixture
) -> None:
    _, writer = await asyncio.open_connection(
        scripted_gateway.server.host, scripted_gateway.server.port
    )
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        writer.write(b"PUT /leaving HTTP/1.1\r\nHost: gw\r\nContent-Length: 10\r\n\r\nhalf")
        await writer.drain()
        # The gateway has opened its connection to Redmine: the request is being answered.
        await raw_upstream.wait_until(lambda: raw_upstream.connections == 1)
        writer.transport.abort()
        lines: list[str] = []
        async with asyncio.timeout(WAIT_S):
            while not lines:
                await asyncio.sleep(0.01)
                lines = [r.getMessage() for r in caplog.records if r.name == ACCESS_LOGGER]
    assert len(lines) == 1
    assert "method=PUT target=/leaving status=499 bytes=0 " in lines[0]


async def test_a_client_that_leaves_mid_download_frees_its_upstream_connection(
    scripted_gateway: GatewayClient, raw_upstream: RawUpstream
) -> None:
    raw_upstream.answers.append(
        RawAnswer(b"HTTP/1.1 200 OK\r\nContent-Length: 9000000\r\n\r\n" + b"x" * 9_000_000)
    )
    server = scripted_gateway.server
    reader, writer = await asyncio.open_connection(server.host, server.port)
    writer.write(b"GET /big HTTP/1.1\r\nHost: gw\r\n\r\n")
    await reader.readuntil(b"\r\n\r\n")
    writer.transport.abort()
    for _ in range(3):  # the pool has a healthy connection to give each of these
        response = await scripted_gateway.get("/after")
        assert await response.read() == b"ok"
    assert raw_upstream.connections == 2, "the cut exchange's connection was closed, not reused"


async def keep_sending(writer: asyncio.StreamWriter, size: int) -> int:
    """Sends `size` body bytes, or as many as the gateway takes; returns how many went."""
    chunk = b"z" * 65536
    sent = 0
    with contextlib.suppress(ConnectionError):
        while sent < size:
            writer.write(chunk)
            await writer.drain()
            sent += len(chunk)
    return sent


@pytest.mark.parametrize(
    "head",
    [
        b"POST /uploads.json HTTP/1.1\r\nContent-Length: 50000000\r\n\r\n",  # no Host
        b"POST /../x HTTP/1.1\r\nHost: gw\r\nConnection: close\r\nContent-Length: 50000000\r\n\r\n",
    ],
    ids=["refused-head", "refused-target"],
)
async def test_a_client_still_uploading_reads_the_whole_refusal(
    wire: Wire, raw_upstream: RawUpstream, head: bytes
) -> None:
    await wire.send(head)
    sender = asyncio.create_task(keep_sending(wire.writer, 16 * 1024 * 1024))
    answer = await wire.head()
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"Connection: close" in answer
    assert json.loads(await wire.rest())["error_code"] == "BAD_REQUEST"
    wire.writer.transport.abort()
    await sender
    assert raw_upstream.received == []


async def test_an_early_answer_followed_by_a_reset_still_reaches_the_client(
    wire: Wire, raw_upstream: RawUpstream
) -> None:
    refusal = b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 3\r\nConnection: close\r\n\r\nbig"
    raw_upstream.answers.append(RawAnswer(refusal, before_body=True, reset_after=True))
    await wire.send(b"POST /uploads.json HTTP/1.1\r\nHost: gw\r\nContent-Length: 8000000\r\n\r\n")
    upload = asyncio.create_task(wire.send(b"z" * 8_000_000))
    head = await wire.head()
    assert head.startswith(b"HTTP/1.1 413 Payload Too Large\r\n"), head
    assert await wire.exactly(3) == b"big"
    upload.cancel()
