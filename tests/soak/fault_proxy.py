"""A reverse proxy to Redmine that injects faults into POST /time_entries.json, and outages.

Faults (each drawn from a seeded random.Random, in the order posts arrive):
503 (with Retry-After), a lost answer (forwarded and processed, then the connection is closed
unanswered), a slow answer (forwarded, then held over or under the gateway's upstream timeout)
and a dropped connection (closed before forwarding). While `is_unreachable`, every request's
connection is closed unanswered.
"""

import asyncio
import json
import random
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal

import aiohttp
from aiohttp import web
from multidict import CIMultiDict

Fault = Literal["503", "lost", "slow_over", "slow_under", "drop"]
FAULTED_PATH = "/time_entries.json"
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)
UPSTREAM_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class FaultRates:
    """The chance of each fault for one POST /time_entries.json (the rest pass untouched)."""

    unavailable: float = 0.08
    lost: float = 0.08
    slow_over: float = 0.04
    slow_under: float = 0.06
    drop: float = 0.05

    def draw(self, rng: random.Random) -> Fault | None:
        roll = rng.random()
        for fault, rate in (
            ("503", self.unavailable),
            ("lost", self.lost),
            ("slow_over", self.slow_over),
            ("slow_under", self.slow_under),
            ("drop", self.drop),
        ):
            if roll < rate:
                return fault  # type: ignore[return-value]
            roll -= rate
        return None


class FaultProxy:
    def __init__(
        self, upstream: str, rates: FaultRates, seed: int, gateway_timeout_s: float
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self.rates = rates
        self.is_faulty = True
        self.is_unreachable = False
        self.injected: Counter[str] = Counter()
        # What became of each POST /time_entries.json, by the entry's comments (the description).
        self.posts: defaultdict[str, list[str]] = defaultdict(list)
        self.epoch = 0.0  # loop time the post log counts from (the load's start)
        self._rng = random.Random(seed)
        self._gateway_timeout_s = gateway_timeout_s
        self._session: aiohttp.ClientSession | None = None
        self.app = web.Application()
        self.app.router.add_route("*", "/{anything:.*}", self._handle)
        self.app.cleanup_ctx.append(self._session_ctx)

    async def _session_ctx(self, _app: web.Application) -> AsyncIterator[None]:
        timeout = aiohttp.ClientTimeout(total=UPSTREAM_TIMEOUT_S)
        async with aiohttp.ClientSession(timeout=timeout, auto_decompress=False) as session:
            self._session = session
            yield

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        began = asyncio.get_running_loop().time()
        outcome, response = await self._answer(request, body)
        post = _posted_entry(request, body)
        if post is not None:
            comments, dry_run = post
            kind = "dry run" if dry_run else "post"
            self.posts[comments].append(f"{kind} at {began - self.epoch:.1f} s: {outcome}")
        return response

    async def _answer(self, request: web.Request, body: bytes) -> tuple[str, web.Response]:
        """What happened to the request (for the post log) and what the client gets."""
        if self.is_unreachable:
            self.injected["unreachable"] += 1
            return "unreachable", _close(request)
        fault = self._fault_for(request)
        if fault == "drop":
            return "dropped before Redmine", _close(request)
        if fault == "503":
            headers = {"Retry-After": "1"}
            return "503", web.json_response({"error": "injected"}, status=503, headers=headers)
        try:
            response = await self._forward(request, body)
        except (aiohttp.ClientError, TimeoutError) as exc:
            # Redmine itself is down: the gateway sees what it would.
            return f"Redmine failed: {type(exc).__name__}", _close(request)
        if fault == "lost":
            return f"Redmine answered {response.status}, answer lost", _close(request)
        if fault in ("slow_over", "slow_under"):
            delay = self._delay(fault)
            await asyncio.sleep(delay)
            return f"Redmine answered {response.status}, held {delay:.1f} s", response
        return f"Redmine answered {response.status}", response

    def _fault_for(self, request: web.Request) -> Fault | None:
        if not self.is_faulty or request.method != "POST" or request.path != FAULTED_PATH:
            return None
        fault = self.rates.draw(self._rng)
        if fault is not None:
            self.injected[fault] += 1
        return fault

    def _delay(self, fault: Fault) -> float:
        timeout = self._gateway_timeout_s
        if fault == "slow_over":
            return timeout + 0.5 + self._rng.random()
        return timeout * (0.2 + 0.5 * self._rng.random())

    async def _forward(self, request: web.Request, body: bytes) -> web.Response:
        assert self._session is not None
        headers = CIMultiDict(
            (name, value)
            for name, value in request.headers.items()
            if name.lower() not in HOP_BY_HOP
        )
        async with self._session.request(
            request.method,
            self.upstream + request.raw_path,
            headers=headers,
            data=body or None,
            allow_redirects=False,
        ) as upstream:
            payload = await upstream.read()
            answer_headers = CIMultiDict(
                (name, value)
                for name, value in upstream.headers.items()
                if name.lower() not in HOP_BY_HOP
            )
            return web.Response(status=upstream.status, body=payload, headers=answer_headers)


def _posted_entry(request: web.Request, body: bytes) -> tuple[str, bool] | None:
    """The comments of a POST /time_entries.json and whether it is a dry run (no hours)."""
    if request.method != "POST" or request.path != FAULTED_PATH:
        return None
    try:
        entry = json.loads(body)["time_entry"]
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(entry, dict):
        return None
    return str(entry.get("comments")), "hours" not in entry


def _close(request: web.Request) -> web.Response:
    """No answer at all: the client sees its connection end."""
    if request.transport is not None:
        request.transport.close()
    return web.Response()
