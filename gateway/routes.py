"""The route table: the only place URL paths are spelled."""

from collections.abc import Mapping

from aiohttp import hdrs, web

from gateway import health
from gateway.analytics import views as analytics
from gateway.contract import views as contract
from gateway.errors import Handler, MethodNotAllowed
from gateway.metrics import views as metrics
from gateway.timers import views as timers

TIMER = r"/time-trackings/{timer_id:\d{1,18}}"


def own(path: str, handlers: Mapping[str, Handler]) -> list[web.RouteDef]:
    """A path of the gateway's: these methods, and 405 in the error shape for any other (the
    front sends every method on these paths here, never to Redmine; /-/ ones included)."""
    routes = [
        # web.get also answers HEAD, as aiohttp does for every GET route.
        web.get(path, handler) if method == hdrs.METH_GET else web.route(method, path, handler)
        for method, handler in handlers.items()
    ]
    return [*routes, web.route(hdrs.METH_ANY, path, not_allowed)]


async def not_allowed(request: web.Request) -> web.Response:
    """Any other method on a path of ours: 405, with the path's methods as Allow."""
    resource = request.match_info.route.resource
    methods = {route.method for route in resource or ()} - {hdrs.METH_ANY}
    raise MethodNotAllowed(
        f"{request.method} is not supported on {request.path}.", allowed=sorted(methods)
    )


TABLE = [
    *own("/-/healthz", {hdrs.METH_GET: health.healthz}),
    *own("/-/readyz", {hdrs.METH_GET: health.readyz}),
    *own("/-/metrics", {hdrs.METH_GET: metrics.metrics}),
    *own("/-/openapi.json", {hdrs.METH_GET: contract.openapi}),
    web.route(hdrs.METH_ANY, "/-/{reserved:.*}", health.reserved_not_found),
    *own("/time-trackings", {hdrs.METH_GET: timers.index, hdrs.METH_POST: timers.start}),
    *own("/time-trackings/active", {hdrs.METH_GET: timers.active}),
    # Before TIMER and the catch-all below, which would take these paths otherwise.
    *own("/time-trackings/analytics", {hdrs.METH_GET: analytics.analytics}),
    *own("/time-trackings/team", {hdrs.METH_GET: analytics.team}),
    *own("/time-trackings/reports", {hdrs.METH_GET: analytics.reports}),
    *own("/time-trackings/productivity", {hdrs.METH_GET: analytics.productivity}),
    *own("/time-trackings/timeline", {hdrs.METH_GET: analytics.timeline}),
    *own(
        TIMER,
        {hdrs.METH_GET: timers.show, hdrs.METH_PUT: timers.stop, hdrs.METH_DELETE: timers.delete},
    ),
    *own(TIMER + "/pause", {hdrs.METH_POST: timers.pause}),
    *own(TIMER + "/resume", {hdrs.METH_POST: timers.resume}),
    # Everything under /time-trackings is the gateway's, known or not: never Redmine's.
    web.route(hdrs.METH_ANY, "/time-trackings/{unknown:.*}", timers.unknown),
]
