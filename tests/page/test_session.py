"""Signing in and out of the page, its cookie, its idle expiry and where the session is kept."""

import logging

import pytest
from fakeredis import FakeAsyncRedis, FakeServer
from pytest_aiohttp import AiohttpClient

from gateway.app import create_app
from gateway.settings import Settings
from tests.clock import ManualClock
from tests.fakes.redmine_api import FakeRedmineApi
from tests.fakes.redmine_state import harness_api_key
from tests.ports import free_port

from .conftest import API, PageGateway, PageUser, assert_error

SESSION = f"{API}/session"


async def test_sign_in_with_login_and_password_sets_a_strict_http_only_cookie(
    page: PageGateway,
) -> None:
    user = page.user()
    reply = await user.sign_in(login="alice", password="alice-password")
    assert reply.status == 201, reply.body
    assert reply.data["user"] == {"id": 5, "username": "alice", "name": "Alice Tester"}
    assert reply.data["csrf_token"]
    assert reply.data["idle_minutes"] == 30
    assert harness_api_key("alice") not in str(reply.body)
    cookie = reply.cookie
    assert cookie is not None and len(cookie.value) >= 40
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Strict"
    assert cookie["path"] == "/-/app/"
    # Plain http: a Secure cookie would never come back.
    assert cookie["secure"] == ""
    # The browser session's cookie: no Max-Age or Expires (the gateway ends it when idle).
    assert cookie["max-age"] == "" and cookie["expires"] == ""
    # Redmine was asked with Basic auth, as the user.
    basic = [c for c in page.redmine.calls if c.raw_path.startswith("/users/current.json")]
    assert basic and basic[-1].headers["Authorization"].startswith("Basic ")


async def test_the_cookie_is_secure_behind_an_https_proxy(page: PageGateway) -> None:
    user = page.user()
    user.extra["X-Forwarded-Proto"] = "https"
    reply = await user.sign_in(login="alice", password="alice-password")
    assert reply.status == 201
    assert reply.cookie is not None and reply.cookie["secure"] is True


async def test_x_forwarded_proto_http_keeps_the_cookie_plain(page: PageGateway) -> None:
    user = page.user()
    user.extra["X-Forwarded-Proto"] = "http, https"
    reply = await user.sign_in(login="alice", password="alice-password")
    assert reply.cookie is not None and reply.cookie["secure"] == ""


async def test_redis_keeps_a_hash_of_the_session_id_and_the_key_encrypted(
    page: PageGateway,
) -> None:
    user = await page.signed_in("alice")
    keys = await page.session_keys()
    assert len(keys) == 1
    assert user.session_id is not None and user.session_id not in keys[0]
    stored = await page.redis.get(keys[0])
    assert stored is not None
    assert harness_api_key("alice") not in stored
    assert user.session_id not in stored
    # Expires on its own after the idle time (30 minutes here).
    assert 0 < await page.redis.ttl(keys[0]) <= 30 * 60


async def test_sign_in_with_an_api_key(page: PageGateway) -> None:
    user = page.user()
    reply = await user.sign_in(api_key=harness_api_key("bob"))
    assert reply.status == 201, reply.body
    assert reply.data["user"]["username"] == "bob"
    again = await user.request("GET", SESSION)
    assert again.status == 200 and again.data["user"]["username"] == "bob"


async def test_a_wrong_password_is_401_and_opens_nothing(page: PageGateway) -> None:
    reply = await page.user().sign_in(login="alice", password="wrong")
    assert_error(reply, 401, "UNAUTHENTICATED")
    assert "login and password" in reply.body["message"]
    assert reply.cookie is None
    assert await page.session_keys() == []


async def test_a_wrong_api_key_is_401(page: PageGateway) -> None:
    reply = await page.user().sign_in(api_key="not-a-key")
    assert_error(reply, 401, "UNAUTHENTICATED")
    assert await page.session_keys() == []


@pytest.mark.parametrize(
    "form",
    [
        {},
        {"login": "alice"},
        {"password": "x"},
        {"login": "alice", "password": "alice-password", "api_key": "k"},
        {"login": "", "password": "x"},
        {"login": "alice", "password": "x", "remember": "yes"},
    ],
)
async def test_a_sign_in_form_that_is_not_one_way_is_422(
    page: PageGateway, form: dict[str, str]
) -> None:
    assert_error(await page.user().sign_in(**form), 422, "VALIDATION_FAILED")


@pytest.mark.parametrize(
    "api_key", ["abc\ndef", "key with spaces", "ключ", "tab\tkey", "\x7f"], ids=repr
)
async def test_an_api_key_no_header_could_carry_is_422_not_a_call_to_redmine(
    page: PageGateway, api_key: str
) -> None:
    """Found by schemathesis: such a key made the call to Redmine fail in the client (502)."""
    reply = await page.user().sign_in(api_key=api_key)
    assert_error(reply, 422, "VALIDATION_FAILED")
    assert "api_key" in str(reply.body["errors"]), reply.body
    assert await page.session_keys() == []


async def test_a_sign_in_that_is_not_json_is_400(page: PageGateway) -> None:
    user = page.user()
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    reply = await user.request("POST", SESSION, headers=form)
    assert_error(reply, 400, "BAD_REQUEST")
    broken = await user.request("POST", SESSION, headers={"Content-Type": "application/json"})
    assert broken.status in (400, 422)


