"""How messages are framed on each side: the head sent to Redmine, and the answer's head and
body pieces as the client is sent them (its HTTP version, its keep-alive, chunks where needed)."""

from dataclasses import dataclass

from gateway.front.connection import ClientConnection
from gateway.front.request import IncomingRequest
from gateway.relay import headers as wire
from gateway.relay.answer import ResponseHead

LAST_CHUNK = b"0\r\n\r\n"


@dataclass(slots=True)
class ClientFraming:
    """How one answer's body goes to the client, and whether the connection goes on after it."""

    is_chunked: bool
    keeps_alive: bool


def request_head(
    request: IncomingRequest, peer: str, base_path: bytes, default_host: bytes
) -> bytes:
    """The head sent upstream: the target unchanged under the base path, end-to-end headers as
    they came, X-Forwarded-* set, an X-Request-Id where the client sent none, and the body
    framed as the client framed it (or in chunks)."""
    line = request.method.encode() + b" " + base_path + request.target + b" HTTP/1.1"
    raw = request.raw_headers.end_to_end(wire.NOT_FORWARDED)
    chain = request.raw_headers.values(b"x-forwarded-for")
    chain.append(peer.encode())
    raw.append((b"X-Forwarded-For", b", ".join(chain)))
    raw.append((b"X-Forwarded-Proto", b"http"))
    hosts = request.raw_headers.values(b"host")
    if hosts:
        raw.append((b"X-Forwarded-Host", hosts[0]))
    else:
        raw.append((b"Host", default_host))
    if not request.has_client_request_id:
        # Redmine's log and the app's then show the id the access line shows.
        raw.append((b"X-Request-Id", request.request_id.encode()))
    if request.body is not None and request.is_chunked:
        raw.append((b"Transfer-Encoding", b"chunked"))
    return wire.message_head(line, raw)


def answer_has_body(request: IncomingRequest, head: ResponseHead) -> bool:
    """An answer to HEAD, a 204 or a 304 ends with its head, whatever the head says."""
    return request.method != "HEAD" and head.status not in (204, 304)


def client_answer_head(
    request: IncomingRequest, head: ResponseHead, client: ClientConnection
) -> tuple[bytes, ClientFraming]:
    """The answer's head as the client gets it: Redmine's end-to-end fields, re-framed for the
    client's HTTP version, and a Connection field where the default does not hold."""
    raw = head.raw_headers.end_to_end()
    keeps_alive = may_continue(request, client)
    is_chunked = False
    if answer_has_body(request, head) and head.raw_headers.content_length() is None:
        # Redmine's own framing (chunks, or the end of its connection) is hop-by-hop.
        if request.http_version == "1.1":
            is_chunked = True
            raw.append((b"Transfer-Encoding", b"chunked"))
        else:
            keeps_alive = False  # an HTTP/1.0 client reads to the end of the connection
    raw.extend(connection_header(request, keeps_alive))
    status_line = b"HTTP/%b %d %b" % (request.http_version.encode(), head.status, head.reason)
    return wire.message_head(status_line, raw), ClientFraming(is_chunked, keeps_alive)


def framed(chunk: bytes, is_chunked: bool) -> bytes:
    if not is_chunked or not chunk:
        return chunk
    return b"%x\r\n%b\r\n" % (len(chunk), chunk)


def may_continue(request: IncomingRequest, client: ClientConnection) -> bool:
    """Whether the connection can carry another request after this one's answer."""
    body_done = request.body is None or request.body.is_complete
    return request.keeps_alive and body_done and not client.is_last_answer


def connection_header(request: IncomingRequest, keeps_alive: bool) -> list[tuple[bytes, bytes]]:
    if not keeps_alive:
        return [(b"Connection", b"close")]
    if request.http_version == "1.0":
        return [(b"Connection", b"keep-alive")]
    return []
