"""Streaming pass-through: each request the front parsed goes to Redmine (or to the gateway's own
app for its own paths) byte for byte, and the answer streams back the same way."""

import asyncio
import json
import logging
from dataclasses import dataclass
from http import HTTPStatus

from gateway.errors import (
    AppTimeout,
    AppUnavailable,
    GatewayError,
    RedmineAnswerInvalid,
    UpstreamTimeout,
    UpstreamUnavailable,
    error_document,
    retry_headers,
)
from gateway.front.connection import ClientConnection
from gateway.front.paths import is_liveness, is_own, routed_path
from gateway.front.request import ClientGone, IncomingRequest
from gateway.logs import redact_query
from gateway.relay import headers as wire
from gateway.relay.answer import InvalidAnswer, ResponseHead, UpstreamClosed
from gateway.relay.connection import UpstreamConnection
from gateway.relay.pool import ConnectionPool

log = logging.getLogger(__name__)

# Safe to send twice when a connection drops before any answer: the methods RFC 9110 calls
# idempotent, and only without a body (a consumed body cannot be sent again).
RETRYABLE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
# Logged for a request whose client left before its answer was written (as nginx does).
CLIENT_GONE_STATUS = 499
# The app's /-/healthz answer, byte for byte, as aiohttp's json_response writes it.
LIVENESS_BODY = b'{"status": "ok"}'
JSON_TYPE = b"application/json; charset=utf-8"


@dataclass(frozen=True)
class Upstream:
    """Where requests go: its pool, the base path prefixed to every target, the Host to send when
    the client sent none, the total time one request may take (None: unbounded), and whether it
    is the gateway's own app rather than Redmine."""

    pool: ConnectionPool
    base_path: bytes
    host: bytes
    timeout_s: float | None
    is_own: bool = False


@dataclass(frozen=True)
class Answer:
    status: int
    body_bytes: int
    keeps_alive: bool


