"""The bounded label values: the route a request counts under, and the methods kept by name."""

from typing import Final, Literal

from gateway.front.paths import routed_path
from gateway.front.request import IncomingRequest
from gateway.proxy.routing import Destination

Route = Literal["passthrough", "timers", "analytics", "ops"]
ROUTES: Final[tuple[Route, ...]] = ("passthrough", "timers", "analytics", "ops")
# Any other method (WebDAV's, or made up) counts as "other": a client cannot add series.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD = "other"
# The analytics endpoints of gateway/routes.py (tests/metrics check that the two agree).
ANALYTICS_PATHS = frozenset(
    {
        "/time-trackings/analytics",
        "/time-trackings/team",
        "/time-trackings/reports",
        "/time-trackings/productivity",
        "/time-trackings/timeline",
    }
)


def route_of(where: Destination | None, request: IncomingRequest) -> Route:
    """`where` is None for a request refused before it had one (a bad target): the public
    surface, as far as anyone can tell, so it counts as pass-through."""
    if where is Destination.REDMINE or where is None:
        return "passthrough"
    if where is Destination.OWN:
        # The front routed it already, so its target is one routed_path accepts.
        path = routed_path(request.method, request.target)
        return "analytics" if path in ANALYTICS_PATHS else "timers"
    return "ops"


def method_label(method: str) -> str:
    return method if method in KNOWN_METHODS else OTHER_METHOD
