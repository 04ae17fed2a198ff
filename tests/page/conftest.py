"""The page's API over the fake Redmine: sign in, keep the cookie by hand, send the CSRF token."""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.cookies import Morsel
from typing import Any

import pytest
from aiohttp import web
from fakeredis import FakeAsyncRedis
from pytest_aiohttp import AiohttpClient

from gateway.app import create_app
from gateway.page.guard import COOKIE
from gateway.settings import Settings
from tests.clock import ManualClock
from tests.conftest import GatewayClient
from tests.fakes.redmine_api import FakeRedmineApi

API = "/-/app/api"


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    headers: Mapping[str, str]
    cookie: Morsel[str] | None

    @property
    def data(self) -> Any:
        return self.body["data"]


@dataclass
class PageUser:
    """One browser: its session cookie and CSRF token, as the page's script keeps them."""

    client: GatewayClient
    session_id: str | None = None
    csrf: str | None = None
    origin: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    async def request(
        self,
        method: str,
        path: str,
        body: object = None,
        *,
        csrf: bool = True,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        sent = dict(self.extra)
        if self.session_id is not None:
            sent["Cookie"] = f"{COOKIE}={self.session_id}"
        if csrf and self.csrf is not None:
            sent["X-CSRF-Token"] = self.csrf
        if self.origin is not None:
            sent["Origin"] = self.origin
        if body is not None:
            sent["Content-Type"] = "application/json"
        sent.update(headers or {})
        data = None if body is None else json.dumps(body)
        async with self.client.request(method, path, headers=sent, data=data) as response:
            text = await response.text()
            parsed = (
                json.loads(text) if text and response.content_type == "application/json" else text
            )
            cookie = response.cookies.get(COOKIE)
        # The page keeps its cookie by hand (as a browser would, by path): the test client's
        # jar must not add it a second time.
        self.client.session.cookie_jar.clear()
        return Reply(response.status, parsed, response.headers, cookie)

    async def sign_in(self, **form: str) -> Reply:
        reply = await self.request("POST", f"{API}/session", form)
        if reply.status == 201:
            assert reply.cookie is not None
            self.session_id = reply.cookie.value
            self.csrf = reply.data["csrf_token"]
        return reply


def assert_error(reply: Reply, status: int, code: str) -> None:
    assert reply.status == status, reply.body
    assert set(reply.body) >= {"message", "error_code", "errors"}
    assert reply.body["error_code"] == code
    assert reply.body["message"]


@dataclass
class PageGateway:
    app: web.Application
    client: GatewayClient
    redmine: FakeRedmineApi
    redis: FakeAsyncRedis
    clock: ManualClock

    def user(self) -> PageUser:
        return PageUser(self.client)

    async def signed_in(self, login: str = "alice") -> PageUser:
        user = self.user()
        reply = await user.sign_in(login=login, password=f"{login}-password")
        assert reply.status == 201, reply.body
        return user

    async def session_keys(self) -> list[str]:
        return sorted([key async for key in self.redis.scan_iter("tg:page-session:*")])


@pytest.fixture
async def page(
    aiohttp_client: AiohttpClient,
    redmine_api: FakeRedmineApi,
    redis: FakeAsyncRedis,
    clock: ManualClock,
) -> PageGateway:
    settings = Settings(redmine_url=redmine_api.url, upstream_timeout_s=2.0, session_idle_min=30)
    app = create_app(settings, redis=redis, clock=clock, outbox_worker=False)
    return PageGateway(app, await aiohttp_client(app), redmine_api, redis, clock)
