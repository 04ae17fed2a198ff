"""Another method on a path of the gateway's: 405 in the error shape, with Allow (RFC 9110)."""

import pytest

from tests.conftest import GatewayClient
from tests.fakes.redmine import FakeRedmine

# Every path of routes.TABLE with its methods (HEAD comes with GET); found by schemathesis's
# unsupported_method check: /-/ paths answered 404, the others 405 without Allow.
PATHS = {
    "/-/healthz": "GET, HEAD",
    "/-/readyz": "GET, HEAD",
    "/-/metrics": "GET, HEAD",
    "/-/openapi.json": "GET, HEAD",
    "/time-trackings": "GET, HEAD, POST",
    "/time-trackings/active": "GET, HEAD",
    "/time-trackings/analytics": "GET, HEAD",
    "/time-trackings/reports": "GET, HEAD",
    "/time-trackings/1000000000001": "DELETE, GET, HEAD, PUT",
}


@pytest.mark.parametrize(("path", "allowed"), PATHS.items())
@pytest.mark.parametrize("method", ["PATCH", "TRACE"])
async def test_405_names_the_methods_the_path_has(
    client: GatewayClient, redmine: FakeRedmine, path: str, allowed: str, method: str
) -> None:
    response = await client.request(method, path)
    assert response.status == 405
    assert response.headers["Allow"] == allowed
    assert await response.json() == {
        "message": f"{method} is not supported on {path}.",
        "error_code": "METHOD_NOT_ALLOWED",
        "errors": {},
    }
    assert redmine.calls == []


async def test_unknown_operational_paths_stay_404(client: GatewayClient) -> None:
    response = await client.request("DELETE", "/-/nothing-here")
    assert response.status == 404
    assert "Allow" not in response.headers
