"""GET /-/openapi.json: the document built once at start-up (contract_ctx), served as is."""

from aiohttp import web

from gateway.appkeys import OPENAPI


async def openapi(request: web.Request) -> web.Response:
    return web.Response(body=request.app[OPENAPI], content_type="application/json")
