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


# What never goes to Redmine as the client sent it.
NOT_FORWARDED = HOP_BY_HOP | FORWARDING


class Fields:
    """A message's header fields, spelled byte for byte as they arrived, with each name lowered
    once for all the questions the front, the relay and the proxy ask of them."""

    __slots__ = ("_lowered", "raw")

    def __init__(self, raw: RawHeaders) -> None:
        self.raw = raw
        self._lowered = [name.lower() for name, _ in raw]

    def __repr__(self) -> str:
        return f"Fields({self.raw!r})"

    def values(self, lower_name: bytes) -> list[bytes]:
        """The values of every field of this name, in order."""
        if lower_name not in self._lowered:
            return []
        lowered = self._lowered
        return [value for at, (_, value) in enumerate(self.raw) if lowered[at] == lower_name]

    def content_length(self) -> int | None:
        for value in self.values(b"content-length"):
            return int(value) if value.strip().isdigit() else None
        return None

    def end_to_end(self, dropped: frozenset[bytes] = HOP_BY_HOP) -> list[tuple[bytes, bytes]]:
        """The fields minus `dropped` and those the message's Connection field lists."""
        for value in self.values(b"connection"):
            listed = {token.strip().lower() for token in value.split(b",")}
            dropped = dropped | (listed - FRAMING)
        lowered = self._lowered
        return [field for at, field in enumerate(self.raw) if lowered[at] not in dropped]


def field_size(name: bytes, value: bytes) -> int:
    """The bytes one field takes on the wire, near enough: "name: value" and its line end."""
    return len(name) + len(value) + 4


def message_head(first_line: bytes, raw: RawHeaders) -> bytes:
    """A message head ready for the wire: its first line, then the headers, then the blank line."""
    fields = b"".join([name + b": " + value + b"\r\n" for name, value in raw])
    return first_line + b"\r\n" + fields + b"\r\n"
