"""GATEWAY_ADMIN_PORT: /-/ is served on the admin listener only, and 404 on the public one."""

import aiohttp
import pytest

from gateway.settings import Settings
from tests.conftest import GatewayClient, ServedGateway
from tests.fakes.redmine import FakeRedmine
from tests.front_server import GatewayTestServer
from tests.metrics.scrape import scrape

OPS_PATHS = ["/-/healthz", "/-/readyz", "/-/metrics"]


@pytest.fixture
async def gateway(served_gateway: ServedGateway, redmine: FakeRedmine) -> GatewayClient:
    # Port 0: the admin listener takes a free port; the front reports which.
    return await served_gateway(Settings(redmine_url=redmine.url, admin_port=0))


def admin_url(gateway: GatewayClient, path: str) -> str:
    server = gateway.server
    assert isinstance(server, GatewayTestServer) and server.front is not None
    assert server.front.admin_port not in (None, 0, server.port)
    return f"http://{server.host}:{server.front.admin_port}{path}"


async def answer(session: aiohttp.ClientSession, url: str) -> tuple[int, object]:
    async with session.get(url) as response:
        is_json = response.content_type == "application/json"
        return response.status, await response.json() if is_json else None


@pytest.mark.parametrize("path", OPS_PATHS)
async def test_ops_paths_are_404_on_the_public_port(gateway: GatewayClient, path: str) -> None:
    status, body = await answer(gateway.session, str(gateway.make_url(path)))
    assert status == 404
    assert isinstance(body, dict) and body["error_code"] == "NOT_FOUND"
    assert set(body) == {"message", "error_code", "errors"}


@pytest.mark.parametrize("path", ["/-/healthz", "/-/readyz"])
async def test_health_is_served_on_the_admin_port(gateway: GatewayClient, path: str) -> None:
    status, body = await answer(gateway.session, admin_url(gateway, path))
    assert status == 200
    assert isinstance(body, dict) and body["status"] in ("ok", "ready")


async def test_metrics_are_served_on_the_admin_port_and_count_both(
    gateway: GatewayClient, redmine: FakeRedmine
) -> None:
    assert (await answer(gateway.session, str(gateway.make_url("/issues.json"))))[0] == 200
    assert (await answer(gateway.session, str(gateway.make_url("/-/metrics"))))[0] == 404
    assert (await answer(gateway.session, admin_url(gateway, "/-/healthz")))[0] == 200
    metrics = await scrape(gateway.session, admin_url(gateway, "/-/metrics"))
    requests = {
        (labels["route"], labels["code"]): value
        for labels, value in metrics.values("gateway_requests_total")
    }
    assert requests == {("passthrough", "200"): 1, ("ops", "404"): 1, ("ops", "200"): 1}
    assert len(redmine.calls) == 1


@pytest.mark.parametrize("path", ["/issues.json", "/time-trackings", "/time-trackings/active"])
async def test_only_ops_paths_are_served_on_the_admin_port(
    gateway: GatewayClient, redmine: FakeRedmine, path: str
) -> None:
    status, body = await answer(gateway.session, admin_url(gateway, path))
    assert status == 404
    assert isinstance(body, dict) and body["error_code"] == "NOT_FOUND"
    assert redmine.calls == []


async def test_the_public_port_still_serves_redmine_and_timers(gateway: GatewayClient) -> None:
    assert (await answer(gateway.session, str(gateway.make_url("/issues.json"))))[0] == 200
    status, body = await answer(gateway.session, str(gateway.make_url("/time-trackings")))
    assert status == 401
    assert isinstance(body, dict) and body["error_code"] == "UNAUTHENTICATED"


def test_the_admin_port_cannot_be_the_public_one() -> None:
    with pytest.raises(ValueError, match="GATEWAY_ADMIN_PORT must differ"):
        Settings(redmine_url="http://redmine.test/", port=8080, admin_port=8080)
