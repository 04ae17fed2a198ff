"""Liveness and readiness endpoints under /-/."""

from pytest_aiohttp import AiohttpClient
from redis.asyncio import Redis

from gateway.app import create_app
from gateway.settings import Settings
from tests.conftest import GatewayClient
from tests.fakes.redmine import Canned, FakeRedmine
from tests.ports import free_port


async def test_healthz_answers_without_touching_redmine(
    client: GatewayClient, redmine: FakeRedmine
) -> None:
    response = await client.get("/-/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "ok"}
    assert redmine.calls == []


async def test_readyz_when_redis_and_redmine_answer(
    client: GatewayClient, redmine: FakeRedmine
) -> None:
    redmine.queue(Canned(status=401, body=b""))
    response = await client.get("/-/readyz")
    assert response.status == 200
    assert await response.json() == {"status": "ready", "checks": {"redis": "ok", "redmine": "ok"}}
    # Its question to Redmine is a line of the same request.
    [probe] = redmine.calls
    assert probe.headers["X-Request-Id"] == response.headers["X-Request-Id"]


async def test_readyz_names_redmine_when_it_is_down(
    aiohttp_client: AiohttpClient, redis: Redis
) -> None:
    settings = Settings(redmine_url=f"http://127.0.0.1:{free_port()}/")
    client = await aiohttp_client(create_app(settings, redis=redis))
    response = await client.get("/-/readyz")
    assert response.status == 503
    body = await response.json()
    assert body["error_code"] == "NOT_READY"
    assert set(body["errors"]) == {"redmine"}


async def test_readyz_names_redmine_when_it_fails(
    client: GatewayClient, redmine: FakeRedmine
) -> None:
    redmine.queue(Canned(status=503, body=b""))
    response = await client.get("/-/readyz")
    assert response.status == 503
    assert set((await response.json())["errors"]) == {"redmine"}


async def test_readyz_names_redis_when_it_is_down(
    aiohttp_client: AiohttpClient, redmine: FakeRedmine
) -> None:
    unreachable = Redis(port=free_port(), decode_responses=True)
    try:
        client = await aiohttp_client(
            create_app(Settings(redmine_url=redmine.url), redis=unreachable)
        )
        response = await client.get("/-/readyz")
        assert response.status == 503
        body = await response.json()
        assert set(body["errors"]) == {"redis"}
        assert "redis" in body["message"]
    finally:
        await unreachable.aclose()
