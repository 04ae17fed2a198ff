"""When a request may be sent again after its connection dropped, and the deadline it keeps."""

import asyncio

from gateway.front.request import IncomingRequest
from gateway.relay.answer import UpstreamClosed

# Safe to send twice when a connection drops before any answer: the methods RFC 9110 calls
# idempotent, and only without a body (a consumed body cannot be sent again).
RETRYABLE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})


def is_retryable(request: IncomingRequest) -> bool:
    return request.method in RETRYABLE_METHODS and request.body is None


def may_resend(closed: UpstreamClosed) -> bool:
    """Whether the request never reached Redmine's application as far as anyone can tell: the
    connection closed before any answer byte, and not because the gateway itself gave up."""
    return not closed.answer_started and not closed.by_gateway


def deadline_after(timeout_s: float | None, loop: asyncio.AbstractEventLoop) -> float | None:
    return None if timeout_s is None else loop.time() + timeout_s


def remaining(deadline: float | None, loop: asyncio.AbstractEventLoop) -> float | None:
    return None if deadline is None else max(0.0, deadline - loop.time())
