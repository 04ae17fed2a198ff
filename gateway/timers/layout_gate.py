"""Timer requests wait (503, Retry-After) until timers stored by earlier versions have moved
into the buckets: served half-moved, a timer could be started twice or not be found."""

from aiohttp import web
from aiohttp.typedefs import Handler

from gateway.appkeys import LAYOUT
from gateway.errors import StoreUnavailable
from gateway.routes import PAGE_API

TIMER_PATHS = ("/time-trackings", PAGE_API)


@web.middleware
async def layout_gate(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith(TIMER_PATHS) and not request.app[LAYOUT].done.is_set():
        raise StoreUnavailable("Timers stored by an earlier version are being moved; try again.")
    return await handler(request)
