"""Which requests the front refuses, and which it keeps for itself or routes to Redmine."""

import json

import pytest

from tests.fakes.raw_upstream import RawUpstream
from tests.front_wire import Wire


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


@pytest.mark.parametrize(
    "host_lines",
    [
        b"",
        b"Host: gw.test\r\nHost: evil.test\r\n",
        b"Host: gw.test\r\nhost: gw.test\r\n",
        b"Host: gw.test/evil\r\n",
        b"Host: gw test\r\n",
        b"Host: gw.test, evil.test\r\n",
        b"Host: gw.test,evil.test\r\n",
        b"Host: user@gw.test\r\n",
        b"Host: gw.test:80x\r\n",
        b"Host: gw.test:80:81\r\n",
        b"Host: [::1\r\n",
        b"Host: [gw.test]\r\n",
        b"Host: \r\n",
        b"Host: gw\xfftest\r\n",
    ],
    ids=[
        "missing",
        "two",
        "two-same",
        "slash",
        "space",
        "list",
        "comma",
        "userinfo",
        "port-letters",
        "two-ports",
        "open-bracket",
        "bracketed-name",
        "empty",
        "non-ascii",
    ],
)
async def test_a_missing_repeated_or_invalid_host_is_refused_and_the_connection_closes(
    wire: Wire, raw_upstream: RawUpstream, host_lines: bytes
) -> None:
    await wire.send(b"GET /x HTTP/1.1\r\n" + host_lines + b"\r\n")
    head = await wire.head()
    assert head.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"Connection: close" in head
    assert json.loads(await wire.rest())["error_code"] == "BAD_REQUEST"
    assert raw_upstream.received == []


@pytest.mark.parametrize(
    ("version", "host_lines", "forwarded_host"),
    [
        (b"1.0", b"", None),
        (b"1.0", b"Host: gw.test\r\n", b"gw.test"),
        (b"1.1", b"Host: gw.test:8080\r\n", b"gw.test:8080"),
        (b"1.1", b"Host: 192.0.2.7\r\n", b"192.0.2.7"),
        (b"1.1", b"Host: [2001:db8::1]:443\r\n", b"[2001:db8::1]:443"),
        (b"1.1", b"HOST:  gw.test \r\n", b"gw.test "),
    ],
    ids=["1.0-without", "1.0-with", "port", "ipv4", "ipv6", "spaces-around"],
)
async def test_a_valid_host_or_none_on_http_1_0_is_forwarded(
    wire: Wire,
    raw_upstream: RawUpstream,
    version: bytes,
    host_lines: bytes,
    forwarded_host: bytes | None,
) -> None:
    await wire.send(b"GET /x HTTP/" + version + b"\r\n" + host_lines + b"\r\n")
    assert (await wire.head()).startswith(b"HTTP/" + version + b" 200 OK\r\n")
    [forwarded] = raw_upstream.received
    if forwarded_host is None:
        assert b"X-Forwarded-Host" not in forwarded
    else:
        assert b"\r\nX-Forwarded-Host: " + forwarded_host + b"\r\n" in forwarded


@pytest.mark.parametrize(
    "target",
    [
        b"/#/../../etc/passwd",
        b"/x#/%2e%2e/%2e%2e/etc/passwd",
        b"/issues.json?a=1#frag",
        b"/issues#",
    ],
)
async def test_a_fragment_in_the_target_is_refused_and_never_forwarded(
    wire: Wire, raw_upstream: RawUpstream, target: bytes
) -> None:
    await wire.send(b"GET " + target + b" HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n")
    head = await wire.head()
    assert head.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert json.loads(await wire.rest())["error_code"] == "BAD_REQUEST"
    assert raw_upstream.received == []


@pytest.mark.parametrize(
    "request_line",
    [b"GET /p\r\n", b"GET /p\n", b"GET /p\r\n\r\n", b"\r\nPOST /p\r\n"],
    ids=["crlf", "lf", "blank-line", "leading-crlf"],
)
async def test_a_request_line_without_a_version_gets_400_and_the_connection_closes(
    wire: Wire, raw_upstream: RawUpstream, request_line: bytes
) -> None:
    await wire.send(request_line)
    head = await wire.head()
    assert head.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"Connection: close" in head
    assert json.loads(await wire.rest())["error_code"] == "BAD_REQUEST"
    assert raw_upstream.received == []


async def test_a_request_line_without_a_version_after_a_keep_alive_answer_gets_400(
    wire: Wire, raw_upstream: RawUpstream
) -> None:
    await wire.send(b"GET /a HTTP/1.1\r\nHost: gw\r\n\r\n")
    assert (await wire.head()).startswith(b"HTTP/1.1 200 OK\r\n")
    assert await wire.exactly(2) == b"ok"
    await wire.send(b"GET /p\r\n")
    assert (await wire.head()).startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert json.loads(await wire.rest())["error_code"] == "BAD_REQUEST"
    assert len(raw_upstream.received) == 1


@pytest.mark.parametrize(
    "body", [b"abc", b"ab\nc", b"abc\r\n"], ids=["plain", "newline-in-body", "crlf-ends-body"]
)
async def test_a_request_line_without_a_version_in_the_same_read_as_a_body_gets_400(
    wire: Wire, raw_upstream: RawUpstream, body: bytes
) -> None:
    head = b"POST /a HTTP/1.1\r\nHost: gw\r\nContent-Length: %d\r\n\r\n" % len(body)
    await wire.send(head + body + b"GET /p\r\n")
    assert (await wire.head()).startswith(b"HTTP/1.1 200 OK\r\n")
    assert await wire.exactly(2) == b"ok"
    assert (await wire.head()).startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert json.loads(await wire.rest())["error_code"] == "BAD_REQUEST"
    assert len(raw_upstream.received) == 1


async def test_a_chunked_http_1_0_request_is_refused_and_never_forwarded(
    wire: Wire, raw_upstream: RawUpstream
) -> None:
    # RFC 9112 §6.1: HTTP/1.0 has no transfer codings; such framing is faulty (nginx: 400).
    await wire.send(
        b"POST /p HTTP/1.0\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
    )
    head = await wire.head()
    assert head.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert json.loads(await wire.rest())["error_code"] == "BAD_REQUEST"
    assert raw_upstream.received == []
