"""Shared timer-test helpers: a gateway over the fake Redmine, built per test with any settings."""

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp import web
from fakeredis import FakeAsyncRedis
from pytest_aiohttp import AiohttpClient
from yarl import URL

from gateway.app import create_app
from gateway.appkeys import OUTBOX
from gateway.settings import Settings
from tests.clock import ManualClock
from tests.conftest import GatewayClient
from tests.fakes.redmine import RecordedRequest
from tests.fakes.redmine_api import FakeRedmineApi

ALICE, BOB = 5, 6
ENTRIES = "/time_entries.json"
# Every field an item of /time-trackings carries (the list plus the gateway's extras).
ITEM_FIELDS = frozenset(
    {
        "id",
        "task_uuid",
        "user",
        "started_at",
        "ended_at",
        "duration_minutes",
        "description",
        "is_manual",
        "created_at",
        "hours",
        "redmine_time_entry_id",
        "project_slug",
        "status",
    }
)


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any  # the parsed JSON, None when the body is empty
    content_type: str
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def data(self) -> Any:
        return self.body["data"]


def assert_error(reply: Reply, status: int, code: str, field: str | None = None) -> None:
    """The gateway's one error shape, with `field` named among its errors when given."""
    assert reply.status == status, reply.body
    assert reply.content_type == "application/json"
    assert isinstance(reply.body["message"], str) and reply.body["message"]
    assert reply.body["error_code"] == code
    errors = reply.body["errors"]
    assert isinstance(errors, dict)
    assert all(isinstance(v, list) and all(isinstance(m, str) for m in v) for v in errors.values())
    if field is not None:
        assert errors.get(field), errors


def posted_entry(call: RecordedRequest) -> dict[str, Any]:
    """The `time_entry` a POST sent, with its hours as a Decimal (Redmine reads "0.5" or 0.5)."""
    entry: dict[str, Any] = json.loads(call.body)["time_entry"]
    if "hours" in entry:
        entry["hours"] = Decimal(str(entry["hours"]))
    return entry


@dataclass
class Gateway:
    """The gateway under test, the fake Redmine behind it, and the clock both read."""

    app: web.Application
    client: GatewayClient
    redmine: FakeRedmineApi
    clock: ManualClock

    def auth(self, login: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.redmine.api_key_of(login)}"}

    async def request(
        self,
        method: str,
        path: str,
        *,
        login: str | None = "alice",
        body: object = None,
        raw: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        sent = {**(self.auth(login) if login else {}), **(headers or {})}
        payload = raw if raw is not None else None if body is None else json.dumps(body).encode()
        if payload is not None:
            sent.setdefault("Content-Type", "application/json")
        # Sent exactly as written: a client must not tidy away "%2e%2e" before the gateway sees it.
        url = URL(str(self.client.make_url("/")).rstrip("/") + path, encoded=True)
        async with self.client.session.request(method, url, headers=sent, data=payload) as response:
            text = await response.text()
            body = json.loads(text) if text else None
            return Reply(response.status, body, response.content_type, response.headers)

    async def start(self, login: str = "alice", *, expect: int = 201, **fields: Any) -> Any:
        """POST /time-trackings (task 1 unless named); the `data` of the expected answer."""
        reply = await self.request("POST", "/time-trackings", login=login, body=start_body(fields))
        assert reply.status == expect, reply.body
        return reply.data

    async def stop(
        self, timer_id: int, login: str = "alice", *, expect: int = 200, **fields: Any
    ) -> Any:
        reply = await self.request("PUT", f"/time-trackings/{timer_id}", login=login, body=fields)
        assert reply.status == expect, reply.body
        return reply.data

    async def show(self, timer_id: int, login: str = "alice") -> Reply:
        return await self.request("GET", f"/time-trackings/{timer_id}", login=login)

    async def listing(self, login: str = "alice", **query: str | int) -> Reply:
        suffix = f"?{urlencode(query)}" if query else ""
        return await self.request("GET", f"/time-trackings{suffix}", login=login)

    async def timed(self, minutes: float, login: str = "alice", **fields: Any) -> Any:
        """A timer started now and stopped `minutes` later; the recorded entry."""
        started = await self.start(login, **fields)
        self.clock.advance(minutes=minutes)
        return await self.stop(started["id"], login)

    async def run_outbox(self) -> int:
        return await self.app[OUTBOX].run_once()

    def mark(self) -> int:
        """A point in the fake's call log, for `calls_since`."""
        return len(self.redmine.calls)

    def calls_since(self, mark: int) -> list[RecordedRequest]:
        return self.redmine.calls[mark:]

    def entry_posts_since(self, mark: int) -> list[RecordedRequest]:
        """Posts that create time entries (a start's dry run, which has no hours, is left out)."""
        return [
            c
            for c in self.calls_since(mark)
            if c.method == "POST" and c.raw_path == ENTRIES and "hours" in posted_entry(c)
        ]

    def paths_since(self, mark: int) -> list[str]:
        return [c.raw_path.split("?")[0] for c in self.calls_since(mark)]


def start_body(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {"task_uuid": "1", **fields}


GatewayFactory = Callable[..., Awaitable[Gateway]]


def rendezvous(
    monkeypatch: pytest.MonkeyPatch, target: object, method: str, count: int = 2
) -> None:
    """The first `count` calls of `target.method` all return only once every one has run, so
    that concurrent requests each read before any of them writes (the race's worst case)."""
    original: Callable[..., Awaitable[Any]] = getattr(target, method)
    arrived: list[object] = []
    everyone = asyncio.Event()

    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = await original(*args, **kwargs)
        if len(arrived) < count:
            arrived.append(result)
            if len(arrived) == count:
                everyone.set()
            await asyncio.wait_for(everyone.wait(), timeout=5)
        return result

    monkeypatch.setattr(target, method, wrapper)


def gateway_factory(
    aiohttp_client: AiohttpClient,
    redmine_api: FakeRedmineApi,
    redis: FakeAsyncRedis,
    clock: ManualClock,
) -> GatewayFactory:
    """`await make(**settings)`: the gateway with those settings over the fake Redmine."""

    async def make(**overrides: Any) -> Gateway:
        settings = Settings(
            **{"redmine_url": redmine_api.url, "upstream_timeout_s": 2.0, **overrides}
        )
        app = create_app(settings, redis=redis, clock=clock, outbox_worker=False)
        return Gateway(app, await aiohttp_client(app), redmine_api, clock)

    return make


@pytest.fixture
def make_gateway(
    aiohttp_client: AiohttpClient,
    redmine_api: FakeRedmineApi,
    redis: FakeAsyncRedis,
    clock: ManualClock,
) -> GatewayFactory:
    """Builds the gateway with settings overrides, e.g. `await make_gateway(timezone="...")`."""
    return gateway_factory(aiohttp_client, redmine_api, redis, clock)


@pytest.fixture
async def gw(make_gateway: GatewayFactory) -> Gateway:
    return await make_gateway()
