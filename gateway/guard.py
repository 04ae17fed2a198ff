"""Middleware that refuses request targets which would turn the gateway into an open proxy."""

from aiohttp import hdrs, web

from gateway.errors import BadRequest, Handler, MethodNotAllowed


@web.middleware
async def refuse_foreign_targets(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method == hdrs.METH_CONNECT:
        raise MethodNotAllowed("CONNECT is not supported: the gateway only forwards to Redmine.")
    # Origin-form targets start with "/"; absolute-form ("http://host/...") and asterisk-form
    # ("*") would name something other than Redmine.
    if not request.raw_path.startswith("/"):
        raise BadRequest("Only origin-form request targets (a path) are accepted.")
    return await handler(request)
