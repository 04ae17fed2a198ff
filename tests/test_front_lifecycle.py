"""How a client connection's task is held, and how a connection with unread input closes."""

import asyncio
import gc
import weakref

from gateway.front.connection import ClientConnection
from gateway.front.open_connections import OpenConnections
from gateway.front.request import IncomingRequest
from gateway.limits import FrontLimits
from gateway.proxy.relaying import Proxy
from tests.front_wire import READ_TIMEOUT_S, FakeTransport


async def test_a_connection_task_waiting_on_nothing_else_is_kept_until_done() -> None:
    events: list[str] = []
    started = asyncio.Event()
    waiters: list[weakref.ref[asyncio.Future[None]]] = []

    async def respond(request: IncomingRequest, client: ClientConnection) -> bool:
        # A wait on a future only this coroutine holds: nothing outside references the task.
        waiter = asyncio.get_running_loop().create_future()
        waiters.append(weakref.ref(waiter))
        started.set()
        try:
            await waiter
        finally:
            events.append("respond ended")
        return False

    connections = OpenConnections()
    connection = ClientConnection(respond, Proxy.refuse, connections, FrontLimits())
    connection.connection_made(FakeTransport())
    connection.data_received(b"GET /x HTTP/1.1\r\nHost: gw\r\n\r\n")
    async with asyncio.timeout(READ_TIMEOUT_S):
        await started.wait()
    del connection
    gc.collect()
    assert events == [], "the task was collected while it waited"
    assert connections.task_count == 1
    waiter = waiters[0]()
    assert waiter is not None
    waiter.set_result(None)
    for _ in range(10):
        await asyncio.sleep(0)
    assert events == ["respond ended"]
    assert connections.task_count == 0, "a finished task is let go"


async def test_a_refused_head_with_its_body_unread_closes_lingeringly() -> None:
    async def respond(request: IncomingRequest, client: ClientConnection) -> bool:
        raise AssertionError("a refused request is never answered by the proxy")

    transport = FakeTransport()
    connection = ClientConnection(respond, Proxy.refuse, OpenConnections(), FrontLimits())
    connection.connection_made(transport)
    connection.data_received(b"POST /x HTTP/1.1\r\nContent-Length: 100000\r\n\r\nzz")
    for _ in range(10):
        await asyncio.sleep(0)
    assert transport.written.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert transport.write_eof_called and not transport.closed, "shut for writing, still read"
    connection.data_received(b"z" * 65536)  # dropped, not parsed
    assert not transport.closed
    connection.eof_received()
    assert transport.closed, "the client's end of input ends the lingering"


async def test_an_idle_connection_closes_without_lingering() -> None:
    async def respond(request: IncomingRequest, client: ClientConnection) -> bool:
        return True

    transport = FakeTransport()
    connection = ClientConnection(respond, Proxy.refuse, OpenConnections(), FrontLimits())
    connection.connection_made(transport)
    connection.data_received(b"GET /x HTTP/1.1\r\nHost: gw\r\n\r\n")
    for _ in range(10):
        await asyncio.sleep(0)
    connection.close_when_idle()
    assert transport.closed and not transport.write_eof_called
