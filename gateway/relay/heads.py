"""An answer's head as llhttp reports it piece by piece, held to the relay's bounds, and the
heads the relay will not pass on although llhttp parses them."""

from gateway.limits import RelayLimits
from gateway.relay.answer import ResponseHead
from gateway.relay.headers import Fields, field_size

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


class HeadInProgress:
    """The pieces of the answer head being parsed; `read` bounds what arrives before the final
    head (interim heads count), `field` the number of fields, `complete` the head itself."""

    def __init__(self, limits: RelayLimits) -> None:
        self._limits = limits
        self._bytes_read = 0
        self._fields: list[tuple[bytes, bytes]] = []
        self._fields_size = 0
        self.reason = b""

    def begin_exchange(self) -> None:
        self._bytes_read = 0
        self.begin_message()

    def begin_message(self) -> None:
        self._fields = []
        self._fields_size = 0
        self.reason = b""  # llhttp reports no reason at all for a status line without one

    def read(self, size: int) -> str | None:
        """Why the bytes read so far cannot be a head, or None: checked per read as well as per
        head, so a header line that never ends is dropped after one read over the bound."""
        self._bytes_read += size
        if self._bytes_read > self._limits.max_head_bytes:
            return f"a head over {self._limits.max_head_bytes} bytes"
        return None

    def field(self, name: bytes, value: bytes) -> None:
        self._fields.append((name, value))
        self._fields_size += field_size(name, value)
        if len(self._fields) > self._limits.max_header_fields:
            raise AnswerRefused(f"more than {self._limits.max_header_fields} header fields")

    def complete(self, http_version: str, status: int) -> ResponseHead:
        """The head, or AnswerRefused; what arrives through `field` after it (trailers) is
        collected apart and dropped."""
        fields = Fields(self._fields)
        refusal = answer_refusal(
            http_version, status, self.reason, fields, self._fields_size, self._limits
        )
        if refusal is not None:
            raise AnswerRefused(refusal)
        self._fields = []
        self._fields_size = 0
        is_framed = bool(fields.values(b"content-length") or fields.values(b"transfer-encoding"))
        return ResponseHead(status, self.reason, fields, is_framed)
