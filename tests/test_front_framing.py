"""How the front frames and relays Redmine's answers, shown byte for byte."""

import asyncio

import pytest

from tests.fakes.raw_upstream import RawAnswer, RawUpstream
from tests.front_wire import Wire, header_lines


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


async def test_an_http_1_0_client_expecting_100_continue_gets_no_interim_answer(
    wire: Wire, raw_upstream: RawUpstream
) -> None:
    await wire.send(
        b"PUT /x HTTP/1.0\r\nHost: gw\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"
    )
    # The front writes a 100 Continue, if it does, before the head leaves for Redmine.
    await raw_upstream.wait_for_heads(1)
    await wire.send(b"body")
    assert (await wire.head()).startswith(b"HTTP/1.0 200 OK\r\n")
    assert await wire.rest() == b"ok"
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


async def test_a_close_delimited_answer_cut_by_a_reset_is_not_passed_on_as_complete(
    wire: Wire, raw_upstream: RawUpstream
) -> None:
    raw_upstream.answers.append(RawAnswer(b"HTTP/1.0 200 OK\r\n\r\npartial", reset_after=True))
    await wire.send(b"GET /a HTTP/1.1\r\nHost: gw\r\n\r\n")
    await wire.head()
    with pytest.raises((asyncio.IncompleteReadError, ConnectionError)):
        await wire.chunked_body()


async def test_a_protocol_switch_from_redmine_is_a_502(
    wire: Wire, raw_upstream: RawUpstream
) -> None:
    raw_upstream.answers.append(
        RawAnswer(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\n")
    )
    await wire.send(b"GET /a HTTP/1.1\r\nHost: gw\r\n\r\n")
    assert (await wire.head()).startswith(b"HTTP/1.1 502 ")


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


async def test_a_status_line_without_a_reason_keeps_no_stale_one(
    wire: Wire, raw_upstream: RawUpstream
) -> None:
    raw_upstream.answers.append(
        RawAnswer(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201\r\nContent-Length: 0\r\n\r\n")
    )
    await wire.send(b"POST /x HTTP/1.1\r\nHost: gw\r\nContent-Length: 1\r\n\r\nz")
    assert await wire.head() == b"HTTP/1.1 201 \r\nContent-Length: 0\r\n\r\n"
