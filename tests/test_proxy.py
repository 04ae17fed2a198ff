"""Pass-through rules, shown against the fake Redmine."""

import asyncio
import gzip
import re
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from multidict import CIMultiDict
from pytest_aiohttp import AiohttpClient
from yarl import URL

from gateway.settings import Settings
from tests.conftest import GatewayClient, ServedGateway
from tests.fakes.redmine import Canned, FakeRedmine
from tests.ports import free_port


def exact(client: GatewayClient, raw_target: str) -> URL:
    """A URL the client library sends byte for byte, without re-quoting."""
    return URL(str(client.make_url("")).rstrip("/") + raw_target, encoded=True)


async def raw_exchange(client: GatewayClient, request: bytes) -> tuple[int, bytes]:
    status, _, body = await http_exchange(client, request)
    return status, body


async def http_exchange(client: GatewayClient, request: bytes) -> tuple[int, bytes, bytes]:
    """Status, head exactly as the gateway wrote it, and body, for a request sent byte for byte."""
    reader, writer = await asyncio.open_connection(client.server.host, client.server.port)
    try:
        writer.write(request)
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        body = await reader.readexactly(length)
    finally:
        writer.close()
        await writer.wait_closed()
    return int(head.split(b" ", 2)[1]), head, body


@pytest.mark.parametrize(
    "raw_target",
    [
        "/issues.json?created_on=%3E%3C2012-03-01|2012-03-07",
        "/issues.json?cf_1=a%20b&status_id=*&sort=id:desc",
        "/projects/web-app/issues.json?subject=~caf%C3%A9&x=%2F%2f",
        "/a//b.json",
        "/wiki/Page/../Other",
        "/search?q=a+b&q=c",
    ],
)
async def test_method_path_and_query_reach_redmine_byte_for_byte(
    client: GatewayClient, redmine: FakeRedmine, raw_target: str
) -> None:
    async with client.session.request("PATCH", exact(client, raw_target)) as response:
        assert response.status == 200
    assert [(call.method, call.raw_path) for call in redmine.calls] == [("PATCH", raw_target)]


@pytest.mark.parametrize("raw_target", ["/../etc/passwd", "/a/../../b", "/a/%2e%2e/%2E%2e/b"])
async def test_a_path_escaping_the_base_is_refused(
    client: GatewayClient, redmine: FakeRedmine, raw_target: str
) -> None:
    async with client.session.get(exact(client, raw_target)) as response:
        assert response.status == 400
        assert (await response.json())["error_code"] == "BAD_REQUEST"
    assert redmine.calls == []


async def test_base_path_prefix_is_kept(
    served_gateway: ServedGateway, redmine: FakeRedmine
) -> None:
    settings = Settings(redmine_url=redmine.url + "redmine/")
    client = await served_gateway(settings)
    async with client.session.get(exact(client, "/issues.json?a=%3E1")) as response:
        assert response.status == 200
    assert redmine.calls[0].raw_path == "/redmine/issues.json?a=%3E1"


