"""Streaming pass-through of every request the gateway does not own to Redmine."""

import logging
from collections.abc import Iterable

import aiohttp
from aiohttp import hdrs, web
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from gateway.errors import BadRequest, UpstreamTimeout, UpstreamUnavailable

log = logging.getLogger(__name__)

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
# The client library must not add headers the caller did not send (Redmine would see a different
# request than it would without the gateway).
NO_AUTO_HEADERS = frozenset({hdrs.ACCEPT, hdrs.ACCEPT_ENCODING, hdrs.USER_AGENT, hdrs.CONTENT_TYPE})
BUFFERED_BODY_MAX_BYTES = 256 * 1024
STREAM_CHUNK_BYTES = 64 * 1024


def connection_listed(headers: CIMultiDictProxy[str]) -> set[str]:
    """Names a Connection header declares hop-by-hop for this one message."""
    listed: set[str] = set()
    for value in headers.getall(hdrs.CONNECTION, ()):
        listed.update(token.strip().lower() for token in value.split(","))
    return listed


def end_to_end(
    raw: Iterable[tuple[bytes, bytes]], headers: CIMultiDictProxy[str]
) -> Iterable[tuple[str, str]]:
    """The end-to-end headers of a message, names spelled exactly as received.

    Read from the raw headers (the parsed ones re-case some names, ETag as Etag) and decoded the
    way aiohttp encodes what it writes, so every byte goes out as it came in.
    """
    dropped = HOP_BY_HOP | connection_listed(headers) if hdrs.CONNECTION in headers else HOP_BY_HOP
    for raw_name, raw_value in raw:
        name = raw_name.decode("utf-8", "surrogateescape")
        if name.lower() not in dropped:
            yield name, raw_value.decode("utf-8", "surrogateescape")


def escapes_root(path: str) -> bool:
    """Whether dot-segments in a (decoded) path climb above its first segment."""
    depth = 0
    for segment in path.split("/"):
        if segment == "..":
            depth -= 1
            if depth < 0:
                return True
        elif segment not in ("", "."):
            depth += 1
    return False


class Proxy:
    """Forwards a request to Redmine byte for byte and streams the answer back."""

    def __init__(self, session: aiohttp.ClientSession, redmine_base: str) -> None:
        self._session = session
        self._base = redmine_base

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if escapes_root(request.path):
            raise BadRequest("The request path climbs above the gateway's root.")
        url = URL(self._base + request.raw_path, encoded=True)
        headers = self._upstream_headers(request)
        upstream = await self._send(request, url, headers)
        try:
            return await self._relay(request, upstream)
        finally:
            upstream.release()

    def _upstream_headers(self, request: web.Request) -> CIMultiDict[str]:
        headers = CIMultiDict(end_to_end(request.raw_headers, request.headers))
        peer = request.remote or ""
        prior = headers.get(hdrs.X_FORWARDED_FOR)
        headers[hdrs.X_FORWARDED_FOR] = f"{prior}, {peer}" if prior else peer
        headers[hdrs.X_FORWARDED_PROTO] = request.scheme
        if hdrs.HOST in request.headers:
            headers[hdrs.X_FORWARDED_HOST] = request.headers[hdrs.HOST]
        return headers

    async def _send(
        self, request: web.Request, url: URL, headers: CIMultiDict[str]
    ) -> aiohttp.ClientResponse:
        # aiohttp itself resends an idempotent request once when a pooled keep-alive connection
        # turns out to be closed, and only while no byte of its body has been consumed; POST and
        # PATCH are never resent.
        try:
            return await self._session.request(
                request.method,
                url,
                headers=headers,
                data=request.content if request.body_exists else None,
                allow_redirects=False,
                skip_auto_headers=NO_AUTO_HEADERS,
            )
        except TimeoutError as exc:
            log.warning("upstream timeout method=%s path=%s", request.method, request.path)
            raise UpstreamTimeout("Redmine did not answer in time.") from exc
        except aiohttp.ClientError as exc:
            log.warning(
                "upstream unavailable method=%s path=%s error=%s",
                request.method,
                request.path,
                type(exc).__name__,
            )
            raise UpstreamUnavailable("Redmine could not be reached.") from exc

    async def _relay(
        self, request: web.Request, upstream: aiohttp.ClientResponse
    ) -> web.StreamResponse:
        headers = CIMultiDict(end_to_end(upstream.raw_headers, upstream.headers))
        length = upstream.content_length
        if (
            length is not None
            and length <= BUFFERED_BODY_MAX_BYTES
            and request.method != hdrs.METH_HEAD
            and upstream.status not in (204, 304)
        ):
            body = await self._read_small(upstream)
            return web.Response(
                status=upstream.status, reason=upstream.reason, headers=headers, body=body
            )
        response = web.StreamResponse(
            status=upstream.status, reason=upstream.reason, headers=headers
        )
        await response.prepare(request)
        try:
            async for chunk in upstream.content.iter_chunked(STREAM_CHUNK_BYTES):
                await response.write(chunk)
        except (aiohttp.ClientError, TimeoutError) as exc:
            # Headers are already sent: the only honest signal left is a cut connection.
            log.warning("upstream body aborted path=%s error=%s", request.path, type(exc).__name__)
            if request.transport is not None:
                request.transport.close()
            return response
        await response.write_eof()
        return response

    @staticmethod
    async def _read_small(upstream: aiohttp.ClientResponse) -> bytes:
        try:
            return await upstream.read()
        except TimeoutError as exc:
            raise UpstreamTimeout("Redmine did not finish its answer in time.") from exc
        except aiohttp.ClientError as exc:
            raise UpstreamUnavailable("Redmine's answer was cut off.") from exc
