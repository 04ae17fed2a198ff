"""Answers from Redmine the relay cannot pass on: a 502 that says so, and never a poisoned pool."""

import asyncio
import json

import pytest

from gateway.limits import RelayLimits
from tests.conftest import GatewayClient
from tests.fakes.raw_upstream import RawAnswer, RawUpstream
from tests.front_wire import Wire, header_lines

RELAY_LIMITS = RelayLimits()
REAL = RawAnswer(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nreal")
# A whole answer of its own, as a confused (or hostile) Redmine would send after a HEAD's head.
FORGED = b"HTTP/1.1 200 OK\r\nContent-Length: 35\r\n\r\nsomeone else's answer, to the next"
HEAD_ANSWER_HEAD = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(FORGED)


async def connect(gateway: GatewayClient) -> Wire:
    reader, writer = await asyncio.open_connection(gateway.server.host, gateway.server.port)
    return Wire(reader, writer)


async def error_code(wire: Wire) -> str:
    """The error code of the gateway's own 502 that comes next on the wire."""
    head = await wire.head()
    assert head.startswith(b"HTTP/1.1 502 "), head
    length = next(
        int(line[15:]) for line in header_lines(head) if line.startswith(b"Content-Length:")
    )
    document = json.loads(await wire.exactly(length))
    assert document["message"] == "Redmine's answer was invalid."
    return str(document["error_code"])


async def assert_real_answer_next(wire: Wire) -> None:
    """The upstream's real next answer reaches the client, not bytes left from an earlier one."""
    await wire.send(b"GET /next HTTP/1.1\r\nHost: gw\r\n\r\n")
    assert await wire.head() == b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n"
    assert await wire.exactly(4) == b"real"


# ------------------------------------------------------------ HEAD (issue #9, 1)


async def test_bytes_after_a_head_answer_never_reach_the_client(
    wire: Wire, raw_upstream: RawUpstream
) -> None:
    raw_upstream.answers.extend([RawAnswer(HEAD_ANSWER_HEAD + FORGED), REAL])
    await wire.send(b"HEAD /a HTTP/1.1\r\nHost: gw\r\n\r\n")
    assert await wire.head() == HEAD_ANSWER_HEAD
    await assert_real_answer_next(wire)
    assert raw_upstream.connections == 2, "the connection that sent the bytes was not reused"


async def test_a_forged_answer_after_a_head_never_reaches_another_client_via_the_pool(
    scripted_gateway: GatewayClient, raw_upstream: RawUpstream
) -> None:
    # The forged bytes come late: the HEAD's connection would be idle in the pool by then.
    raw_upstream.answers.extend([RawAnswer(HEAD_ANSWER_HEAD + FORGED, delay_s=0.3), REAL])
    first, second = await connect(scripted_gateway), await connect(scripted_gateway)
    await first.send(b"HEAD /a HTTP/1.1\r\nHost: gw\r\n\r\n")
    assert await first.head() == HEAD_ANSWER_HEAD
    await assert_real_answer_next(second)
    first.writer.close()
    second.writer.close()


async def test_a_head_answer_that_announces_no_body_keeps_its_connection(
    wire: Wire, raw_upstream: RawUpstream
) -> None:
    raw_upstream.answers.extend([RawAnswer(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), REAL])
    await wire.send(b"HEAD /a HTTP/1.1\r\nHost: gw\r\n\r\n")
    assert await wire.head() == b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
    await assert_real_answer_next(wire)
    assert raw_upstream.connections == 1


@pytest.mark.parametrize("status", [204, 304])
async def test_bytes_after_a_bodyless_status_never_reach_the_client(
    wire: Wire, raw_upstream: RawUpstream, status: int
) -> None:
    head = b"HTTP/1.1 %d X\r\nContent-Length: %d\r\n\r\n" % (status, len(FORGED))
    raw_upstream.answers.extend([RawAnswer(head + FORGED), REAL])
    await wire.send(b"GET /a HTTP/1.1\r\nHost: gw\r\n\r\n")
    assert await wire.head() == head
    await assert_real_answer_next(wire)
    assert raw_upstream.connections == 2


# ------------------------------------------------------------ bounded heads (issue #9, 2)


async def test_a_huge_header_line_is_a_502_and_the_gateway_stops_reading_it(
    wire: Wire, raw_upstream: RawUpstream
) -> None:
    megabyte = b"a" * 1024 * 1024
    raw_upstream.answers.extend(
        [
            RawAnswer(
                b"HTTP/1.1 200 OK\r\nX-Big: " + megabyte,
                delay_s=0.02,
                trickle=(megabyte,) * 9 + (b"\r\nContent-Length: 0\r\n\r\n",),
            ),
            REAL,
        ]
    )
    await wire.send(b"GET /a HTTP/1.1\r\nHost: gw\r\n\r\n")
    assert await error_code(wire) == "UPSTREAM_ANSWER_INVALID"
    # The gateway hung up while Redmine was still writing: it did not take the 10 MB in.
    await raw_upstream.wait_until(lambda: raw_upstream.cut_short == 1)
    await assert_real_answer_next(wire)
    assert raw_upstream.connections == 2


@pytest.mark.parametrize("fields", [RELAY_LIMITS.max_header_fields + 1, 10_000])
async def test_too_many_header_fields_are_a_502(
    wire: Wire, raw_upstream: RawUpstream, fields: int
) -> None:
    many = b"A:b\r\n" * fields  # 50 kB at most: the field count is what is over
    assert len(many) < RELAY_LIMITS.max_head_bytes
    raw_upstream.answers.extend(
        [RawAnswer(b"HTTP/1.1 200 OK\r\n" + many + b"Content-Length: 0\r\n\r\n"), REAL]
    )
    await wire.send(b"GET /a HTTP/1.1\r\nHost: gw\r\n\r\n")
    assert await error_code(wire) == "UPSTREAM_ANSWER_INVALID"
    await assert_real_answer_next(wire)
    assert raw_upstream.connections == 2


async def test_as_many_header_fields_as_allowed_pass(wire: Wire, raw_upstream: RawUpstream) -> None:
    many = b"A:b\r\n" * (RELAY_LIMITS.max_header_fields - 1)
    raw_upstream.answers.append(
        RawAnswer(b"HTTP/1.1 200 OK\r\n" + many + b"Content-Length: 2\r\n\r\nok")
    )
    await wire.send(b"GET /a HTTP/1.1\r\nHost: gw\r\n\r\n")
    head = await wire.head()
    assert len(header_lines(head)) == RELAY_LIMITS.max_header_fields
    assert await wire.exactly(2) == b"ok"


# ------------------------------------------------------------ malformed answers (issue #9, 4)


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n",
        b"HELLO\r\n\r\n",
        b"HTTP/1.1 000 Zero\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 999 Nine\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 200 O\x01K\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nok",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX-A : b\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX-A: b\r\n folded\r\nContent-Length: 0\r\n\r\n",
    ],
    ids=[
        "bad-status",
        "no-status-line",
        "status-0",
        "status-999",
        "http-2",
        "control-in-reason",
        "conflicting-lengths",
        "length-list",
        "length-and-chunked",
        "chunked-and-length",
        "nul-in-value",
        "space-before-colon",
        "obs-fold",
    ],
)
async def test_a_malformed_answer_is_a_502_invalid_answer_and_never_pooled(
    wire: Wire, raw_upstream: RawUpstream, answer: bytes
) -> None:
    raw_upstream.answers.extend([RawAnswer(answer), REAL])
    await wire.send(b"GET /a HTTP/1.1\r\nHost: gw\r\n\r\n")
    assert await error_code(wire) == "UPSTREAM_ANSWER_INVALID"
    await assert_real_answer_next(wire)
    assert raw_upstream.connections == 2


