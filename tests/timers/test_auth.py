"""Who calls /time-trackings: API key headers, the identity cache, and keys kept out of sight."""

import logging

import pytest
from fakeredis import FakeAsyncRedis

from gateway.timers.models import TIMER_ID_BASE
from tests.fakes.redmine import Canned
from tests.timers.conftest import Gateway, GatewayFactory, assert_error

CURRENT_USER = "/users/current.json"
TIMER = f"/time-trackings/{TIMER_ID_BASE + 1}"
ENDPOINTS = [
    ("GET", "/time-trackings"),
    ("POST", "/time-trackings"),
    ("GET", "/time-trackings/active"),
    ("GET", TIMER),
    ("PUT", TIMER),
    ("DELETE", TIMER),
    ("GET", "/time-trackings/42"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
async def test_no_key_is_401_before_anything_reaches_redmine(
    gw: Gateway, method: str, path: str
) -> None:
    reply = await gw.request(method, path, login=None, body={"task_uuid": "1"})
    assert_error(reply, 401, "UNAUTHENTICATED")
    assert gw.redmine.calls == []


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer "},
        {"Authorization": "Basic YWxpY2U6YWxpY2UtcGFzc3dvcmQ="},
        {"X-Redmine-API-Key": "  "},
    ],
    ids=["empty-bearer", "basic", "blank-header"],
)
async def test_headers_without_a_key_are_401(gw: Gateway, headers: dict[str, str]) -> None:
    reply = await gw.request("GET", "/time-trackings/active", login=None, headers=headers)
    assert_error(reply, 401, "UNAUTHENTICATED")
    assert gw.redmine.calls == []


async def test_a_key_redmine_refuses_is_401(gw: Gateway) -> None:
    headers = {"Authorization": "Bearer not-a-key"}
    reply = await gw.request("GET", "/time-trackings/active", login=None, headers=headers)
    assert_error(reply, 401, "UNAUTHENTICATED")
    assert gw.paths_since(0) == [CURRENT_USER]


@pytest.mark.parametrize("style", ["Bearer", "bearer", "X-Redmine-API-Key"])
async def test_key_is_accepted_from_either_header(gw: Gateway, style: str) -> None:
    key = gw.redmine.api_key_of("bob")
    headers = (
        {"X-Redmine-API-Key": key}
        if style.startswith("X-")
        else {"Authorization": f"{style} {key}"}
    )
    reply = await gw.request("GET", "/time-trackings/active", login=None, headers=headers)
    assert reply.status == 200, reply.body
    assert reply.body == {"data": None}
    [call] = gw.calls_since(0)
    assert call.raw_path == CURRENT_USER
    assert call.headers["X-Redmine-API-Key"] == key


async def test_identity_is_cached_for_the_ttl(gw: Gateway, redis: FakeAsyncRedis) -> None:
    for _ in range(3):
        assert (await gw.request("GET", "/time-trackings/active")).status == 200
    assert gw.paths_since(0).count(CURRENT_USER) == 1
    [cached] = [k async for k in redis.scan_iter("tg:cache:identity:*")]
    assert 0 < await redis.ttl(cached) <= 60  # GATEWAY_IDENTITY_TTL_S defaults to 60


async def test_identity_cache_follows_the_ttl_setting(
    make_gateway: GatewayFactory, redis: FakeAsyncRedis
) -> None:
    gw = await make_gateway(identity_ttl_s=7)
    assert (await gw.request("GET", "/time-trackings/active")).status == 200
    [cached] = [k async for k in redis.scan_iter("tg:cache:identity:*")]
    assert 0 < await redis.ttl(cached) <= 7


async def test_identity_is_resolved_again_once_the_ttl_is_over(
    make_gateway: GatewayFactory,
) -> None:
    gw = await make_gateway(identity_ttl_s=0)
    for _ in range(2):
        assert (await gw.request("GET", "/time-trackings/active")).status == 200
    assert gw.paths_since(0).count(CURRENT_USER) == 2
    # So a key revoked in Redmine stops working when its cached identity expires.
    old_key = gw.auth("alice")
    gw.redmine.state.users[5].api_key = "revoked-and-replaced"
    reply = await gw.request("GET", "/time-trackings/active", login=None, headers=old_key)
    assert_error(reply, 401, "UNAUTHENTICATED")


async def redis_text(redis: FakeAsyncRedis) -> str:
    """Every key and value in Redis, as one string."""
    parts: list[object] = []
    async for key in redis.scan_iter("*"):
        kind = await redis.type(key)
        parts.append(key)
        if kind == "string":
            parts.append(await redis.get(key))
        elif kind == "hash":
            parts.extend((await redis.hgetall(key)).items())
        elif kind == "zset":
            parts.extend(await redis.zrange(key, 0, -1, withscores=True))
        elif kind == "set":
            parts.extend(await redis.smembers(key))
        elif kind == "list":
            parts.extend(await redis.lrange(key, 0, -1))
        else:
            raise AssertionError(f"unexpected type {kind!r} of {key!r}")
    return "\n".join(map(str, parts))


async def test_keys_are_never_stored_raw_nor_logged(
    gw: Gateway, redis: FakeAsyncRedis, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    key = gw.redmine.api_key_of("alice")
    recorded = await gw.timed(20, description="recorded")
    running = await gw.start(task_uuid="2")
    gw.clock.advance(minutes=30)
    gw.redmine.queue(Canned(status=503))
    pending = await gw.stop(running["id"], expect=202)
    assert pending["status"] == "pending"
    manual = {
        "task_uuid": "3",
        "started_at": "2026-03-02T07:00:00Z",
        "ended_at": "2026-03-02T08:00:00Z",
    }
    assert (await gw.request("POST", "/time-trackings", body=manual)).status == 201
    assert (await gw.listing(project_slug="web-app")).status == 200
    # The pending entry keeps what it needs to be posted later, but never the key as it is.
    stored = await redis_text(redis)
    assert stored and key not in stored
    gw.clock.advance(minutes=1)
    assert await gw.run_outbox() == 1
    assert (await gw.show(running["id"])).data["status"] == "recorded"
    assert (await gw.show(recorded["id"])).data["status"] == "recorded"
    assert key not in await redis_text(redis)
    assert caplog.records, "the flow logs something, so the check below means something"
    assert key not in caplog.text
    assert all(key not in record.getMessage() for record in caplog.records)


async def test_every_upstream_call_is_made_with_the_callers_own_key(gw: Gateway) -> None:
    for login in ("alice", "bob"):
        key = gw.redmine.api_key_of(login)
        mark = gw.mark()
        await gw.timed(15, login, description=f"{login}'s")
        running = await gw.start(login, task_uuid="2")
        assert (await gw.request("GET", "/time-trackings/active", login=login)).status == 200
        assert (await gw.listing(login, project_slug="web-app")).status == 200
        gw.redmine.queue(Canned(status=503))
        await gw.stop(running["id"], login, expect=202)
        gw.clock.advance(minutes=1)
        assert await gw.run_outbox() == 1  # the worker posts with the entry's owner's key
        assert (
            await gw.request("DELETE", f"/time-trackings/{running['id']}", login=login)
        ).status == 204
        calls = gw.calls_since(mark)
        assert len(gw.entry_posts_since(mark)) == 3  # made, refused with 503, retried
        assert {c.headers.get("X-Redmine-API-Key") for c in calls} == {key}, login
        assert all("Authorization" not in c.headers for c in calls)