async def test_redmine_down_at_sign_in_is_503_with_retry_after(
    aiohttp_client: AiohttpClient, redis: FakeAsyncRedis, clock: ManualClock
) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    app = create_app(Settings(redmine_url=nowhere), redis=redis, clock=clock, outbox_worker=False)
    user = PageUser(await aiohttp_client(app))
    for form in ({"login": "alice", "password": "x"}, {"api_key": harness_api_key("alice")}):
        reply = await user.sign_in(**form)
        assert_error(reply, 503, "UPSTREAM_UNAVAILABLE")
        assert reply.headers["Retry-After"] == "5"
        assert reply.cookie is None


async def test_redis_down_is_503_with_retry_after(
    aiohttp_client: AiohttpClient, redmine_api: FakeRedmineApi, clock: ManualClock
) -> None:
    server = FakeServer()
    redis = FakeAsyncRedis(server=server, decode_responses=True)
    app = create_app(
        Settings(redmine_url=redmine_api.url), redis=redis, clock=clock, outbox_worker=False
    )
    user = PageUser(await aiohttp_client(app))
    assert (await user.sign_in(login="alice", password="alice-password")).status == 201
    server.connected = False
    reply = await user.request("GET", SESSION)
    assert_error(reply, 503, "STORE_UNAVAILABLE")
    assert reply.headers["Retry-After"] == "5"
    stopped = await user.request("POST", f"{API}/time-trackings", {"task_uuid": "1"})
    assert_error(stopped, 503, "STORE_UNAVAILABLE")
    signed_in = await PageUser(user.client).sign_in(login="alice", password="alice-password")
    assert_error(signed_in, 503, "STORE_UNAVAILABLE")
    await redis.aclose()


async def test_the_session_answers_the_same_csrf_token_after_a_reload(page: PageGateway) -> None:
    user = await page.signed_in()
    reply = await user.request("GET", SESSION)
    assert reply.status == 200
    assert reply.data["csrf_token"] == user.csrf
    assert reply.data["today"] == "2026-03-02"
    assert reply.data["timezone"] == "UTC"
    assert reply.data["features"] == {"pause": True, "resume": True}


async def test_no_cookie_is_401_and_an_unknown_one_is_session_expired(page: PageGateway) -> None:
    user = page.user()
    assert_error(await user.request("GET", SESSION), 401, "UNAUTHENTICATED")
    user.session_id = "forged-or-old"
    assert_error(await user.request("GET", SESSION), 401, "SESSION_EXPIRED")


async def test_a_session_idle_too_long_ends_and_leaves_redis(page: PageGateway) -> None:
    user = await page.signed_in()
    page.clock.advance(minutes=30)
    assert_error(await user.request("GET", SESSION), 401, "SESSION_EXPIRED")
    assert await page.session_keys() == []


async def test_using_the_session_keeps_it_alive(page: PageGateway) -> None:
    user = await page.signed_in()
    for _ in range(3):
        page.clock.advance(minutes=20)
        assert (await user.request("GET", f"{API}/time-trackings/active")).status == 200
    assert (await user.request("GET", SESSION)).status == 200


async def test_sign_out_ends_the_session_in_redis_and_clears_the_cookie(
    page: PageGateway,
) -> None:
    user = await page.signed_in()
    other = await page.signed_in("bob")
    reply = await user.request("DELETE", SESSION)
    assert reply.status == 204
    assert reply.cookie is not None and reply.cookie.value == ""
    assert reply.cookie["max-age"] == "0" and reply.cookie["path"] == "/-/app/"
    assert len(await page.session_keys()) == 1  # bob's
    assert_error(await user.request("GET", SESSION), 401, "SESSION_EXPIRED")
    assert (await other.request("GET", SESSION)).status == 200


async def test_sign_out_without_the_csrf_token_is_refused(page: PageGateway) -> None:
    user = await page.signed_in()
    assert_error(await user.request("DELETE", SESSION, csrf=False), 403, "CSRF_FAILED")
    assert (await user.request("GET", SESSION)).status == 200


async def test_signing_in_again_ends_the_previous_session(page: PageGateway) -> None:
    user = await page.signed_in()
    first = user.session_id
    reply = await user.sign_in(login="alice", password="alice-password")
    assert reply.status == 201 and user.session_id != first
    assert len(await page.session_keys()) == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ],
)
async def test_a_sign_in_from_another_origin_is_refused(
    page: PageGateway, headers: dict[str, str]
) -> None:
    user = page.user()
    form = {"login": "alice", "password": "alice-password"}
    reply = await user.request("POST", SESSION, form, headers=headers)
    assert_error(reply, 403, "CSRF_FAILED")
    assert await page.session_keys() == []


async def test_a_sign_in_from_the_page_itself_is_accepted(page: PageGateway) -> None:
    user = page.user()
    user.origin = f"http://{page.client.host}:{page.client.port}"
    user.extra["Sec-Fetch-Site"] = "same-origin"
    assert (await user.sign_in(login="alice", password="alice-password")).status == 201


async def test_neither_key_nor_password_nor_session_id_is_logged(
    page: PageGateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    user = await page.signed_in()
    await user.request("POST", f"{API}/time-trackings", {"task_uuid": "1"})
    await user.request("DELETE", SESSION)
    assert user.session_id is not None
    assert "page session opened user=5" in caplog.text  # the log was captured
    for secret in (harness_api_key("alice"), "alice-password", user.session_id):
        assert secret not in caplog.text


async def test_behind_a_proxy_that_rewrites_host_the_forwarded_host_is_the_origin(
    page: PageGateway,
) -> None:
    user = page.user()
    user.origin = "https://timers.example.com"
    form = {"login": "alice", "password": "alice-password"}
    refused = await user.request("POST", SESSION, form)
    assert_error(refused, 403, "CSRF_FAILED")
    user.extra["X-Forwarded-Host"] = "timers.example.com"
    assert (await user.sign_in(**form)).status == 201
