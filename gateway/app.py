"""create_app() and the cleanup contexts that own its clients."""

import logging
from collections.abc import AsyncIterator, Callable

import aiohttp
from aiohttp import web
from redis.asyncio import Redis

from gateway import routes
from gateway.appkeys import PROXY, SETTINGS, STORE, UPSTREAM_SESSION
from gateway.errors import error_middleware
from gateway.guard import refuse_foreign_targets
from gateway.proxy import Proxy
from gateway.settings import Settings
from gateway.store.keys import Keys
from gateway.store.redis import RedisStore

log = logging.getLogger(__name__)

CleanupContext = Callable[[web.Application], AsyncIterator[None]]


def create_app(settings: Settings, *, redis: Redis | None = None) -> web.Application:
    app = web.Application(middlewares=[error_middleware, refuse_foreign_targets])
    app[SETTINGS] = settings
    app.cleanup_ctx.append(redis_ctx(redis))
    app.cleanup_ctx.append(upstream_ctx)
    app.add_routes(routes.TABLE)
    return app


def redis_ctx(injected: Redis | None) -> CleanupContext:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        if injected is not None:
            app[STORE] = RedisStore(injected, Keys(settings.key_prefix))
            yield
            return
        client = open_redis(settings)
        try:
            app[STORE] = RedisStore(client, Keys(settings.key_prefix))
            yield
        finally:
            await client.aclose()

    return ctx


def open_redis(settings: Settings) -> Redis:
    if settings.redis_url is not None:
        return Redis.from_url(str(settings.redis_url), decode_responses=True)
    log.warning(
        "GATEWAY_REDIS_URL is not set: using the embedded in-process store; "
        "running timers will not survive a restart"
    )
    # Imported here so that a gateway with a real Redis never loads the embedded server.
    from fakeredis import FakeAsyncRedis

    return FakeAsyncRedis(decode_responses=True)


async def upstream_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    timeout = aiohttp.ClientTimeout(
        total=settings.upstream_timeout_s, connect=settings.upstream_connect_timeout_s
    )
    connector = aiohttp.TCPConnector(limit=settings.upstream_max_connections)
    async with aiohttp.ClientSession(
        connector=connector,
        timeout=timeout,
        auto_decompress=False,
        cookie_jar=aiohttp.DummyCookieJar(),
        trust_env=False,
    ) as session:
        app[UPSTREAM_SESSION] = session
        app[PROXY] = Proxy(session, settings.redmine_base)
        yield
