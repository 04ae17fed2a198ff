"""The route table: the only place URL paths are spelled."""

from aiohttp import web

from gateway import health
from gateway.analytics import views as analytics
from gateway.appkeys import PROXY
from gateway.timers import views as timers

TIMER = r"/time-trackings/{timer_id:\d{1,18}}"


async def pass_through(request: web.Request) -> web.StreamResponse:
    return await request.app[PROXY].handle(request)


TABLE = [
    web.get("/-/healthz", health.healthz),
    web.get("/-/readyz", health.readyz),
    web.route("*", "/-/{reserved:.*}", health.reserved_not_found),
    web.get("/time-trackings", timers.index),
    web.post("/time-trackings", timers.start),
    web.route("*", "/time-trackings", timers.not_allowed),
    web.get("/time-trackings/active", timers.active),
    web.route("*", "/time-trackings/active", timers.not_allowed),
    # Before TIMER and the catch-all below, which would take these paths otherwise.
    web.get("/time-trackings/analytics", analytics.analytics),
    web.route("*", "/time-trackings/analytics", timers.not_allowed),
    web.get("/time-trackings/team", analytics.team),
    web.route("*", "/time-trackings/team", timers.not_allowed),
    web.get("/time-trackings/reports", analytics.reports),
    web.route("*", "/time-trackings/reports", timers.not_allowed),
    web.get("/time-trackings/productivity", analytics.productivity),
    web.route("*", "/time-trackings/productivity", timers.not_allowed),
    web.get("/time-trackings/timeline", analytics.timeline),
    web.route("*", "/time-trackings/timeline", timers.not_allowed),
    web.get(TIMER, timers.show),
    web.put(TIMER, timers.stop),
    web.delete(TIMER, timers.delete),
    web.route("*", TIMER, timers.not_allowed),
    # Everything under /time-trackings is the gateway's, known or not: never Redmine's.
    web.route("*", "/time-trackings/{unknown:.*}", timers.unknown),
    web.route("*", "/{anything:.*}", pass_through),
]
