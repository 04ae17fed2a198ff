"""Answer heads the relay will not pass on although llhttp parses them, and their size."""

from gateway.limits import RelayLimits
from gateway.relay.headers import Fields

# RFC 9112: reason-phrase = *( HTAB / SP / VCHAR / obs-text ); a control byte would reach the
# client inside the status line the gateway writes.
FORBIDDEN_IN_REASON = frozenset(range(0x20)) - {0x09} | {0x7F}


class AnswerRefused(Exception):
    """Raised inside the parser's callbacks to stop it at bytes the relay will not take."""


def head_size(reason: bytes, fields_size: int) -> int:
    """The bytes a head takes on the wire, near enough: "HTTP/1.1 200 " and its fields."""
    return 15 + len(reason) + fields_size


def answer_refusal(
    http_version: str,
    status: int,
    reason: bytes,
    fields: Fields,
    fields_size: int,
    limits: RelayLimits,
) -> str | None:
    """Why an answer head cannot be relayed faithfully, or None."""
    if http_version not in ("1.0", "1.1"):
        return f"HTTP version {http_version}"
    if not 100 <= status <= 599:
        return f"status {status}"
    if not FORBIDDEN_IN_REASON.isdisjoint(reason):
        return "a control byte in the reason phrase"
    if head_size(reason, fields_size) > limits.max_head_bytes:
        return f"a head over {limits.max_head_bytes} bytes"
    codings = [
        coding.strip().lower()
        for value in fields.values(b"transfer-encoding")
        for coding in value.split(b",")
    ]
    if codings and codings != [b"chunked"]:
        # Other codings would reach the client still applied, under a plain "chunked".
        return f"unsupported transfer coding {codings!r}"
    return None


def announces_body(fields: Fields) -> bool:
    """Whether the head says a body follows: for an answer that has none (to HEAD; 204, 304),
    a sign that Redmine may yet send one, so its connection cannot be trusted with another."""
    if fields.values(b"transfer-encoding"):
        return True
    return any(value.strip() != b"0" for value in fields.values(b"content-length"))