async def test_request_body_arrives_unchanged(client: GatewayClient, redmine: FakeRedmine) -> None:
    payload = bytes(range(256)) * 1000
    response = await client.post(
        "/uploads.json",
        data=payload,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert response.status == 200
    call = redmine.calls[0]
    assert call.body == payload
    assert call.headers["Content-Length"] == str(len(payload))
    assert call.headers["Content-Type"] == "application/octet-stream"


async def test_chunked_request_body_arrives_unchanged(
    client: GatewayClient, redmine: FakeRedmine
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for n in range(5):
            yield bytes([n]) * 70_000

    response = await client.post("/uploads.json", data=chunks())
    assert response.status == 200
    assert redmine.calls[0].body == b"".join(bytes([n]) * 70_000 for n in range(5))


async def test_end_to_end_request_headers_pass_unchanged(
    client: GatewayClient, redmine: FakeRedmine
) -> None:
    sent = {
        "Host": "redmine.example.com:8443",
        "X-Redmine-API-Key": "k1",
        "Authorization": "Basic YWxpY2U6c2VjcmV0",
        "Cookie": "_redmine_session=abc; other=1",
        "Content-Type": "application/json",
        "Accept": "application/xml",
        "If-None-Match": 'W/"etag"',
        "X-Redmine-Switch-User": "alice",
        "Content-Length": "2",
    }
    head = "".join(f"{name}: {value}\r\n" for name, value in sent.items())
    status, _ = await raw_exchange(client, f"POST /issues.json HTTP/1.1\r\n{head}\r\n{{}}".encode())
    assert status == 200
    received = dict(redmine.calls[0].headers)
    # Set by the gateway: the forwarding fields, and a request id where the client sent none.
    added = {"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-request-id"}
    assert {k: v for k, v in received.items() if k.lower() not in added} == sent
    assert re.fullmatch(r"[0-9a-f]{16}", redmine.calls[0].headers["X-Request-Id"])
    assert redmine.calls[0].body == b"{}"


async def test_header_names_keep_their_spelling_both_ways(
    client: GatewayClient, redmine: FakeRedmine
) -> None:
    redmine.queue(
        Canned(headers=CIMultiDict([("ETag", 'W/"1"'), ("X-Request-Id", "r1"), ("x-lower", "v")]))
    )
    status, raw_head, _ = await http_exchange(
        client,
        b"GET /issues.json HTTP/1.1\r\nHost: gw\r\nX-Redmine-API-Key: k\r\n"
        b"x-custom-Case: 1\r\n\r\n",
    )
    assert status == 200
    sent_names = [name for name, _ in redmine.calls[0].raw_headers]
    assert b"X-Redmine-API-Key" in sent_names
    assert b"x-custom-Case" in sent_names
    for name in (b"ETag:", b"X-Request-Id:", b"x-lower:"):
        assert b"\r\n" + name in raw_head


async def test_bearer_authorization_passes(client: GatewayClient, redmine: FakeRedmine) -> None:
    await client.get("/users/current.json", headers={"Authorization": "Bearer t0k3n"})
    assert redmine.calls[0].headers["Authorization"] == "Bearer t0k3n"


async def test_hop_by_hop_request_headers_are_dropped(
    client: GatewayClient, redmine: FakeRedmine
) -> None:
    status, _ = await raw_exchange(
        client,
        b"GET /issues.json HTTP/1.1\r\nHost: gw\r\nConnection: keep-alive, X-Private\r\n"
        b"X-Private: 1\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\nTrailer: X-T\r\n"
        b"Proxy-Authorization: Basic eA==\r\nProxy-Connection: keep-alive\r\n"
        b"Upgrade: websocket\r\nX-Kept: yes\r\n\r\n",
    )
    assert status == 200
    received = redmine.calls[0].headers
    for name in (
        "X-Private",
        "Keep-Alive",
        "TE",
        "Trailer",
        "Proxy-Authorization",
        "Proxy-Connection",
        "Upgrade",
    ):
        assert name not in received
    assert received["X-Kept"] == "yes"


async def test_forwarding_headers_are_set_and_host_kept(
    client: GatewayClient, redmine: FakeRedmine
) -> None:
    await client.get("/", headers={"Host": "gw.example:9000", "X-Forwarded-For": "203.0.113.7"})
    received = redmine.calls[0].headers
    assert received["Host"] == "gw.example:9000"
    assert received["X-Forwarded-For"] == "203.0.113.7, 127.0.0.1"
    assert received["X-Forwarded-Proto"] == "http"
    assert received["X-Forwarded-Host"] == "gw.example:9000"


async def test_response_headers_pass_and_hop_by_hop_are_dropped(
    client: GatewayClient, redmine: FakeRedmine
) -> None:
    headers = CIMultiDict(
        [
            ("Content-Type", "application/json"),
            ("ETag", 'W/"abc"'),
            ("Location", "http://gw.example/issues/1"),
            ("Set-Cookie", "_redmine_session=s1; path=/; HttpOnly"),
            ("Set-Cookie", "autologin=a1; path=/"),
            ("Connection", "X-Upstream-Private"),
            ("X-Upstream-Private", "1"),
            ("Keep-Alive", "timeout=5"),
            ("Proxy-Authenticate", "Basic"),
            ("X-Request-Id", "r1"),
        ]
    )
    redmine.queue(Canned(status=201, body=b'{"id":1}', headers=headers))
    response = await client.post("/issues.json", data=b"{}")
    assert response.status == 201
    assert await response.read() == b'{"id":1}'
    assert response.headers["ETag"] == 'W/"abc"'
    assert response.headers["Location"] == "http://gw.example/issues/1"
    assert response.headers.getall("Set-Cookie") == [
        "_redmine_session=s1; path=/; HttpOnly",
        "autologin=a1; path=/",
    ]
    assert response.headers["X-Request-Id"] == "r1"
    for name in ("X-Upstream-Private", "Keep-Alive", "Proxy-Authenticate"):
        assert name not in response.headers


@pytest.mark.parametrize("size", [2_000, 2_000_000])
async def test_compressed_responses_pass_compressed(
    aiohttp_client: AiohttpClient, client: GatewayClient, redmine: FakeRedmine, size: int
) -> None:
    compressed = gzip.compress(b"x" * size)
    redmine.queue(
        Canned(
            body=compressed,
            headers=CIMultiDict({"Content-Type": "text/plain", "Content-Encoding": "gzip"}),
        )
    )
    async with (
        aiohttp.ClientSession(auto_decompress=False) as session,
        session.get(client.make_url("/file.txt"), headers={"Accept-Encoding": "gzip"}) as response,
    ):
        assert response.headers["Content-Encoding"] == "gzip"
        assert await response.read() == compressed
    assert redmine.calls[0].headers["Accept-Encoding"] == "gzip"


async def test_redirects_reach_the_client(client: GatewayClient, redmine: FakeRedmine) -> None:
    redmine.queue(
        Canned(status=302, body=b"", headers=CIMultiDict({"Location": "http://gw/login?back=1"}))
    )
    response = await client.get("/my/page", allow_redirects=False)
    assert response.status == 302
    assert response.headers["Location"] == "http://gw/login?back=1"
    assert len(redmine.calls) == 1


async def test_no_cookie_is_kept_between_clients(
    client: GatewayClient, redmine: FakeRedmine
) -> None:
    redmine.queue(Canned(headers=CIMultiDict({"Set-Cookie": "_redmine_session=alice; path=/"})))
    await client.get("/login")
    async with (
        aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as other,
        other.get(client.make_url("/my/page")) as response,
    ):
        assert response.status == 200
    assert "Cookie" not in redmine.calls[1].headers


@pytest.mark.parametrize("status", [201, 401, 403, 404, 409, 412, 422, 500])
@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b'{"errors":["Hours is invalid"]}'),
        ("application/xml", b'<errors type="array"><error>Hours is invalid</error></errors>'),
        ("text/plain", b""),
    ],
)
async def test_status_and_body_pass_unchanged(
    client: GatewayClient, redmine: FakeRedmine, status: int, content_type: str, body: bytes
) -> None:
    redmine.queue(
        Canned(status=status, body=body, headers=CIMultiDict({"Content-Type": content_type}))
    )
    response = await client.post("/time_entries.xml", data=b"<time_entry/>")
    assert response.status == status
    assert response.headers["Content-Type"] == content_type
    assert await response.read() == body


