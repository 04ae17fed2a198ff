"""A scriptable stand-in for Redmine: records every request and answers with canned responses."""

import asyncio
from collections import deque
from dataclasses import dataclass, field

from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    raw_path: str
    headers: CIMultiDictProxy[str]
    body: bytes
    peer_port: int
    raw_headers: tuple[tuple[bytes, bytes], ...] = ()


@dataclass
class Canned:
    status: int = 200
    body: bytes = b'{"ok":true}'
    headers: CIMultiDict[str] = field(
        default_factory=lambda: CIMultiDict({"Content-Type": "application/json; charset=utf-8"})
    )
    delay_s: float = 0.0
    drop_connection: bool = False
    chunked: bool = False


class FakeRedmine:
    """Answers queued responses in order, then the default; `calls` holds what it received.

    `outage` answers every request alike while it is set: `Canned(drop_connection=True)` for a
    Redmine that cannot be reached, `Canned(status=503)` for one that is down for maintenance.
    """

    def __init__(self) -> None:
        self.calls: list[RecordedRequest] = []
        self.queued: deque[Canned] = deque()
        self.default = Canned()
        # While set, every request gets this answer (e.g. an outage), ahead of any queued one.
        self.outage: Canned | None = None
        self.url = ""
        self.app = web.Application()
        self.app.router.add_route("*", "/{anything:.*}", self._handle)

    def queue(self, *responses: Canned) -> None:
        self.queued.extend(responses)

    async def _record(self, request: web.Request) -> bytes:
        body = await request.read()
        peer = request.transport.get_extra_info("peername") if request.transport else None
        self.calls.append(
            RecordedRequest(
                request.method,
                request.raw_path,
                request.headers,
                body,
                peer[1] if peer else 0,
                request.raw_headers,
            )
        )
        return body

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        await self._record(request)
        canned = self.outage or (self.queued.popleft() if self.queued else self.default)
        if canned.delay_s:
            await asyncio.sleep(canned.delay_s)
        if canned.drop_connection:
            assert request.transport is not None
            request.transport.close()
            return web.Response()
        if canned.chunked:
            response = web.StreamResponse(status=canned.status, headers=canned.headers)
            response.enable_chunked_encoding()
            await response.prepare(request)
            await response.write(canned.body)
            await response.write_eof()
            return response
        return web.Response(status=canned.status, body=canned.body, headers=canned.headers)
