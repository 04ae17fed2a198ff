"""Hosts and targets the front refuses with 400 before anything reaches Redmine (RFC 9112)."""

import json

import pytest

from tests.fakes.raw_upstream import RawUpstream
from tests.front_wire import Wire


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET /x HTTP/1.1\r\n\r\n",
        b"GET /x HTTP/1.1\r\nHost: gw.test\r\nHost: evil.test\r\n\r\n",
        b"GET /x HTTP/1.1\r\nHost: gw.test/evil\r\n\r\n",
        b"GET /x HTTP/1.1\r\nHost: gw test\r\n\r\n",
        b"GET /x HTTP/1.1\r\nHost: gw.test, evil.test\r\n\r\n",
        b"GET /x HTTP/1.1\r\nHost: gw.test:80x\r\n\r\n",
        b"GET /x HTTP/1.1\r\nHost: \r\n\r\n",
        b"GET /x HTTP/1.1\r\nHost: user@gw.test\r\n\r\n",
        b"GET /#/../../etc/passwd HTTP/1.1\r\nHost: gw.test\r\n\r\n",
        b"GET /x#/%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: gw.test\r\n\r\n",
        b"GET /time-trackings#x HTTP/1.1\r\nHost: gw.test\r\n\r\n",
    ],
    ids=[
        "no-host-1.1",
        "two-hosts",
        "host-with-path",
        "host-with-space",
        "host-list",
        "bad-port",
        "empty-host",
        "userinfo",
        "fragment-dot-segments",
        "fragment-encoded-dots",
        "fragment-own-path",
    ],
)
async def test_a_bad_host_or_a_fragment_is_400_and_never_forwarded(
    wire: Wire, raw_upstream: RawUpstream, request_bytes: bytes
) -> None:
    await wire.send(request_bytes)
    head = await wire.head()
    assert head.startswith(b"HTTP/1.1 400 "), head
    assert b"Connection: close" in head
    assert json.loads(await wire.rest())["error_code"] == "BAD_REQUEST"
    assert raw_upstream.received == []


@pytest.mark.parametrize(
    "host",
    [b"gw.test", b"gw.test:8080", b"127.0.0.1:80", b"[::1]:8080", b"xn--bcher-kva.example"],
)
async def test_a_valid_host_is_forwarded_as_sent(
    wire: Wire, raw_upstream: RawUpstream, host: bytes
) -> None:
    await wire.send(b"GET /x HTTP/1.1\r\nHost: " + host + b"\r\n\r\n")
    assert (await wire.head()).startswith(b"HTTP/1.1 200 ")
    [received] = raw_upstream.received
    assert b"\r\nX-Forwarded-Host: " + host + b"\r\n" in received


async def test_an_http_1_0_request_without_host_is_still_served(
    wire: Wire, raw_upstream: RawUpstream
) -> None:
    await wire.send(b"GET /x HTTP/1.0\r\n\r\n")
    assert (await wire.head()).startswith(b"HTTP/1.0 200 ")
    assert len(raw_upstream.received) == 1