async def test_bytes_after_a_framed_answer_end_its_connection(
    wire: Wire, raw_upstream: RawUpstream
) -> None:
    raw_upstream.answers.extend(
        [RawAnswer(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" + FORGED), REAL]
    )
    await wire.send(b"GET /a HTTP/1.1\r\nHost: gw\r\n\r\n")
    assert await wire.head() == b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n"
    assert await wire.exactly(2) == b"ok"
    await assert_real_answer_next(wire)
    assert raw_upstream.connections == 2


async def test_a_close_delimited_answer_is_body_to_its_end_and_its_connection_is_not_pooled(
    wire: Wire, raw_upstream: RawUpstream
) -> None:
    raw_upstream.answers.extend(
        [RawAnswer(b"HTTP/1.1 200 OK\r\n\r\nfirst" + FORGED, close_after=True), REAL]
    )
    await wire.send(b"GET /a HTTP/1.1\r\nHost: gw\r\n\r\n")
    await wire.head()
    assert await wire.chunked_body() == b"first" + FORGED
    await assert_real_answer_next(wire)
    assert raw_upstream.connections == 2


async def test_a_malformed_body_after_the_head_is_out_cuts_the_connection(
    wire: Wire, raw_upstream: RawUpstream
) -> None:
    raw_upstream.answers.append(
        RawAnswer(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\nzz\r\n")
    )
    await wire.send(b"GET /a HTTP/1.1\r\nHost: gw\r\n\r\n")
    assert (await wire.head()).startswith(b"HTTP/1.1 200 OK\r\n")
    with pytest.raises((asyncio.IncompleteReadError, ConnectionError)):
        await wire.chunked_body()


async def test_the_gateways_own_error_to_head_has_no_body_and_the_connection_stays_in_step(
    wire: Wire, raw_upstream: RawUpstream
) -> None:
    raw_upstream.answers.append(RawAnswer(b"not http at all\r\n\r\n"))
    await wire.send(b"HEAD /a HTTP/1.1\r\nHost: gw\r\n\r\n")
    head = await wire.head()
    assert head.startswith(b"HTTP/1.1 502 Bad Gateway\r\n")
    assert b"Content-Length: " in head  # as the same request with GET would be told
    await wire.send(b"GET /b HTTP/1.1\r\nHost: gw\r\n\r\n")
    assert (await wire.head()).startswith(b"HTTP/1.1 200 OK\r\n")
    assert await wire.exactly(2) == b"ok"