@pytest.mark.parametrize("status", [204, 304])
async def test_bodyless_statuses_pass(
    client: GatewayClient, redmine: FakeRedmine, status: int
) -> None:
    redmine.queue(Canned(status=status, body=b"", headers=CIMultiDict({"ETag": '"v1"'})))
    response = await client.put("/time_entries/1.json", data=b"{}")
    assert response.status == status
    assert response.headers["ETag"] == '"v1"'
    assert await response.read() == b""


async def test_head_keeps_the_upstream_content_length(
    client: GatewayClient, redmine: FakeRedmine
) -> None:
    redmine.queue(Canned(body=b"x" * 1234))
    response = await client.head("/attachments/download/1/a.bin")
    assert response.status == 200
    assert response.headers["Content-Length"] == "1234"


async def test_chunked_large_response_is_streamed(
    client: GatewayClient, redmine: FakeRedmine
) -> None:
    body = bytes(range(256)) * 8_000
    redmine.queue(Canned(body=body, chunked=True))
    response = await client.get("/attachments/download/2/big.bin")
    assert await response.read() == body


async def test_upstream_down_answers_502_in_the_error_shape(
    served_gateway: ServedGateway,
) -> None:
    settings = Settings(redmine_url=f"http://127.0.0.1:{free_port()}")
    client = await served_gateway(settings)
    response = await client.get("/issues.json")
    assert response.status == 502
    body = await response.json()
    assert body["error_code"] == "UPSTREAM_UNAVAILABLE"
    assert set(body) == {"message", "error_code", "errors"}


