"""Operational endpoints under /-/: liveness and readiness."""

import asyncio
import logging
from typing import Literal

import aiohttp
from aiohttp import web
from pydantic import BaseModel

from gateway.appkeys import SETTINGS, STORE, UPSTREAM_SESSION
from gateway.errors import error_response
from gateway.logs import request_id_header
from gateway.store.failures import STORE_OR_IO_FAILURES

log = logging.getLogger(__name__)

READINESS_TIMEOUT_S = 2.0


class Liveness(BaseModel):
    """GET /-/healthz (the front answers the same bytes itself, without asking the app)."""

    status: Literal["ok"]


class Readiness(BaseModel):
    """GET /-/readyz when Redis and Redmine both answer (otherwise 503 NOT_READY, the error
    shape with the failing parts under `errors`)."""

    status: Literal["ready"]
    checks: dict[Literal["redis", "redmine"], Literal["ok"]]


async def healthz(request: web.Request) -> web.Response:
    return web.json_response(Liveness(status="ok").model_dump(mode="json"))


async def readyz(request: web.Request) -> web.Response:
    redis_problem, redmine_problem = await asyncio.gather(
        _redis_problem(request.app), _redmine_problem(request.app)
    )
    problems = {
        part: [problem]
        for part, problem in (("redis", redis_problem), ("redmine", redmine_problem))
        if problem is not None
    }
    if problems:
        return error_response(503, "NOT_READY", f"Not ready: {', '.join(problems)}.", problems)
    ready = Readiness(status="ready", checks={"redis": "ok", "redmine": "ok"})
    return web.json_response(ready.model_dump(mode="json"))


async def reserved_not_found(request: web.Request) -> web.Response:
    return error_response(404, "NOT_FOUND", "No such operational endpoint.", {})


async def _redis_problem(app: web.Application) -> str | None:
    try:
        async with asyncio.timeout(READINESS_TIMEOUT_S):
            await app[STORE].is_reachable()
    except STORE_OR_IO_FAILURES as exc:
        log.warning("readiness redis failed error=%s", type(exc).__name__)
        return f"Redis is unreachable ({type(exc).__name__})."
    return None


async def _redmine_problem(app: web.Application) -> str | None:
    url = app[SETTINGS].redmine_base + "/"
    try:
        async with (
            asyncio.timeout(READINESS_TIMEOUT_S),
            app[UPSTREAM_SESSION].head(
                url, headers=request_id_header(), allow_redirects=False
            ) as response,
        ):
            status = response.status
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.warning("readiness redmine failed error=%s", type(exc).__name__)
        return f"Redmine is unreachable ({type(exc).__name__})."
    if status >= 500:
        return f"Redmine answers {status}."
    return None
