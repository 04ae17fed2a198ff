"""Why a client connection's socket is not being read: the one flow-control helper of the front."""

import asyncio


class ReadingPauses:
    """Reasons not to read the socket (a queue backlog, a body backlog, parsing stopped); it is
    read again once none is left. Detached once the connection is closed."""

    def __init__(self) -> None:
        self._reasons: set[str] = set()
        self._transport: asyncio.Transport | None = None

    def attach(self, transport: asyncio.Transport) -> None:
        self._transport = transport

    def detach(self) -> None:
        self._transport = None

    def __bool__(self) -> bool:
        return bool(self._reasons)

    def pause(self, reason: str) -> None:
        if not self._reasons and self._transport is not None:
            self._transport.pause_reading()
        self._reasons.add(reason)

    def resume(self, reason: str) -> None:
        if reason not in self._reasons:
            return
        self._reasons.discard(reason)
        if not self._reasons and self._transport is not None:
            self._transport.resume_reading()

    def clear(self) -> None:
        """Forgets every reason, without reading again: the caller decides what comes next."""
        self._reasons.clear()