class Proxy:
    """Answers every request the front parsed, logging one redacted access line for each."""

    def __init__(self, redmine: Upstream, own: Upstream, access_log: logging.Logger | None) -> None:
        self._redmine = redmine
        self._own = own
        self._access_log = access_log

    async def respond(self, request: IncomingRequest, client: ClientConnection) -> bool:
        try:
            path = routed_path(request.method, request.target)
            if is_liveness(request.method, path):
                answer = write_liveness(request, client)
            else:
                upstream = self._own if is_own(path) else self._redmine
                answer = await self._relay(request, client, upstream)
        except GatewayError as exc:
            # After a CONNECT the client would send tunnel bytes, never another request.
            keeps_alive = may_continue(request, client) and request.method != "CONNECT"
            answer = write_error(client, exc, keeps_alive=keeps_alive)
        except ClientGone:
            if self._access_log is not None:
                self._log_access(request, client, Answer(CLIENT_GONE_STATUS, 0, False))
            raise
        if self._access_log is not None:
            self._log_access(request, client, answer)
        return answer.keeps_alive

    @staticmethod
    def refuse(error: GatewayError, client: ClientConnection) -> None:
        """Answers a request that could not be parsed; the connection closes after it."""
        write_error(client, error, keeps_alive=False)

    async def _relay(
        self, request: IncomingRequest, client: ClientConnection, upstream: Upstream
    ) -> Answer:
        connection: UpstreamConnection | None = None
        try:
            try:
                connection, head, first = await self._exchange(request, client, upstream)
            except TimeoutError as exc:
                log.warning("upstream timeout method=%s own=%s", request.method, upstream.is_own)
                if upstream.is_own:
                    raise AppTimeout("The gateway did not answer in time.") from exc
                raise UpstreamTimeout("Redmine did not answer in time.") from exc
            except (UpstreamClosed, OSError) as exc:
                raise no_answer_error(request, upstream, exc) from exc
            return await self._stream_answer(request, client, connection, head, first)
        finally:
            if connection is not None:
                upstream.pool.release(connection)

    async def _exchange(
        self, request: IncomingRequest, client: ClientConnection, upstream: Upstream
    ) -> tuple[UpstreamConnection, ResponseHead, bytes]:
        """Sends the request; returns the connection, the answer's head and its first bytes.

        GATEWAY_UPSTREAM_TIMEOUT_S bounds the total time spent waiting on Redmine (for a
        connection, for it to take the body, for its answer and each piece of it), never the
        time a client takes to send or to read.
        """
        loop = asyncio.get_running_loop()
        head = request_head(request, client.peer, upstream)
        may_retry = request.method in RETRYABLE_METHODS and request.body is None
        deadline = None if upstream.timeout_s is None else loop.time() + upstream.timeout_s
        while True:
            connection = await upstream.pool.acquire(remaining(deadline, loop))
            budget_s = remaining(deadline, loop)
            try:
                connection.begin(
                    head,
                    expects_body=request.method != "HEAD",
                    has_request_body=request.body is not None,
                    timeout_s=budget_s,
                )
                if request.body is not None:
                    await send_body(request, client, connection)
                answer = await connection.head()
                first = await connection.read() if answer_has_body(request, answer) else b""
                return connection, answer, first
            except UpstreamClosed as exc:
                upstream.pool.release(connection)
                if exc.answer_started or exc.by_gateway or not may_retry:
                    raise
                may_retry = False
            except BaseException:
                upstream.pool.release(connection)
                raise

    async def _stream_answer(
        self,
        request: IncomingRequest,
        client: ClientConnection,
        connection: UpstreamConnection,
        head: ResponseHead,
        first: bytes,
    ) -> Answer:
        raw = wire.end_to_end(head.raw_headers)
        keeps_alive = may_continue(request, client)
        is_chunked = False
        if answer_has_body(request, head) and wire.content_length(raw) is None:
            # Redmine's own framing (chunks, or the end of its connection) is hop-by-hop.
            if request.http_version == "1.1":
                is_chunked = True
                raw.append((b"Transfer-Encoding", b"chunked"))
            else:
                keeps_alive = False  # an HTTP/1.0 client reads to the end of the connection
        raw.extend(connection_header(request, keeps_alive))
        status_line = b"HTTP/%b %d %b" % (request.http_version.encode(), head.status, head.reason)
        client.write(wire.message_head(status_line, raw) + framed(first, is_chunked))
        sent = len(first)
        try:
            # An answer to HEAD, a 204 or a 304 ends with its head, whatever the head says.
            while answer_has_body(request, head) and (chunk := await connection.read()):
                client.write(framed(chunk, is_chunked))
                sent += len(chunk)
                await client.drain()
            if is_chunked:
                client.write(b"0\r\n\r\n")
        except ClientGone:
            return Answer(head.status, sent, keeps_alive=False)  # logged as what was sent
        except (TimeoutError, UpstreamClosed, OSError) as exc:
            # The head is out: the only honest signal left is a cut connection.
            log.warning("answer cut short error=%s", type(exc).__name__)
            client.abort()
            return Answer(head.status, sent, keeps_alive=False)
        return Answer(head.status, sent, keeps_alive)

    def _log_access(
        self, request: IncomingRequest, client: ClientConnection, answer: Answer
    ) -> None:
        assert self._access_log is not None
        elapsed_ms = (asyncio.get_running_loop().time() - request.started) * 1000
        self._access_log.info(
            "request method=%s target=%s status=%s bytes=%s ms=%.1f remote=%s",
            request.method,
            redact_query(request.target.decode("latin-1")),
            answer.status,
            answer.body_bytes,
            elapsed_ms,
            client.peer,
        )


