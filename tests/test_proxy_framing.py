"""The proxy's framing rules as plain functions: the head Redmine is sent, and the answer's head
and body pieces as the client gets them."""

from typing import cast

import pytest

from gateway.front.connection import ClientConnection
from gateway.front.request import IncomingRequest, RequestBody
from gateway.limits import FrontLimits
from gateway.proxy.framing import (
    answer_has_body,
    client_answer_head,
    connection_header,
    framed,
    request_head,
)
from gateway.proxy.retry import is_retryable, may_resend
from gateway.relay.answer import ResponseHead, UpstreamClosed
from gateway.relay.headers import Fields


class Client:
    def __init__(self, *, is_last_answer: bool = False) -> None:
        self.is_last_answer = is_last_answer


def client(*, is_last_answer: bool = False) -> ClientConnection:
    return cast(ClientConnection, Client(is_last_answer=is_last_answer))


def request(
    method: str = "GET",
    *,
    headers: list[tuple[bytes, bytes]] | None = None,
    version: str = "1.1",
    keeps_alive: bool = True,
    has_body: bool = False,
    is_chunked: bool = False,
) -> IncomingRequest:
    body = RequestBody(lambda _paused: None, FrontLimits()) if has_body else None
    return IncomingRequest(
        method=method,
        target=b"/issues.json?x=1",
        raw_headers=Fields(headers if headers is not None else [(b"Host", b"gw.test")]),
        http_version=version,
        keeps_alive=keeps_alive,
        body=body,
        is_chunked=is_chunked,
        expects_continue=False,
    )


def head(status: int = 200, headers: list[tuple[bytes, bytes]] | None = None) -> ResponseHead:
    return ResponseHead(status, b"OK", Fields(headers or []), is_framed=True)


def lines_of(message_head: bytes) -> list[bytes]:
    assert message_head.endswith(b"\r\n\r\n")
    return message_head[:-4].split(b"\r\n")


def test_the_request_head_puts_the_target_under_the_base_path_and_forwards_the_host() -> None:
    sent = lines_of(request_head(request(), "10.0.0.7", b"/redmine", b"redmine:3000"))
    assert sent[0] == b"GET /redmine/issues.json?x=1 HTTP/1.1"
    assert b"Host: gw.test" in sent
    assert b"X-Forwarded-Host: gw.test" in sent
    assert b"X-Forwarded-For: 10.0.0.7" in sent
    assert b"X-Forwarded-Proto: http" in sent


def test_a_request_without_host_is_sent_the_upstreams_host_and_no_forwarded_host() -> None:
    sent = lines_of(request_head(request(headers=[]), "10.0.0.7", b"", b"redmine:3000"))
    assert b"Host: redmine:3000" in sent
    assert not [line for line in sent if line.lower().startswith(b"x-forwarded-host")]


def test_the_forwarded_for_chain_is_extended_and_client_forwarding_fields_are_replaced() -> None:
    headers = [
        (b"Host", b"gw.test"),
        (b"X-Forwarded-For", b"1.1.1.1"),
        (b"X-Forwarded-Proto", b"https"),
        (b"X-Forwarded-Host", b"evil.test"),
    ]
    sent = lines_of(request_head(request(headers=headers), "10.0.0.7", b"", b"r"))
    assert b"X-Forwarded-For: 1.1.1.1, 10.0.0.7" in sent
    assert b"X-Forwarded-Proto: http" in sent
    assert b"X-Forwarded-Proto: https" not in sent
    assert b"X-Forwarded-Host: gw.test" in sent
    assert b"X-Forwarded-Host: evil.test" not in sent


def test_a_chunked_upload_is_sent_chunked() -> None:
    chunked = request("POST", has_body=True, is_chunked=True)
    assert b"Transfer-Encoding: chunked" in lines_of(request_head(chunked, "p", b"", b"r"))
    plain = request("POST", has_body=True, is_chunked=False)
    assert b"Transfer-Encoding: chunked" not in lines_of(request_head(plain, "p", b"", b"r"))