async def test_slow_upstream_answers_504(
    served_gateway: ServedGateway, redmine: FakeRedmine
) -> None:
    settings = Settings(redmine_url=redmine.url, upstream_timeout_s=0.2)
    client = await served_gateway(settings)
    redmine.queue(Canned(delay_s=1.0))
    response = await client.get("/issues.json")
    assert response.status == 504
    assert (await response.json())["error_code"] == "UPSTREAM_TIMEOUT"


async def test_non_idempotent_request_is_not_retried(
    client: GatewayClient, redmine: FakeRedmine
) -> None:
    redmine.queue(Canned(drop_connection=True))
    response = await client.post("/time_entries.json", data=b'{"time_entry":{}}')
    assert response.status == 502
    assert len(redmine.calls) == 1


async def test_idempotent_request_is_retried_once_on_a_dropped_connection(
    client: GatewayClient, redmine: FakeRedmine
) -> None:
    redmine.queue(Canned(drop_connection=True))
    response = await client.get("/issues.json")
    assert response.status == 200
    assert len(redmine.calls) == 2


async def test_idempotent_request_gives_up_after_one_retry(
    client: GatewayClient, redmine: FakeRedmine
) -> None:
    redmine.queue(Canned(drop_connection=True), Canned(drop_connection=True))
    response = await client.get("/issues.json")
    assert response.status == 502
    assert len(redmine.calls) == 2


async def test_a_put_whose_body_was_sent_is_not_resent(
    client: GatewayClient, redmine: FakeRedmine
) -> None:
    redmine.queue(Canned(drop_connection=True))
    response = await client.put("/time_entries/1.json", data=b'{"time_entry":{"hours":1}}')
    assert response.status == 502
    assert len(redmine.calls) == 1


async def test_slow_request_is_not_retried(client: GatewayClient, redmine: FakeRedmine) -> None:
    redmine.queue(Canned(delay_s=5.0))
    response = await client.get("/issues.json")
    assert response.status == 504
    assert len(redmine.calls) == 1


async def test_upstream_connections_are_pooled(client: GatewayClient, redmine: FakeRedmine) -> None:
    for _ in range(5):
        assert (await client.get("/issues.json")).status == 200
    assert len({call.peer_port for call in redmine.calls}) == 1


async def test_absolute_form_target_is_refused(client: GatewayClient, redmine: FakeRedmine) -> None:
    status, body = await raw_exchange(
        client, b"GET http://other-host.example/secret HTTP/1.1\r\nHost: other-host.example\r\n\r\n"
    )
    assert status == 400
    assert b'"BAD_REQUEST"' in body
    assert redmine.calls == []


async def test_connect_is_refused(client: GatewayClient, redmine: FakeRedmine) -> None:
    status, body = await raw_exchange(
        client, b"CONNECT other-host.example:443 HTTP/1.1\r\nHost: other-host.example:443\r\n\r\n"
    )
    assert status == 405
    assert b'"METHOD_NOT_ALLOWED"' in body
    assert redmine.calls == []


async def test_a_foreign_host_header_still_goes_to_redmine(
    client: GatewayClient, redmine: FakeRedmine
) -> None:
    response = await client.get("/issues.json", headers={"Host": "evil.example"})
    assert response.status == 200
    assert len(redmine.calls) == 1


async def test_reserved_prefix_is_not_forwarded(
    client: GatewayClient, redmine: FakeRedmine
) -> None:
    response = await client.get("/-/unknown")
    assert response.status == 404
    assert (await response.json())["error_code"] == "NOT_FOUND"
    assert redmine.calls == []


async def test_server_answers_plain_web_errors_for_handlers(client: GatewayClient) -> None:
    # The catch-all route accepts every method, so no request ends in aiohttp's text 405/404.
    response = await client.request("PROPFIND", "/dav")
    assert response.status == 200
    assert isinstance(client.app, web.Application)