def request_head(request: IncomingRequest, peer: str, upstream: Upstream) -> bytes:
    """The head sent upstream: the target unchanged under the base path, end-to-end headers as
    they came, X-Forwarded-* set, and the body framed as the client framed it (or in chunks)."""
    line = request.method.encode() + b" " + upstream.base_path + request.target + b" HTTP/1.1"
    raw = wire.end_to_end(request.raw_headers, also_dropped=wire.FORWARDING)
    chain = wire.values_of(request.raw_headers, b"x-forwarded-for")
    chain.append(peer.encode())
    raw.append((b"X-Forwarded-For", b", ".join(chain)))
    raw.append((b"X-Forwarded-Proto", b"http"))
    hosts = wire.values_of(request.raw_headers, b"host")
    if hosts:
        raw.append((b"X-Forwarded-Host", hosts[0]))
    else:
        raw.append((b"Host", upstream.host))
    if request.body is not None and request.is_chunked:
        raw.append((b"Transfer-Encoding", b"chunked"))
    return wire.message_head(line, raw)


async def send_body(
    request: IncomingRequest, client: ClientConnection, connection: UpstreamConnection
) -> None:
    """Streams the client's body upstream; an answer Redmine gives before taking it all (a
    refusal, say) is kept, and the connection is then not reused."""
    body = request.body
    assert body is not None
    if request.expects_continue and body.bytes_read == 0 and not body.is_complete:
        client.write(CONTINUE)
    try:
        while chunk := await body.read():
            await connection.send(framed(chunk, request.is_chunked))
        if request.is_chunked:
            await connection.send(b"0\r\n\r\n")
    except UpstreamClosed:
        if connection.answer_head is None:
            raise
        return
    connection.request_sent()


def no_answer_error(
    request: IncomingRequest, upstream: Upstream, exc: UpstreamClosed | OSError
) -> GatewayError:
    """What the client is told when no answer came that could be relayed."""
    log.warning(
        "upstream unavailable method=%s own=%s error=%s",
        request.method,
        upstream.is_own,
        type(exc).__name__,
    )
    if upstream.is_own:
        return AppUnavailable("The gateway could not answer; try again.")
    if isinstance(exc, InvalidAnswer):
        return RedmineAnswerInvalid("Redmine's answer was invalid.")
    return UpstreamUnavailable("Redmine could not be reached.")


def remaining(deadline: float | None, loop: asyncio.AbstractEventLoop) -> float | None:
    return None if deadline is None else max(0.0, deadline - loop.time())


def answer_has_body(request: IncomingRequest, head: ResponseHead) -> bool:
    return request.method != "HEAD" and head.status not in (204, 304)


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


def write_liveness(request: IncomingRequest, client: ClientConnection) -> Answer:
    """The front's own 200 to GET/HEAD /-/healthz: the app and the pools are never asked."""
    keeps_alive = may_continue(request, client)
    body = b"" if request.method == "HEAD" else LIVENESS_BODY
    headers = [(b"Content-Type", JSON_TYPE), (b"Content-Length", b"%d" % len(LIVENESS_BODY))]
    headers.extend(connection_header(request, keeps_alive))
    status_line = b"HTTP/%b 200 OK" % request.http_version.encode()
    client.write(wire.message_head(status_line, headers) + body)
    return Answer(200, len(body), keeps_alive)


def write_error(client: ClientConnection, error: GatewayError, *, keeps_alive: bool) -> Answer:
    head, body = error_parts(error, keeps_alive=keeps_alive)
    client.write(head + body)
    return Answer(error.status, len(body), keeps_alive)


def error_parts(error: GatewayError, *, keeps_alive: bool) -> tuple[bytes, bytes]:
    """The head and body of the front's own error answer, in the gateway's one error shape."""
    document = error_document(error.error_code, str(error), error.field_errors, error.extra)
    body = json.dumps(document).encode()
    status_line = b"HTTP/1.1 %d %b" % (error.status, HTTPStatus(error.status).phrase.encode())
    headers = [(b"Content-Type", JSON_TYPE), (b"Content-Length", str(len(body)).encode())]
    headers.extend((name.encode(), value.encode()) for name, value in retry_headers(error).items())
    if not keeps_alive:
        headers.append((b"Connection", b"close"))
    return wire.message_head(status_line, headers), body
