"""Label values stay within their sets, and the analytics paths agree with the route table."""

import inspect

import pytest
from aiohttp import web

from gateway import routes
from gateway.analytics import views as analytics_views
from gateway.front.request import IncomingRequest
from gateway.metrics.labels import ANALYTICS_PATHS, ROUTES, method_label, route_of
from gateway.proxy.routing import Destination, destination
from gateway.relay.headers import Fields


def request(method: str, target: bytes) -> IncomingRequest:
    return IncomingRequest(
        method=method,
        target=target,
        http_version="1.1",
        raw_headers=Fields([(b"Host", b"gw")]),
        keeps_alive=True,
        body=None,
        is_chunked=False,
        expects_continue=False,
        started=0.0,
    )


def test_the_analytics_paths_are_the_route_tables() -> None:
    """gateway/routes.py spells the paths; a new analytics endpoint must be counted as such."""
    handlers = {
        handler
        for _, handler in inspect.getmembers(analytics_views, inspect.iscoroutinefunction)
        if handler.__module__ == analytics_views.__name__
    }
    assert handlers, "analytics views found"
    from_table = {
        route.path
        for route in routes.TABLE
        if isinstance(route, web.RouteDef) and route.handler in handlers
    }
    assert from_table == ANALYTICS_PATHS


@pytest.mark.parametrize(
    ("method", "target", "route"),
    [
        ("GET", b"/issues.json?key=secret", "passthrough"),
        ("GET", b"/", "passthrough"),
        ("GET", b"/time-trackings", "timers"),
        ("PUT", b"/time-trackings/1000000000001", "timers"),
        ("GET", b"/time-trackings/nothing/here", "timers"),
        ("GET", b"/time-trackings/analytics?from=2026-01-01", "analytics"),
        ("GET", b"/time-trackings/%74eam", "analytics"),  # as aiohttp's router decodes it
        ("GET", b"/time-trackings/timeline", "analytics"),
        ("GET", b"/-/healthz", "ops"),
        ("POST", b"/-/healthz", "ops"),
        ("GET", b"/-/metrics", "ops"),
        ("GET", b"/-/anything", "ops"),
    ],
)
def test_route_of_each_kind_of_path(method: str, target: bytes, route: str) -> None:
    incoming = request(method, target)
    assert route_of(destination(incoming), incoming) == route


def test_a_request_refused_before_routing_counts_as_passthrough() -> None:
    assert route_of(None, request("GET", b"*")) == "passthrough"
    assert set(ROUTES) == {"passthrough", "timers", "analytics", "ops"}
    assert {route_of(where, request("GET", b"/-/x")) for where in Destination} <= set(ROUTES)


@pytest.mark.parametrize(
    ("method", "label"),
    [
        ("GET", "GET"),
        ("DELETE", "DELETE"),
        ("PATCH", "PATCH"),
        ("PROPFIND", "other"),
        ("get", "other"),
        ("X" * 200, "other"),
    ],
)
def test_methods_outside_the_known_set_are_other(method: str, label: str) -> None:
    assert method_label(method) == label
