"""Answer body pieces received and not yet relayed, and when the socket stops being read."""

import asyncio
from collections import deque

from gateway.limits import RelayLimits


class Backlog:
    """Above the high mark the socket stops being read, so a slow client never makes the gateway
    hold a whole download in memory; below the low mark reading resumes."""

    def __init__(self, limits: RelayLimits) -> None:
        self._limits = limits
        self._pieces: deque[bytes] = deque()
        self._bytes = 0
        self._is_paused = False

    def __bool__(self) -> bool:
        return bool(self._pieces)

    def clear(self) -> None:
        self._pieces.clear()
        self._bytes = 0

    def push(self, piece: bytes, transport: asyncio.Transport) -> None:
        self._pieces.append(piece)
        self._bytes += len(piece)
        if self._bytes > self._limits.read_high_water_bytes and not self._is_paused:
            transport.pause_reading()
            self._is_paused = True

    def pop(self, transport: asyncio.Transport) -> bytes:
        piece = self._pieces.popleft()
        self._bytes -= len(piece)
        if self._is_paused and self._bytes < self._limits.read_low_water_bytes:
            self._is_paused = False
            transport.resume_reading()
        return piece
