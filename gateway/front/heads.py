"""Request heads the front will not forward although llhttp parses them, and their size limit."""

from gateway.errors import BadRequest, GatewayError, VersionNotSupported
from gateway.front.host import host_refusal
from gateway.relay.headers import RawHeaders


class HeadTooLarge(Exception):
    """Raised inside the parser to stop it at a head over MAX_HEAD_BYTES."""


class RefusedHead(Exception):
    """Raised inside the parser to stop it at a head the gateway will not forward."""

    def __init__(self, error: GatewayError) -> None:
        super().__init__(str(error))
        self.error = error


def head_refusal(
    http_version: str,
    raw_headers: RawHeaders,
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
    if (host_problem := host_refusal(http_version, raw_headers)) is not None:
        return BadRequest(host_problem)
    # Other transfer codings would reach Redmine still encoded under a plain "chunked".
    if codings and [coding.strip().lower() for coding in codings] != [b"chunked"]:
        return BadRequest("Only the chunked transfer coding is supported.")
    # llhttp skips the body of a protocol-switch request; forwarding its length would leave
    # Redmine waiting for bytes that never come.
    if is_upgrade and has_body:
        return BadRequest("A protocol switch request cannot carry a body here.")
    return None
