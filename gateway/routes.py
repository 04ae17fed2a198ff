"""The route table: the only place URL paths are spelled."""

from aiohttp import web

from gateway import health
from gateway.appkeys import PROXY


async def pass_through(request: web.Request) -> web.StreamResponse:
    return await request.app[PROXY].handle(request)


TABLE = [
    web.get("/-/healthz", health.healthz),
    web.get("/-/readyz", health.readyz),
    web.route("*", "/-/{reserved:.*}", health.reserved_not_found),
    web.route("*", "/{anything:.*}", pass_through),
]
