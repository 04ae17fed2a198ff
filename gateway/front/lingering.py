"""A lingering close: the answer goes out, the write side shuts, late request bytes are dropped."""

import asyncio
from collections.abc import Callable

from gateway.limits import FrontLimits


class LingeringClose:
    """Ends a connection whose client may still be sending, as nginx's lingering_close does.

    A close with unread bytes in the socket makes the kernel send a reset, and a client still
    uploading can then lose the answer (a 413, a 400) before it reads it. So the answer is
    flushed and the write side shut (FIN); what still arrives is read and dropped until the
    client closes its side, for at most the limits' lingering time, lingering timeout without a
    byte, or lingering bytes; then `on_done` closes the connection.
    """

    def __init__(
        self, transport: asyncio.Transport, on_done: Callable[[], None], limits: FrontLimits
    ) -> None:
        self._transport = transport
        self._limits = limits
        self._on_done = on_done
        self._loop = asyncio.get_running_loop()
        self._dropped_bytes = 0
        self._last_read = self._loop.time()
        self._is_done = False
        self._deadline: asyncio.TimerHandle | None = None
        self._quiet: asyncio.TimerHandle | None = None

    def start(self) -> None:
        self._transport.write_eof()  # after what is buffered: the answer still goes out whole
        self._transport.resume_reading()
        self._deadline = self._loop.call_later(self._limits.lingering_time_s, self.finish)
        self._quiet = self._loop.call_later(self._limits.lingering_timeout_s, self._check_quiet)

    def drop(self, size: int) -> None:
        """Counts bytes that arrived and were thrown away."""
        self._dropped_bytes += size
        self._last_read = self._loop.time()
        if self._dropped_bytes > self._limits.lingering_max_bytes:
            self.finish()

    def finish(self) -> None:
        """The client closed its side, or a bound was reached: the connection ends now."""
        if self._is_done:
            return
        self._is_done = True
        for timer in (self._deadline, self._quiet):
            if timer is not None:
                timer.cancel()
        self._on_done()

    def _check_quiet(self) -> None:
        quiet_until = self._last_read + self._limits.lingering_timeout_s
        if self._loop.time() >= quiet_until:
            self.finish()
        else:
            self._quiet = self._loop.call_at(quiet_until, self._check_quiet)
