"""100 Continue goes to HTTP/1.1 clients only (RFC 9110 10.1.1)."""

import asyncio
from typing import Any, cast

import pytest

from gateway.front.connection import ClientConnection
from gateway.front.request import IncomingRequest, RequestBody
from gateway.proxy import CONTINUE, send_body
from gateway.relay.connection import UpstreamConnection


class Recorder:
    def __init__(self) -> None:
        self.written: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.written.append(data)

    async def send(self, data: bytes) -> None:
        self.written.append(data)

    def request_sent(self) -> None:
        self.written.append(b"<sent>")


@pytest.mark.parametrize(("version", "is_sent"), [("1.1", True), ("1.0", False)])
async def test_100_continue_is_sent_only_to_http_1_1_clients(version: str, is_sent: bool) -> None:
    body = RequestBody(lambda _: None)
    body.feed(b"body")
    asyncio.get_running_loop().call_soon(body.finish)  # the body is still on its way
    request = IncomingRequest(
        method="PUT",
        target=b"/x",
        raw_headers=[(b"Expect", b"100-continue")],
        http_version=version,
        keeps_alive=False,
        body=body,
        is_chunked=False,
        expects_continue=True,
    )
    client, upstream = Recorder(), Recorder()
    await send_body(
        request, cast(ClientConnection, client), cast(UpstreamConnection, cast(Any, upstream))
    )
    assert (CONTINUE in client.written) is is_sent
    assert upstream.written == [b"body", b"<sent>"]
