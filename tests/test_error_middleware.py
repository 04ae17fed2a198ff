"""The error middleware: Redis failures become 503 STORE_UNAVAILABLE, and every 503 says when to
come back (Retry-After)."""

import logging

import pytest
from aiohttp import web
from pytest_aiohttp import AiohttpClient
from redis.exceptions import ConnectionError, RedisError, ResponseError, TimeoutError

from gateway.errors import Conflict, GatewayError, error_middleware


class Overloaded(GatewayError):
    """Any 503 of the gateway's, present or future (e.g. Redmine unreachable)."""

    status = 503
    error_code = "OVERLOADED"
    retry_after_s = 7


def raising(exc: Exception) -> web.Application:
    async def handler(request: web.Request) -> web.StreamResponse:
        raise exc

    app = web.Application(middlewares=[error_middleware])
    app.router.add_get("/", handler)
    return app


@pytest.mark.parametrize(
    "exc",
    [
        ConnectionError("Error 111 connecting to 127.0.0.1:6390."),
        TimeoutError("Timeout reading from 127.0.0.1:6390"),
        ResponseError("OOM command not allowed when used memory > 'maxmemory'."),
        RedisError("anything else Redis says"),
    ],
)
async def test_a_redis_failure_is_a_503_with_retry_after_and_no_traceback(
    aiohttp_client: AiohttpClient, exc: RedisError, caplog: pytest.LogCaptureFixture
) -> None:
    client = await aiohttp_client(raising(exc))
    async with client.get("/") as response:
        assert response.status == 503
        assert response.content_type == "application/json"
        assert int(response.headers["Retry-After"]) > 0
        body = await response.json()
    assert body.keys() == {"message", "error_code", "errors"}
    assert (body["error_code"], body["errors"]) == ("STORE_UNAVAILABLE", {})
    assert not [record for record in caplog.records if record.exc_info]
    [line] = [r for r in caplog.records if r.name == "gateway.errors"]
    assert type(exc).__name__ in line.getMessage()


async def test_every_503_carries_its_retry_after(aiohttp_client: AiohttpClient) -> None:
    client = await aiohttp_client(raising(Overloaded("Busy.")))
    async with client.get("/") as response:
        assert (response.status, response.headers["Retry-After"]) == (503, "7")
        assert (await response.json())["error_code"] == "OVERLOADED"


async def test_other_statuses_carry_no_retry_after(aiohttp_client: AiohttpClient) -> None:
    client = await aiohttp_client(raising(Conflict("Running.")))
    async with client.get("/") as response:
        assert response.status == 409
        assert "Retry-After" not in response.headers


async def test_an_outage_is_a_warning_not_an_error(
    aiohttp_client: AiohttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    client = await aiohttp_client(raising(ConnectionError("Connection closed by server.")))
    async with client.get("/") as response:
        assert response.status == 503
    [line] = [r for r in caplog.records if r.name == "gateway.errors"]
    assert line.levelno == logging.WARNING
