"""The answers the front writes itself: its liveness 200 and its errors, in the one error shape."""

import json
import logging
from dataclasses import dataclass
from http import HTTPStatus

from gateway.errors import (
    AppUnavailable,
    GatewayError,
    RedmineAnswerInvalid,
    UpstreamUnavailable,
    error_document,
    error_headers,
)
from gateway.front.connection import ClientConnection
from gateway.front.request import IncomingRequest
from gateway.logs import REQUEST_ID_HEADER
from gateway.proxy.framing import connection_header, may_continue
from gateway.relay import headers as wire
from gateway.relay.answer import InvalidAnswer, UpstreamClosed

log = logging.getLogger(__name__)

# The app's /-/healthz answer, byte for byte, as aiohttp's json_response writes it.
LIVENESS_BODY = b'{"status": "ok"}'
JSON_TYPE = b"application/json; charset=utf-8"


@dataclass(slots=True)
class Answer:
    """What was sent for one request, as the access log reports it."""

    status: int
    body_bytes: int
    keeps_alive: bool


def write_liveness(request: IncomingRequest, client: ClientConnection) -> Answer:
    """The front's own 200 to GET/HEAD /-/healthz: the app and the pools are never asked."""
    keeps_alive = may_continue(request, client)
    body = b"" if request.method == "HEAD" else LIVENESS_BODY
    headers = [(b"Content-Type", JSON_TYPE), (b"Content-Length", b"%d" % len(LIVENESS_BODY))]
    headers.extend(connection_header(request, keeps_alive))
    status_line = b"HTTP/%b 200 OK" % request.http_version.encode()
    client.write(wire.message_head(status_line, headers) + body)
    return Answer(200, len(body), keeps_alive)


def write_error(
    client: ClientConnection,
    error: GatewayError,
    *,
    keeps_alive: bool,
    to_head: bool = False,
    request_id: str | None = None,
) -> Answer:
    """An error answer; to HEAD, its head only (RFC 9110 §9.3.2), or a kept-alive client would
    read the body as the start of its next answer. With the request's id when it has one, so a
    client can name the lines of a failed request."""
    head, body = error_parts(error, keeps_alive=keeps_alive, request_id=request_id)
    sent = b"" if to_head else body
    client.write(head + sent)
    return Answer(error.status, len(sent), keeps_alive)


def error_parts(
    error: GatewayError, *, keeps_alive: bool, request_id: str | None = None
) -> tuple[bytes, bytes]:
    """The head and body of the front's own error answer, in the gateway's one error shape."""
    document = error_document(error.error_code, str(error), error.field_errors, error.extra)
    body = json.dumps(document).encode()
    status_line = b"HTTP/1.1 %d %b" % (error.status, HTTPStatus(error.status).phrase.encode())
    headers = [(b"Content-Type", JSON_TYPE), (b"Content-Length", str(len(body)).encode())]
    headers.extend((name.encode(), value.encode()) for name, value in error_headers(error).items())
    if request_id is not None:
        headers.append((REQUEST_ID_HEADER.encode(), request_id.encode()))
    if not keeps_alive:
        headers.append((b"Connection", b"close"))
    return wire.message_head(status_line, headers), body


def no_answer_error(
    request: IncomingRequest, is_own: bool, exc: UpstreamClosed | OSError
) -> GatewayError:
    """What the client is told when no answer came that could be relayed."""
    log.warning(
        "upstream unavailable method=%s own=%s error=%s",
        request.method,
        is_own,
        type(exc).__name__,
    )
    if is_own:
        return AppUnavailable("The gateway could not answer; try again.")
    if isinstance(exc, InvalidAnswer):
        return RedmineAnswerInvalid("Redmine's answer was invalid.")
    return UpstreamUnavailable("Redmine could not be reached.")
