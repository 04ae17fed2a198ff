"""Streaming pass-through: each request the front parsed goes to Redmine (or to the gateway's own
app for its own paths) byte for byte, and the answer streams back the same way."""

import asyncio
import logging

from gateway.errors import AppTimeout, GatewayError, NotFound, UpstreamTimeout
from gateway.front.connection import ClientConnection
from gateway.front.request import ClientGone, IncomingRequest
from gateway.logs import current_request_id, request_id_to_log
from gateway.proxy import retry
from gateway.proxy.access_log import CLIENT_GONE_STATUS, AccessLog
from gateway.proxy.answers import Answer, no_answer_error, write_error, write_liveness
from gateway.proxy.framing import (
    LAST_CHUNK,
    answer_has_body,
    client_answer_head,
    framed,
    may_continue,
    request_head,
)
from gateway.proxy.observer import RelayObserver, UpstreamFailure
from gateway.proxy.routing import EVERYTHING, Destination, Upstream, destination
from gateway.relay.answer import ResponseHead, UpstreamClosed
from gateway.relay.connection import UpstreamConnection

log = logging.getLogger(__name__)

CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class Proxy:
    """Answers every request the front parsed, logging one redacted access line for each and
    reporting it to the observer (metrics), if any.

    `serves`: the destinations this listener answers (routing.EVERYTHING, PUBLIC or ADMIN);
    a request for another gets 404 in the error shape.
    """

    def __init__(
        self,
        redmine: Upstream,
        own: Upstream,
        access_log: AccessLog | None,
        observer: RelayObserver | None = None,
        serves: frozenset[Destination] = EVERYTHING,
    ) -> None:
        self._redmine = redmine
        self._own = own
        self._access_log = access_log
        self._observer = observer
        self._serves = serves

    async def respond(self, request: IncomingRequest, client: ClientConnection) -> bool:
        where: Destination | None = None
        identify(request)
        try:
            where = destination(request)
            if where not in self._serves:
                raise NotFound("Nothing is served at this path on this port.")
            if where is Destination.LIVENESS:
                answer = write_liveness(request, client)
            else:
                upstream = self._redmine if where is Destination.REDMINE else self._own
                answer = await self._relay(request, client, upstream)
        except GatewayError as exc:
            # After a CONNECT the client would send tunnel bytes, never another request.
            keeps_alive = may_continue(request, client) and request.method != "CONNECT"
            answer = write_error(
                client,
                exc,
                keeps_alive=keeps_alive,
                to_head=request.method == "HEAD",
                request_id=request.request_id,
            )
        except ClientGone:
            if self._access_log is not None:
                self._access_log.record_client_gone(request, client)
            if self._observer is not None:
                self._observer.finished(where, request, CLIENT_GONE_STATUS)
            raise
        if self._access_log is not None:
            self._access_log.record(request, client, answer)
        if self._observer is not None:
            self._observer.finished(where, request, answer.status)
        return answer.keeps_alive

    @staticmethod
    def refuse(error: GatewayError, client: ClientConnection) -> None:
        """Answers a request that could not be parsed; the connection closes after it."""
        write_error(client, error, keeps_alive=False)

    def refuse_observed(self, error: GatewayError, client: ClientConnection) -> None:
        """`refuse`, and the refusal reported to the observer (the front's listeners use it)."""
        self.refuse(error, client)
        if self._observer is not None:
            self._observer.refused(error.status)

    async def _relay(
        self, request: IncomingRequest, client: ClientConnection, upstream: Upstream
    ) -> Answer:
        connection: UpstreamConnection | None = None
        # Only exchanges with Redmine are reported: the app's own requests are counted by route.
        observer = None if upstream.is_own else self._observer
        started = asyncio.get_running_loop().time()
        try:
            try:
                connection, head, first = await self._exchange(request, client, upstream)
            except TimeoutError as exc:
                if observer is not None:
                    observer.upstream_failed("timeout", answered=False)
                log.warning("upstream timeout method=%s own=%s", request.method, upstream.is_own)
                if upstream.is_own:
                    raise AppTimeout("The gateway did not answer in time.") from exc
                raise UpstreamTimeout("Redmine did not answer in time.") from exc
            except (UpstreamClosed, OSError) as exc:
                if observer is not None:
                    observer.upstream_failed(failure_kind(exc), answered=False)
                raise no_answer_error(request, upstream.is_own, exc) from exc
            if observer is not None:
                observer.upstream_answered(head.status, asyncio.get_running_loop().time() - started)
            return await self._stream_answer(request, client, connection, head, first, observer)
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
        head = request_head(request, client.peer, upstream.base_path, upstream.host)
        may_retry = retry.is_retryable(request)
        deadline = retry.deadline_after(upstream.timeout_s, loop)
        while True:
            connection = await upstream.pool.acquire(retry.remaining(deadline, loop))
            try:
                connection.begin(
                    head,
                    expects_body=request.method != "HEAD",
                    has_request_body=request.body is not None,
                    timeout_s=retry.remaining(deadline, loop),
                )
                if request.body is not None:
                    await send_body(request, client, connection)
                answer = await connection.head()
                first = await connection.read() if answer_has_body(request, answer) else b""
                return connection, answer, first
            except UpstreamClosed as exc:
                upstream.pool.release(connection)
                if not (may_retry and retry.may_resend(exc)):
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
        observer: RelayObserver | None,
    ) -> Answer:
        client_head, framing = client_answer_head(request, head, client)
        client.write(client_head + framed(first, framing.is_chunked))
        sent = len(first)
        try:
            while answer_has_body(request, head) and (chunk := await connection.read()):
                client.write(framed(chunk, framing.is_chunked))
                sent += len(chunk)
                await client.drain()
            if framing.is_chunked:
                client.write(LAST_CHUNK)
        except ClientGone:
            return Answer(head.status, sent, keeps_alive=False)  # logged as what was sent
        except (TimeoutError, UpstreamClosed, OSError) as exc:
            # The head is out: the only honest signal left is a cut connection.
            if observer is not None:
                observer.upstream_failed(failure_kind(exc), answered=True)
            log.warning("answer cut short error=%s", type(exc).__name__)
            client.abort()
            return Answer(head.status, sent, keeps_alive=False)
        return Answer(head.status, sent, framing.keeps_alive)


def identify(request: IncomingRequest) -> None:
    """Gives the request the id its log lines carry, and makes it the current one: the lines the
    relay logs for it (a timeout, a cut answer) carry it too."""
    sent = request.raw_headers.values(b"x-request-id")
    request.has_client_request_id = bool(sent)
    request.request_id = request_id_to_log(sent[0].decode("latin-1") if len(sent) == 1 else None)
    current_request_id.set(request.request_id)


def failure_kind(exc: BaseException) -> UpstreamFailure:
    """A connection that could not be made (refused, unreachable) is an OSError from the pool;
    a connection that ended early is UpstreamClosed (the relay's own reading turns socket
    errors into it)."""
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, UpstreamClosed):
        return "closed"
    return "connect"


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
            if not await connection.send(framed(chunk, request.is_chunked)):
                return
        if request.is_chunked and not await connection.send(LAST_CHUNK):
            return
    except UpstreamClosed:
        if connection.answer_head is None:
            raise
        return
    connection.request_sent()
