"""Spots a request line without an HTTP version (HTTP/0.9), on which llhttp waits for headers."""

from gateway.front.limits import MAX_HEAD_BYTES


class RequestLineWatch:
    """llhttp reads "GET /p" CRLF as the start of an HTTP/0.9 head and waits for its fields,
    while an HTTP/0.9 client waits for its answer; both would wait until the idle limit.

    Fed what each read left in a head, this says when the head's last complete line is a bare
    "method SP target": no field line can look like that (a field name has no space), so the
    line is that head's request line, and it carries no version.
    """

    def __init__(self) -> None:
        self._partial_line = b""  # the unfinished last line of the head, from earlier reads

    def begin(self) -> None:
        self._partial_line = b""

    def is_versionless(self, data: bytes, method: bytes, target: bytes) -> bool:
        """Whether `data`, the latest read of an unfinished head, ends its version-less
        request line `method SP target`."""
        end = data.rfind(b"\n")
        if end != len(data) - 1:
            # The head's last line is not complete yet: keep what there is of it.
            tail = data if end == -1 else data[end + 1 :]
            self._partial_line = (self._partial_line + tail)[-MAX_HEAD_BYTES:]
            return False
        start = data.rfind(b"\n", 0, end) + 1
        line = (self._partial_line if start == 0 else b"") + data[start:]
        self._partial_line = b""
        if line[:1].isspace():
            return False  # an obsolete folded field line, which llhttp refuses anyway
        return line.split() == [method, target]
