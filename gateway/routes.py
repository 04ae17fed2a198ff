"""The route table: the only place URL paths are spelled."""

from collections.abc import Mapping

from aiohttp import hdrs, web

from gateway import health
from gateway.analytics import views as analytics
from gateway.contract import views as contract
from gateway.errors import Handler, MethodNotAllowed
from gateway.metrics import views as metrics
from gateway.page import views as page
from gateway.page.api import behind_session
from gateway.timers import cli_views as cli
from gateway.timers import views as timers
from gateway.workspace import views as workspace

TIMER = r"/time-trackings/{timer_id:\d{1,18}}"
# The timer page (served on the public port even with GATEWAY_ADMIN_PORT), and under it the
# page's API: its session, the issue picker and the time-tracking API behind the session.
PAGE_ROOT = "/-/app/"
PAGE_API = "/-/app/api"


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
    # /-/app/ is the page's, below.
    web.route(hdrs.METH_ANY, "/-/{reserved:(?!app(?:/|$)).*}", health.reserved_not_found),
    *own("/time-trackings", {hdrs.METH_GET: timers.index, hdrs.METH_POST: timers.start}),
    *own("/time-trackings/active", {hdrs.METH_GET: cli.active}),
    # The GitScrum CLI's own paths (gitscrum-core/cli, pkg/cmd/timer/timer.go).
    *own("/time-trackings/start", {hdrs.METH_POST: cli.start_timer}),
    *own("/time-trackings/stop-all", {hdrs.METH_POST: cli.stop_all}),
    # [\s\S]: a code may hold any character, a decoded %0A too.
    *own(r"/time-trackings/resolve-task/{code:[\s\S]*}", {hdrs.METH_GET: cli.resolve_task}),
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
    # GitScrum's workspace list, and its search (only with `categories`: the front sends every
    # other /search to Redmine).
    *own("/workspaces", {hdrs.METH_GET: workspace.workspaces}),
    *own("/search", {hdrs.METH_GET: workspace.search}),
    # Everything under /time-trackings is the gateway's, known or not: never Redmine's.
    web.route(hdrs.METH_ANY, r"/time-trackings/{unknown:[\s\S]*}", timers.unknown),
]


def behind_page_session(table: list[web.RouteDef]) -> list[web.RouteDef]:
    """The /time-trackings routes again under PAGE_API, each taking its caller from the page's
    session (the catch-alls, which need no caller, as they are)."""
    return [
        web.RouteDef(
            route.method,
            PAGE_API + route.path,
            route.handler if route.method == hdrs.METH_ANY else behind_session(route.handler),
            route.kwargs,
        )
        for route in table
        if route.path.startswith("/time-trackings")
    ]


TABLE = [
    *TABLE,
    *own("/-/app", {hdrs.METH_GET: page.to_index}),
    *own(PAGE_ROOT, {hdrs.METH_GET: page.index}),
    *own(
        PAGE_API + "/session",
        {
            hdrs.METH_GET: page.session,
            hdrs.METH_POST: page.sign_in,
            hdrs.METH_DELETE: page.sign_out,
        },
    ),
    *own(PAGE_API + "/issues", {hdrs.METH_GET: page.issues}),
    *behind_page_session(TABLE),
    web.route(hdrs.METH_ANY, PAGE_API + "/{unknown:.*}", page.unknown),
    *own(PAGE_ROOT + "{name:[A-Za-z0-9_-]{1,64}\\.[a-z]{2,4}}", {hdrs.METH_GET: page.asset}),
    web.route(hdrs.METH_ANY, PAGE_ROOT + "{unknown:.*}", page.unknown),
]
