"""Middleware that refuses request targets which would turn the gateway into an open proxy."""

from aiohttp import hdrs, web

from gateway.errors import BadRequest, Handler, MethodNotAllowed


@web.middleware
async def refuse_foreign_targets(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method == hdrs.METH_CONNECT:
        raise MethodNotAllowed("CONNECT is not supported: the gateway only forwards to Redmine.")
    if request.message.url.absolute:
        raise BadRequest("Absolute-form request targets are refused: send the path only.")
    return await handler(request)
