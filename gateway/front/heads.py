"""Turns a head llhttp parsed into a request, refusing heads the front will not forward."""

from collections.abc import Callable

import httptools

from gateway.errors import BadRequest, GatewayError, HeaderTooLarge, VersionNotSupported
from gateway.front.host import host_refusal
from gateway.front.request import IncomingRequest, RequestBody
from gateway.front.request_line import RequestLineWatch
from gateway.limits import FrontLimits
from gateway.relay.headers import Fields, field_size


class HeadTooLarge(Exception):
    """Raised inside the parser to stop it at a head over the front's size or field limits."""

    def __init__(self, message: str = "The request head is too large.") -> None:
        super().__init__(message)


class RefusedHead(Exception):
    """Raised inside the parser to stop it at a head the gateway will not forward."""

    def __init__(self, error: GatewayError) -> None:
        super().__init__(str(error))
        self.error = error


def head_refusal(
    http_version: str,
    fields: Fields,
    codings: list[bytes],
    is_upgrade: bool,
    has_body: bool,
) -> GatewayError | None:
    """Why a parsed head cannot be relayed faithfully, or None."""
    if http_version == "0.9":
        # llhttp's reading of a request line without a version: not HTTP/1.x at all.
        return BadRequest("The request line carries no HTTP version.")
    if http_version not in ("1.0", "1.1"):
        return VersionNotSupported("Only HTTP/1.0 and HTTP/1.1 are spoken here.")
    if (host_problem := host_refusal(http_version, fields)) is not None:
        return BadRequest(host_problem)
    # RFC 9112 §6.1: framing by Transfer-Encoding in HTTP/1.0 is faulty (nginx refuses it too).
    if codings and http_version == "1.0":
        return BadRequest("HTTP/1.0 has no transfer codings.")
    # Other transfer codings would reach Redmine still encoded under a plain "chunked".
    if codings and [coding.strip().lower() for coding in codings] != [b"chunked"]:
        return BadRequest("Only the chunked transfer coding is supported.")
    # llhttp skips the body of a protocol-switch request; forwarding its length would leave
    # Redmine waiting for bytes that never come.
    if is_upgrade and has_body:
        return BadRequest("A protocol switch request cannot carry a body here.")
    return None


def request_from_head(
    parser: httptools.HttpRequestParser,
    target: bytes,
    headers: list[tuple[bytes, bytes]],
    fields_size: int,
    make_body: Callable[[], RequestBody],
    started: float,
    max_head_bytes: int,
) -> IncomingRequest:
    """The request a complete head makes; raises HeadTooLarge or RefusedHead to stop the
    parser at a head the front will not forward; `fields_size` is what the fields take on the
    wire."""
    if len(target) + fields_size > max_head_bytes:
        raise HeadTooLarge()
    http_version = parser.get_http_version()
    fields = Fields(headers)
    codings = fields.values(b"transfer-encoding")
    is_chunked = bool(codings)
    has_body = is_chunked or bool(fields.content_length())
    refusal = head_refusal(http_version, fields, codings, parser.should_upgrade(), has_body)
    if refusal is not None:
        raise RefusedHead(refusal)
    # RFC 9110 §10.1.1: an HTTP/1.0 client's 100-continue expectation is ignored, as it may not
    # understand an interim answer.
    expectation = fields.values(b"expect") if http_version == "1.1" else []
    return IncomingRequest(
        method=parser.get_method().decode("ascii", "replace"),
        target=target,
        raw_headers=fields,
        http_version=http_version,
        keeps_alive=parser.should_keep_alive(),
        body=make_body() if has_body else None,
        is_chunked=is_chunked,
        expects_continue=bool(expectation) and expectation[0].lower() == b"100-continue",
        started=started,
    )


def parse_refusal(exc: Exception) -> GatewayError:
    """The answer to a head llhttp could not parse, or that was stopped with HeadTooLarge or
    RefusedHead (from inside the parser, they arrive as the parser error's context)."""
    cause = exc if isinstance(exc, HeadTooLarge | RefusedHead) else exc.__context__
    if isinstance(cause, HeadTooLarge):
        return HeaderTooLarge(str(cause))
    if isinstance(cause, RefusedHead):
        return cause.error
    return BadRequest(f"The request could not be parsed ({exc}).")


class HeadInProgress:
    """The request head being parsed, held to the front's bounds: its target and fields as
    llhttp reports them, and the reads it has taken so far."""

    def __init__(self, limits: FrontLimits) -> None:
        self._limits = limits
        self._target: list[bytes] = []
        self._fields: list[tuple[bytes, bytes]] = []
        self._fields_size = 0
        self._bytes_read = 0
        self._request_line = RequestLineWatch(limits.max_head_bytes)

    def begin(self) -> None:
        self._target = []
        self._fields = []
        self._fields_size = 0
        self._request_line.begin()

    def target_part(self, part: bytes) -> None:
        self._target.append(part)

    def field(self, name: bytes, value: bytes) -> None:
        self._fields.append((name, value))
        self._fields_size += field_size(name, value)
        if len(self._fields) > self._limits.max_header_fields:
            raise HeadTooLarge("The request head has too many header fields.")

    def is_over(self, read_size: int) -> bool:
        """Counts a read of a head that has not ended; whether the head is now over the bound
        (checked per read as well as per head: a line that never ends is not buffered whole)."""
        self._bytes_read += read_size
        return self._bytes_read > self._limits.max_head_bytes

    def ended(self) -> None:
        self._bytes_read = 0

    def is_versionless(self, data: bytes, method: bytes) -> bool:
        """Whether `data` ends this head's request line without a version (see RequestLineWatch)."""
        return not self._fields and self._request_line.is_versionless(
            data, method, b"".join(self._target)
        )

    def complete(
        self,
        parser: httptools.HttpRequestParser,
        make_body: Callable[[], RequestBody],
        started: float,
    ) -> IncomingRequest:
        """The request; fields that arrive after it (trailers) are collected apart and dropped."""
        fields, fields_size = self._fields, self._fields_size
        self._fields, self._fields_size = [], 0
        return request_from_head(
            parser,
            b"".join(self._target),
            fields,
            fields_size,
            make_body,
            started,
            self._limits.max_head_bytes,
        )
