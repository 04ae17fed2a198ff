"""What an upstream answer's head holds, and how an exchange with the upstream can end early."""

from dataclasses import dataclass

from gateway.relay.headers import Fields


class UpstreamClosed(Exception):
    """The connection ended (or turned out unusable) before the answer did."""

    def __init__(self, message: str, *, answer_started: bool, by_gateway: bool = False) -> None:
        super().__init__(message)
        self.answer_started = answer_started
        self.by_gateway = by_gateway  # closed by the gateway itself (shutdown): never resend


@dataclass(slots=True)
class ResponseHead:
    status: int
    reason: bytes
    raw_headers: Fields
    is_framed: bool  # has Content-Length or chunked framing; otherwise the body ends at EOF


class InvalidAnswer(UpstreamClosed):
    """The answer broke HTTP/1.1 or the relay's limits: its connection is dropped, never resent."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"invalid answer: {reason}", answer_started=True)
        self.reason = reason
