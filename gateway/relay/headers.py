"""Which headers cross the gateway, spelled byte for byte as they arrived."""

from collections.abc import Sequence

RawHeaders = Sequence[tuple[bytes, bytes]]

HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)
# Set by the gateway itself on the way to Redmine, so whatever a client sent under these names
# is replaced (X-Forwarded-For is appended to instead).
FORWARDING = frozenset({b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-host"})


# A Connection header may not talk these away: without Content-Length the body that follows
# would be read by the next hop as a request (or answer) of its own.
FRAMING = frozenset({b"content-length", b"host"})


def end_to_end(
    raw: RawHeaders, also_dropped: frozenset[bytes] = frozenset()
) -> list[tuple[bytes, bytes]]:
    """The headers of a message minus hop-by-hop ones, including those its Connection lists."""
    dropped = HOP_BY_HOP | also_dropped
    for name, value in raw:
        if name.lower() == b"connection":
            listed = {token.strip().lower() for token in value.split(b",")}
            dropped = dropped | (listed - FRAMING)
    return [(name, value) for name, value in raw if name.lower() not in dropped]


def values_of(raw: RawHeaders, lower_name: bytes) -> list[bytes]:
    return [value for name, value in raw if name.lower() == lower_name]


def content_length(raw: RawHeaders) -> int | None:
    for value in values_of(raw, b"content-length"):
        return int(value) if value.strip().isdigit() else None
    return None


def message_head(first_line: bytes, raw: RawHeaders) -> bytes:
    """A message head ready for the wire: its first line, then the headers, then the blank line."""
    lines = [first_line]
    lines.extend(name + b": " + value for name, value in raw)
    lines.append(b"\r\n")
    return b"\r\n".join(lines)
