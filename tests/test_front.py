"""The front's HTTP/1.1 handling, shown byte for byte against a scripted upstream."""

import asyncio
import json
import logging
from collections.abc import AsyncIterator

import pytest

from gateway.errors import GatewayError
from gateway.front.connection import ClientConnection
from gateway.front.open_connections import OpenConnections
from gateway.front.request import IncomingRequest, RequestBody
from gateway.logs import ACCESS_LOGGER
from gateway.proxy import Proxy
from gateway.settings import Settings
from tests.conftest import GatewayClient, ServedGateway
from tests.fakes.raw_upstream import RawAnswer, RawUpstream

READ_TIMEOUT_S = 5.0


@pytest.fixture
async def gateway(served_gateway: ServedGateway, raw_upstream: RawUpstream) -> GatewayClient:
    return await served_gateway(Settings(redmine_url=raw_upstream.url, upstream_timeout_s=2.0))


class Wire:
    """One raw client connection to the gateway."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def head(self) -> bytes:
        async with asyncio.timeout(READ_TIMEOUT_S):
            return await self.reader.readuntil(b"\r\n\r\n")

    async def exactly(self, size: int) -> bytes:
        async with asyncio.timeout(READ_TIMEOUT_S):
            return await self.reader.readexactly(size)

    async def rest(self) -> bytes:
        """Everything until the gateway closes the connection."""
        async with asyncio.timeout(READ_TIMEOUT_S):
            return await self.reader.read()

    async def chunked_body(self) -> bytes:
        body = b""
        async with asyncio.timeout(READ_TIMEOUT_S):
            while size := int((await self.reader.readuntil(b"\r\n")).strip(), 16):
                body += await self.reader.readexactly(size)
                assert await self.reader.readexactly(2) == b"\r\n"
            assert await self.reader.readexactly(2) == b"\r\n"
        return body


@pytest.fixture
async def wire(gateway: GatewayClient) -> AsyncIterator[Wire]:
    reader, writer = await asyncio.open_connection(gateway.server.host, gateway.server.port)
    yield Wire(reader, writer)
    writer.close()


def header_lines(head: bytes) -> list[bytes]:
    return head.split(b"\r\n")[1:-2]


async def test_an_answer_leaves_exactly_as_redmine_wrote_it(
    wire: Wire, raw_upstream: RawUpstream
) -> None:
    raw_upstream.answers.append(
        RawAnswer(
            b'HTTP/1.1 201 Created Here\r\nx-lower: a\r\nETag: W/"1"\r\nContent-Length: 2\r\n\r\nhi'
        )
    )
    await wire.send(b"GET /issues.json HTTP/1.1\r\nHost: gw\r\n\r\n")
    head = await wire.head()
    # No Date, Server or Content-Type of the gateway's own: what Redmine did not send stays unsent.
    assert (
        head
        == b'HTTP/1.1 201 Created Here\r\nx-lower: a\r\nETag: W/"1"\r\nContent-Length: 2\r\n\r\n'
    )
    assert await wire.exactly(2) == b"hi"


async def test_a_close_delimited_answer_reaches_a_keep_alive_client_in_chunks(
    wire: Wire, raw_upstream: RawUpstream
) -> None:
    raw_upstream.answers.append(RawAnswer(b"HTTP/1.0 200 OK\r\nX-A: 1\r\n\r\nuntil-the-end", True))
    await wire.send(b"GET /a HTTP/1.1\r\nHost: gw\r\n\r\n")
    assert header_lines(await wire.head()) == [b"X-A: 1", b"Transfer-Encoding: chunked"]
    assert await wire.chunked_body() == b"until-the-end"
    await wire.send(b"GET /b HTTP/1.1\r\nHost: gw\r\n\r\n")  # the same connection goes on
    assert (await wire.head()).startswith(b"HTTP/1.1 200 OK\r\n")
    assert await wire.exactly(2) == b"ok"


async def test_an_http_1_0_client_gets_a_chunked_answer_to_the_end_of_the_connection(
    wire: Wire, raw_upstream: RawUpstream
) -> None:
    raw_upstream.answers.append(
        RawAnswer(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
        )
    )
    await wire.send(b"GET /a HTTP/1.0\r\nHost: gw\r\n\r\n")
    head = await wire.head()
    assert head.startswith(b"HTTP/1.0 200 OK\r\n")
    assert header_lines(head) == [b"Connection: close"]
    assert await wire.rest() == b"abcde"


async def test_a_client_asking_to_close_gets_its_answer_then_the_end(
    wire: Wire, raw_upstream: RawUpstream
) -> None:
    await wire.send(b"GET /a HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n")
    assert header_lines(await wire.head()) == [b"Content-Length: 2", b"Connection: close"]
    assert await wire.rest() == b"ok"
    forwarded = raw_upstream.received[0]
    assert b"Connection" not in forwarded, "the client's hop-by-hop header stays on its own hop"


async def test_pipelined_requests_are_answered_in_order(
    wire: Wire, raw_upstream: RawUpstream
) -> None:
    raw_upstream.answers.extend(
        [
            RawAnswer(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst", delay_s=0.2),
            RawAnswer(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond"),
        ]
    )
    await wire.send(
        b"GET /1 HTTP/1.1\r\nHost: gw\r\n\r\n"
        b"POST /2 HTTP/1.1\r\nHost: gw\r\nContent-Length: 3\r\n\r\nabc"
    )
    await wire.head()
    assert await wire.exactly(5) == b"first"
    await wire.head()
    assert await wire.exactly(6) == b"second"
    assert [request.split(b" ", 2)[1] for request in raw_upstream.received] == [b"/1", b"/2"]
    assert raw_upstream.received[1].endswith(b"\r\n\r\nabc")


async def test_expect_100_continue_is_answered_before_the_body_is_sent(
    wire: Wire, raw_upstream: RawUpstream
) -> None:
    await wire.send(
        b"PUT /x HTTP/1.1\r\nHost: gw\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"
    )
    assert await wire.head() == b"HTTP/1.1 100 Continue\r\n\r\n"
    await wire.send(b"body")
    assert (await wire.head()).startswith(b"HTTP/1.1 200 OK\r\n")
    assert raw_upstream.received[0].endswith(b"\r\n\r\nbody")


async def test_an_interim_answer_from_redmine_is_not_passed_on(
    wire: Wire, raw_upstream: RawUpstream
) -> None:
    raw_upstream.answers.append(
        RawAnswer(
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"
        )
    )
    await wire.send(b"POST /x HTTP/1.1\r\nHost: gw\r\nContent-Length: 1\r\n\r\nz")
    assert await wire.head() == b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"


@pytest.mark.parametrize(
    ("request_bytes", "status", "error_code"),
    [
        (b"GARBAGE\r\n\r\n", 400, "BAD_REQUEST"),
        (
            b"POST /x HTTP/1.1\r\nHost: gw\r\nContent-Length: 3\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            400,
            "BAD_REQUEST",
        ),
        (
            b"GET /x HTTP/1.1\r\nHost: gw\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n",
            431,
            "REQUEST_HEADER_FIELDS_TOO_LARGE",
        ),
    ],
    ids=["garbage", "content-length-and-chunked", "head-too-large"],
)
async def test_a_request_that_cannot_be_read_safely_is_refused_and_never_forwarded(
    wire: Wire, raw_upstream: RawUpstream, request_bytes: bytes, status: int, error_code: str
) -> None:
    await wire.send(request_bytes)
    head = await wire.head()
    assert head.startswith(b"HTTP/1.1 %d " % status)
    assert b"Connection: close" in head
    body = json.loads(await wire.rest())
    assert body["error_code"] == error_code
    assert set(body) == {"message", "error_code", "errors"}
    assert raw_upstream.received == []


@pytest.mark.parametrize(
    ("target", "owner"),
    [
        (b"/time-trackings", "gateway"),
        (b"/time-trackings/123", "gateway"),
        (b"/time%2Dtrackings", "gateway"),
        (b"/time-trackings/../issues.json", "gateway"),  # aiohttp's router keeps dot-segments
        (b"/-/healthz", "gateway"),
        (b"/time-trackings.json", "redmine"),
        (b"/time-trackingsX", "redmine"),
        (b"/projects/../time-trackings/active", "redmine"),
        (b"/x/-/healthz", "redmine"),
    ],
)
async def test_own_paths_are_the_gateways_and_every_other_path_is_redmines(
    wire: Wire, raw_upstream: RawUpstream, target: bytes, owner: str
) -> None:
    await wire.send(b"GET " + target + b" HTTP/1.1\r\nHost: gw\r\n\r\n")
    head = await wire.head()
    if owner == "redmine":
        assert raw_upstream.received[0].startswith(b"GET " + target + b" HTTP/1.1\r\n")
    else:
        assert raw_upstream.received == []
        assert b"application/json" in head


async def test_a_client_that_leaves_mid_download_frees_its_upstream_connection(
    gateway: GatewayClient, raw_upstream: RawUpstream
) -> None:
    raw_upstream.answers.append(
        RawAnswer(b"HTTP/1.1 200 OK\r\nContent-Length: 9000000\r\n\r\n" + b"x" * 9_000_000)
    )
    reader, writer = await asyncio.open_connection(gateway.server.host, gateway.server.port)
    writer.write(b"GET /big HTTP/1.1\r\nHost: gw\r\n\r\n")
    await reader.readuntil(b"\r\n\r\n")
    writer.transport.abort()
    for _ in range(3):  # the pool has a healthy connection to give each of these
        response = await gateway.get("/after")
        assert await response.read() == b"ok"
    assert raw_upstream.connections == 2, "the cut exchange's connection was closed, not reused"


async def test_a_connection_header_cannot_strip_the_body_length_and_smuggle_a_request(
    wire: Wire, raw_upstream: RawUpstream
) -> None:
    hidden = b"GET /secret HTTP/1.1\r\n\r\n"
    await wire.send(
        b"POST /y HTTP/1.1\r\nHost: gw\r\nConnection: Content-Length\r\n"
        b"Content-Length: %d\r\n\r\n%b" % (len(hidden), hidden)
    )
    assert (await wire.head()).startswith(b"HTTP/1.1 200 OK\r\n")
    [forwarded] = raw_upstream.received
    assert b"\r\nContent-Length: %d\r\n" % len(hidden) in forwarded
    assert forwarded.endswith(b"\r\n\r\n" + hidden), "the body went as the POST's body"


async def test_trailers_never_join_the_forwarded_head(
    wire: Wire, raw_upstream: RawUpstream
) -> None:
    await wire.send(
        b"POST /y HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"2\r\nab\r\n0\r\nHost: evil\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n"
    )
    assert (await wire.head()).startswith(b"HTTP/1.1 200 OK\r\n")
    head = raw_upstream.received[0].split(b"\r\n\r\n")[0]
    assert b"evil" not in head
    assert b"6.6.6.6" not in head
    assert head.count(b"\r\nHost: ") == 1


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


async def test_a_close_delimited_answer_cut_by_a_reset_is_not_passed_on_as_complete(
    wire: Wire, raw_upstream: RawUpstream
) -> None:
    raw_upstream.answers.append(RawAnswer(b"HTTP/1.0 200 OK\r\n\r\npartial", reset_after=True))
    await wire.send(b"GET /a HTTP/1.1\r\nHost: gw\r\n\r\n")
    await wire.head()
    with pytest.raises((asyncio.IncompleteReadError, ConnectionError)):
        await wire.chunked_body()


async def test_an_unread_refused_body_does_not_stall_the_connection(
    wire: Wire, raw_upstream: RawUpstream
) -> None:
    raw_upstream.answers.append(
        RawAnswer(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", delay_s=0.3)
    )
    # One byte over what the front buffers before it stops reading: the body is complete
    # exactly when reading stops, and nobody reads it, since the request is refused.
    body = b"x" * (RequestBody.HIGH_WATER_BYTES + 1)
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


async def test_a_protocol_switch_from_redmine_is_a_502(
    wire: Wire, raw_upstream: RawUpstream
) -> None:
    raw_upstream.answers.append(
        RawAnswer(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\n")
    )
    await wire.send(b"GET /a HTTP/1.1\r\nHost: gw\r\n\r\n")
    assert (await wire.head()).startswith(b"HTTP/1.1 502 ")


async def test_a_protocol_switch_request_is_answered_plainly_then_closed(
    wire: Wire, raw_upstream: RawUpstream
) -> None:
    await wire.send(
        b"GET /a HTTP/1.1\r\nHost: gw\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
    )
    head = await wire.head()
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"Connection: close" in head
    assert await wire.rest() == b"ok"
    assert b"websocket" not in raw_upstream.received[0]


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (
            b"POST /x HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
            400,
        ),
        (b"GET /x HTTP/2.0\r\nHost: gw\r\n\r\n", 505),
        (
            b"POST /x HTTP/1.1\r\nHost: gw\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n"
            b"Content-Length: 5\r\n\r\nhello",
            400,
        ),
    ],
    ids=["gzip-transfer-coding", "http-2.0", "upgrade-with-body"],
)
async def test_heads_the_gateway_cannot_forward_faithfully_are_refused(
    wire: Wire, raw_upstream: RawUpstream, request_bytes: bytes, status: int
) -> None:
    await wire.send(request_bytes)
    assert (await wire.head()).startswith(b"HTTP/1.1 %d " % status)
    assert raw_upstream.received == []


@pytest.fixture
async def impatient(
    served_gateway: ServedGateway, raw_upstream: RawUpstream
) -> AsyncIterator[Wire]:
    """A connection to a gateway that waits only 0.3 s on an idle client."""
    settings = Settings(redmine_url=raw_upstream.url, upstream_timeout_s=2.0)
    gateway = await served_gateway(settings, client_idle_timeout_s=0.3)
    reader, writer = await asyncio.open_connection(gateway.server.host, gateway.server.port)
    yield Wire(reader, writer)
    writer.close()


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


async def test_an_answer_in_a_transfer_coding_other_than_chunked_is_a_502(
    wire: Wire, raw_upstream: RawUpstream
) -> None:
    raw_upstream.answers.append(
        RawAnswer(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nxx\r\n0\r\n\r\n"
        )
    )
    await wire.send(b"GET /a HTTP/1.1\r\nHost: gw\r\n\r\n")
    assert (await wire.head()).startswith(b"HTTP/1.1 502 ")


class FakeTransport(asyncio.Transport):
    """Enough of a transport to feed a ClientConnection bytes exactly as one read would."""

    def __init__(self) -> None:
        super().__init__()
        self.written = b""
        self.buffered = 0  # bytes the client has not read yet
        self.closed = self.aborted = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += bytes(data)

    def get_extra_info(self, name: str, default: object = None) -> object:
        return ("127.0.0.1", 50000) if name == "peername" else default

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def get_write_buffer_size(self) -> int:
        return self.buffered

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True


async def test_a_client_that_never_reads_is_cut_off_after_the_close() -> None:
    async def respond(request: IncomingRequest, client: ClientConnection) -> bool:
        return True

    transport = FakeTransport()
    connection = ClientConnection(respond, Proxy.refuse, OpenConnections(), idle_timeout_s=0.05)
    connection.connection_made(transport)
    transport.buffered = 300_000  # an answer still waiting for the client to read it
    connection.close_when_idle()
    assert transport.closed and not transport.aborted, "a close first waits for the buffer"
    await asyncio.sleep(0.2)
    assert transport.aborted, "then the connection is cut"


async def test_a_large_body_in_one_read_is_not_taken_for_a_large_head() -> None:
    answered: list[tuple[str, bytes]] = []

    async def respond(request: IncomingRequest, client: ClientConnection) -> bool:
        body = await request.body.read_all() if request.body else b""
        answered.append((request.method, body))
        return True

    def refuse(error: GatewayError, client: ClientConnection) -> None:
        answered.append(("refused", str(error).encode()))

    connection = ClientConnection(respond, refuse, OpenConnections())
    connection.connection_made(FakeTransport())
    body = b"b" * 70_000
    connection.data_received(  # one read: a whole POST, then a whole GET, over 64 KiB in all
        b"POST /big HTTP/1.1\r\nHost: gw\r\nContent-Length: %d\r\n\r\n%b" % (len(body), body)
        + b"GET /next HTTP/1.1\r\nHost: gw\r\n\r\n"
    )
    for _ in range(20):
        await asyncio.sleep(0.01)
    assert answered == [("POST", body), ("GET", b"")]


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


async def test_a_status_line_without_a_reason_keeps_no_stale_one(
    wire: Wire, raw_upstream: RawUpstream
) -> None:
    raw_upstream.answers.append(
        RawAnswer(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201\r\nContent-Length: 0\r\n\r\n")
    )
    await wire.send(b"POST /x HTTP/1.1\r\nHost: gw\r\nContent-Length: 1\r\n\r\nz")
    assert await wire.head() == b"HTTP/1.1 201 \r\nContent-Length: 0\r\n\r\n"


async def test_a_client_gone_before_its_answer_is_logged_as_499(
    gateway: GatewayClient, raw_upstream: RawUpstream, caplog: pytest.LogCaptureFixture
) -> None:
    _, writer = await asyncio.open_connection(gateway.server.host, gateway.server.port)
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        writer.write(b"PUT /leaving HTTP/1.1\r\nHost: gw\r\nContent-Length: 10\r\n\r\nhalf")
        await writer.drain()
        await asyncio.sleep(0.1)
        writer.transport.abort()
        lines: list[str] = []
        for _ in range(50):
            await asyncio.sleep(0.05)
            lines = [r.getMessage() for r in caplog.records if r.name == ACCESS_LOGGER]
            if lines:
                break
    assert len(lines) == 1
    assert "method=PUT target=/leaving status=499 bytes=0 " in lines[0]