@pytest.mark.parametrize(
    ("method", "status", "has_body"),
    [("GET", 200, True), ("HEAD", 200, False), ("GET", 204, False), ("GET", 304, False)],
)
def test_only_answers_that_may_carry_a_body_have_one(
    method: str, status: int, has_body: bool
) -> None:
    assert answer_has_body(request(method), head(status)) is has_body


def test_an_unframed_answer_is_chunked_for_an_http_1_1_client() -> None:
    sent, framing = client_answer_head(request(), head(), client())
    assert framing.is_chunked and framing.keeps_alive
    assert b"Transfer-Encoding: chunked" in lines_of(sent)
    assert lines_of(sent)[0] == b"HTTP/1.1 200 OK"


def test_an_unframed_answer_to_an_http_1_0_client_ends_with_the_connection() -> None:
    sent, framing = client_answer_head(request(version="1.0"), head(), client())
    assert not framing.is_chunked and not framing.keeps_alive
    assert lines_of(sent)[0] == b"HTTP/1.0 200 OK"
    assert b"Connection: close" in lines_of(sent)


def test_a_sized_answer_keeps_its_length_and_redmines_hop_by_hop_fields_are_dropped() -> None:
    upstream = [(b"Content-Length", b"5"), (b"Connection", b"close"), (b"X-Id", b"7")]
    sent, framing = client_answer_head(request(), head(headers=upstream), client())
    assert not framing.is_chunked and framing.keeps_alive
    assert lines_of(sent)[1:] == [b"Content-Length: 5", b"X-Id: 7"]


def test_the_last_answer_on_a_connection_says_close() -> None:
    sized = head(headers=[(b"Content-Length", b"0")])
    sent, framing = client_answer_head(request(), sized, client(is_last_answer=True))
    assert not framing.keeps_alive
    assert b"Connection: close" in lines_of(sent)


@pytest.mark.parametrize(
    ("version", "keeps_alive", "expected"),
    [
        ("1.1", True, []),
        ("1.1", False, [(b"Connection", b"close")]),
        ("1.0", True, [(b"Connection", b"keep-alive")]),
        ("1.0", False, [(b"Connection", b"close")]),
    ],
)
def test_connection_field_says_only_what_the_version_does_not_imply(
    version: str, keeps_alive: bool, expected: list[tuple[bytes, bytes]]
) -> None:
    assert connection_header(request(version=version), keeps_alive) == expected


@pytest.mark.parametrize(
    ("chunk", "is_chunked", "expected"),
    [
        (b"hello", False, b"hello"),
        (b"hello", True, b"5\r\nhello\r\n"),
        (b"x" * 26, True, b"1a\r\n" + b"x" * 26 + b"\r\n"),
        (b"", True, b""),  # an empty piece would read as the last chunk
    ],
)
def test_framed(chunk: bytes, is_chunked: bool, expected: bytes) -> None:
    assert framed(chunk, is_chunked) == expected


@pytest.mark.parametrize(
    ("method", "has_body", "retryable"),
    [
        ("GET", False, True),
        ("PUT", False, True),
        ("DELETE", False, True),
        ("POST", False, False),
        ("PATCH", False, False),
        ("PUT", True, False),
    ],
)
def test_only_idempotent_requests_without_a_body_are_retryable(
    method: str, has_body: bool, retryable: bool
) -> None:
    assert is_retryable(request(method, has_body=has_body)) is retryable


@pytest.mark.parametrize(
    ("answer_started", "by_gateway", "resend"),
    [(False, False, True), (True, False, False), (False, True, False)],
)
def test_a_request_is_resent_only_when_no_answer_began_and_the_gateway_did_not_close_it(
    answer_started: bool, by_gateway: bool, resend: bool
) -> None:
    closed = UpstreamClosed("gone", answer_started=answer_started, by_gateway=by_gateway)
    assert may_resend(closed) is resend
