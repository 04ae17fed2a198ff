"""The upstream pool: bounded, and fair to waiters even when one of them gives up."""

import asyncio
from collections.abc import AsyncIterator

import pytest

from gateway.limits import RelayLimits
from gateway.relay.answer import UpstreamClosed
from gateway.relay.connection import UpstreamConnection
from gateway.relay.pool import ConnectionPool, Origin
from tests.fakes.raw_upstream import RawUpstream
from tests.loop_clock import settle


@pytest.fixture
async def pool(raw_upstream: RawUpstream) -> AsyncIterator[ConnectionPool]:
    port = int(raw_upstream.url.rsplit(":", 1)[1].strip("/"))
    pool = ConnectionPool(Origin("127.0.0.1", port, None), 1, 2.0, RelayLimits())
    yield pool
    await pool.close()


async def exchange(connection: UpstreamConnection) -> bytes:
    connection.begin(b"GET / HTTP/1.1\r\nHost: upstream\r\n\r\n", expects_body=True)
    await connection.head()
    body = b""
    while chunk := await connection.read():
        body += chunk
    return body


async def test_a_waiter_cancelled_after_its_wake_up_passes_the_turn_on(
    pool: ConnectionPool,
) -> None:
    held = await pool.acquire()
    await exchange(held)  # so that it goes back to the pool idle, not closed
    first = asyncio.create_task(pool.acquire())
    second = asyncio.create_task(pool.acquire())
    await settle(lambda: pool.waiting_count == 2)  # the one connection allowed is taken
    assert not first.done() and not second.done()
    pool.release(held)
    first.cancel()  # its deadline, say, fires before it runs
    connection = await asyncio.wait_for(second, 2.0)
    assert connection is held
    pool.release(connection)
    with pytest.raises(asyncio.CancelledError):
        await first


async def test_no_more_connections_than_the_limit(pool: ConnectionPool) -> None:
    held = await pool.acquire()
    waiting = asyncio.create_task(pool.acquire())
    await settle(lambda: pool.waiting_count == 1)
    assert not waiting.done()
    pool.release(held)
    connection = await asyncio.wait_for(waiting, 2.0)
    pool.release(connection)


async def test_a_connection_idle_too_long_is_not_reused(raw_upstream: RawUpstream) -> None:
    port = int(raw_upstream.url.rsplit(":", 1)[1].strip("/"))
    pool = ConnectionPool(Origin("127.0.0.1", port, None), 1, 2.0, RelayLimits(idle_expiry_s=0.05))
    try:
        connection = await pool.acquire()
        await exchange(connection)
        pool.release(connection)
        connection.idle_since -= 1.0  # idle for longer than idle_expiry_s, without waiting
        fresh = await pool.acquire()
        assert fresh is not connection
        pool.release(fresh)
    finally:
        await pool.close()


async def test_a_closed_pool_hands_out_nothing(pool: ConnectionPool) -> None:
    await pool.close()
    with pytest.raises(UpstreamClosed) as raised:
        await pool.acquire()
    assert raised.value.by_gateway, "a request refused at shutdown is never resent"


async def test_a_waiter_at_close_gets_an_error_and_nothing_new_is_opened(
    pool: ConnectionPool, raw_upstream: RawUpstream
) -> None:
    held = await pool.acquire()
    waiting = asyncio.create_task(pool.acquire())
    await settle(lambda: pool.waiting_count == 1)  # the one connection allowed is taken
    assert not waiting.done()
    await pool.close()
    pool.release(held)  # the request in hand ends after the pool closed
    with pytest.raises(UpstreamClosed) as raised:
        await asyncio.wait_for(waiting, 2.0)
    assert raised.value.by_gateway
    assert raw_upstream.connections == 1, "no connection opened after the close"


async def test_a_connection_made_while_the_pool_closes_is_closed_not_handed_out(
    pool: ConnectionPool, raw_upstream: RawUpstream
) -> None:
    connecting = asyncio.create_task(pool.acquire())
    await settle(lambda: pool.opening_count == 1)
    await pool.close()
    with pytest.raises(UpstreamClosed):
        await asyncio.wait_for(connecting, 2.0)
    await raw_upstream.wait_until(lambda: raw_upstream.open_connections == 0)
