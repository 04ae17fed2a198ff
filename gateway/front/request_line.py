"""Spots a request line without an HTTP version (HTTP/0.9), on which llhttp waits for headers."""


class RequestLineWatch:
    """llhttp reads "GET /p" CRLF as the start of an HTTP/0.9 head and waits for its fields,
    while an HTTP/0.9 client waits for its answer; both would wait until the head timeout.

    Fed each read while a head has begun and has no field yet, this says when that head's
    request line has ended as a bare "method SP target". The read that begins a head may start
    with the end of the previous request's body, so the line is looked for as the last
    occurrence of "method SP target" rather than as the read's last line: nothing can follow it
    in the head but its version or the line's end (a field would have been parsed).
    """

    def __init__(self, max_line_bytes: int) -> None:
        self._max_line_bytes = max_line_bytes
        self._seen = b""  # the head's reads so far (and what came before it in its first read)

    def begin(self) -> None:
        self._seen = b""

    def is_versionless(self, data: bytes, method: bytes, target: bytes) -> bool:
        """Whether `data`, the latest read of a head with no field yet, ends its request line
        `method SP target` without a version."""
        self._seen = (self._seen + data)[-self._max_line_bytes :]
        if not data.endswith(b"\n") or not target:
            return False
        line = method + b" " + target
        at = self._seen.rfind(line)
        return at >= 0 and self._seen[at:].rstrip(b"\r\n") == line
