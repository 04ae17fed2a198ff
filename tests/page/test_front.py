"""The page through the whole gateway (front and app): never Redmine's, on the public port."""

import pytest

from gateway.settings import Settings
from tests.conftest import ServedGateway
from tests.fakes.redmine import FakeRedmine
from tests.metrics.test_admin_port import admin_url


@pytest.mark.parametrize("admin_port", [None, 0])
async def test_the_page_is_served_on_the_public_port(
    served_gateway: ServedGateway, redmine: FakeRedmine, admin_port: int | None
) -> None:
    gateway = await served_gateway(Settings(redmine_url=redmine.url, admin_port=admin_port))
    async with gateway.get("/-/app/") as response:
        assert response.status == 200 and response.content_type == "text/html"
    async with gateway.get("/-/app/api/session") as response:
        assert response.status == 401
        assert (await response.json())["error_code"] == "UNAUTHENTICATED"
    async with gateway.get("/-/app/elsewhere/x") as response:
        assert response.status == 404
    assert redmine.calls == []


async def test_the_page_is_not_on_the_admin_port(
    served_gateway: ServedGateway, redmine: FakeRedmine
) -> None:
    gateway = await served_gateway(Settings(redmine_url=redmine.url, admin_port=0))
    async with gateway.session.get(admin_url(gateway, "/-/app/")) as response:
        assert response.status == 404
    async with gateway.session.get(admin_url(gateway, "/-/healthz")) as response:
        assert response.status == 200
    # Everything else under /-/ stays off the public port.
    async with gateway.get("/-/healthz") as response:
        assert response.status == 404
    async with gateway.get("/-/application") as response:
        assert response.status == 404
