"""create_app() and the cleanup contexts that own its clients and background work."""

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
from aiohttp import web
from redis.asyncio import Redis

from gateway import routes
from gateway.analytics.cache import ResultCache
from gateway.analytics.source import EntrySource
from gateway.appkeys import (
    ANALYTICS_CACHE,
    ANALYTICS_GATE,
    CLOCK,
    ENTRY_SOURCE,
    IDENTITY,
    LAYOUT,
    LISTER,
    METRICS,
    OPENAPI,
    OUTBOX,
    PAGE,
    PAUSER,
    REDMINE,
    SESSION_STORE,
    SETTINGS,
    STORE,
    SWEEPER,
    TASKS,
    TIMERS,
    UPSTREAM_SESSION,
)
from gateway.clock import Clock, SystemClock
from gateway.contract.document import document_bytes
from gateway.errors import error_middleware_counting
from gateway.grace import Confirmations
from gateway.identity import IdentityResolver, UserDirectory
from gateway.logs import request_id_middleware
from gateway.metrics.group import keep_snapshot_written
from gateway.metrics.process import Metrics, no_count
from gateway.page.files import PageFiles
from gateway.page.parts import Page
from gateway.page.sessions import PageSessions
from gateway.redmine.accounts import RedmineAccounts
from gateway.redmine.client import RedmineClient
from gateway.rounding import RoundingPolicy
from gateway.secrets import KeyVault
from gateway.settings import Settings
from gateway.store.connection import connected_redis
from gateway.store.keys import Keys
from gateway.store.migration import LayoutMigration
from gateway.store.nodes import StoreClient
from gateway.store.redis import RedisStore
from gateway.store.replication import ReplicaAcks
from gateway.store.sessions import SessionStore
from gateway.timers.layout_gate import layout_gate
from gateway.timers.listing import TimeTrackingLister
from gateway.timers.outbox import OutboxWorker
from gateway.timers.outbox_policy import OutboxPolicy
from gateway.timers.pausing import Pauser
from gateway.timers.purpose import PurposeResolver
from gateway.timers.recorder import Recorder
from gateway.timers.retention import RetentionSweeper
from gateway.timers.rules import EntryPlan
from gateway.timers.service import TimerService
from gateway.timers.tasks import TaskResolver

log = logging.getLogger(__name__)

CleanupContext = Callable[[web.Application], AsyncIterator[None]]
OUTBOX_POLL_S = 1.0
# Retention is counted in days: a sweep a minute prunes timers within a minute of their end.
RETENTION_SWEEP_S = 60.0
# Lookups of other users' names change rarely and are not security decisions.
USER_DIRECTORY_TTL_S = 300
# How soon a layout check that met a Redis failure at start is tried again.
LAYOUT_RETRY_S = 2.0


def create_app(
    settings: Settings,
    *,
    redis: Redis | None = None,
    clock: Clock | None = None,
    outbox_worker: bool = True,
    metrics_group: Path | None = None,
    dropped_logs: Callable[[], int] = no_count,
) -> web.Application:
    """`metrics_group`: the directory where the workers of one `serve` share their metrics
    (None: a single process); `dropped_logs`: the log writer's count of dropped records."""
    metrics = Metrics(metrics_group, dropped_logs)
    app = web.Application(
        middlewares=[
            request_id_middleware,
            error_middleware_counting(metrics.redis_error),
            layout_gate,
        ]
    )
    app[SETTINGS] = settings
    app[CLOCK] = clock or SystemClock()
    app[METRICS] = metrics
    if metrics_group is not None:
        app.cleanup_ctx.append(metrics_group_ctx(metrics_group))
    app.cleanup_ctx.append(redis_ctx(redis))
    app.cleanup_ctx.append(upstream_ctx)
    app.cleanup_ctx.append(timers_ctx)
    app.cleanup_ctx.append(analytics_ctx)
    app.cleanup_ctx.append(page_ctx)
    if outbox_worker:
        app.cleanup_ctx.append(outbox_worker_ctx)
        app.cleanup_ctx.append(retention_sweep_ctx)
    app.cleanup_ctx.append(contract_ctx)
    app.add_routes(routes.TABLE)
    return app


async def contract_ctx(app: web.Application) -> AsyncIterator[None]:
    """GET /-/openapi.json: built once per start from the route table and its models (~10 ms)."""
    app[OPENAPI] = document_bytes(routes.TABLE)
    yield


async def cancelled(task: asyncio.Task[None]) -> None:
    """Stops a background task and waits until it has."""
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def relay_observer(app: web.Application) -> Metrics | None:
    """What the front reports each request to: the app's metrics, unless they are off."""
    return app[METRICS] if app[SETTINGS].metrics_enabled else None


def metrics_group_ctx(directory: Path) -> CleanupContext:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(
            keep_snapshot_written(app[METRICS], directory), name="metrics-snapshot"
        )
        yield
        await cancelled(task)

    return ctx


def redis_ctx(injected: StoreClient | None) -> CleanupContext:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        keys = Keys(settings.key_prefix)
        # The embedded store has no replicas to wait for.
        wait_ms = settings.redis_wait_replicas_ms if settings.is_redis_shared else 0
        async with contextlib.AsyncExitStack() as stack:
            client: StoreClient = (
                injected
                if injected is not None
                else await stack.enter_async_context(connected_redis(settings))
            )
            acks = ReplicaAcks(client, wait_ms, settings.redis_timeout_s)
            stack.push_async_callback(acks.aclose)
            migration = app[LAYOUT] = LayoutMigration(client, keys)
            if settings.redis_cluster:
                migration.done.set()  # earlier versions never ran on a cluster
            else:
                # Earlier versions' keys move into the buckets; timers wait until they have.
                task = asyncio.create_task(
                    migration.run_until_done(LAYOUT_RETRY_S), name="layout-migration"
                )
                stack.push_async_callback(cancelled, task)
                # Usually one EXISTS finds nothing to move; past this the gateway serves (the
                # pass-through needs no Redis) and timers answer 503 until it is done.
                await asyncio.wait({task}, timeout=settings.redis_timeout_s)
            app[STORE] = RedisStore(client, keys, acks)
            app[SESSION_STORE] = SessionStore(client, keys)
            yield

    return ctx


async def upstream_ctx(app: web.Application) -> AsyncIterator[None]:
    """The ClientSession of the gateway's own calls to Redmine (the pass-through has its own pool,
    in the front)."""
    settings = app[SETTINGS]
    timeout = aiohttp.ClientTimeout(
        total=settings.upstream_timeout_s, connect=settings.upstream_connect_timeout_s
    )
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=settings.upstream_max_connections),
        timeout=timeout,
        cookie_jar=aiohttp.DummyCookieJar(),
        trust_env=False,
    ) as api:
        app[UPSTREAM_SESSION] = api
        app[REDMINE] = RedmineClient(api, settings.redmine_base, settings.upstream_page_concurrency)
        yield


async def timers_ctx(app: web.Application) -> AsyncIterator[None]:
    settings, store, redmine, clock = app[SETTINGS], app[STORE], app[REDMINE], app[CLOCK]
    secret = settings.secret_key.get_secret_value() if settings.secret_key else None
    vault = KeyVault(secret)
    tasks = TaskResolver(redmine, store, settings.task_field_id, settings.default_activity_id)
    recorder = Recorder(
        store, redmine, vault, clock, OutboxPolicy.from_settings(settings), app[METRICS]
    )
    plan = EntryPlan(
        rounding=RoundingPolicy(
            increment_min=settings.rounding_increment_min,
            mode=settings.rounding_mode,
            minimum_min=settings.rounding_minimum_min,
        ),
        zone=settings.zone,
        split_at_midnight=settings.split_at_midnight,
        max_timer_s=settings.max_timer_s,
        billable_field_id=settings.billable_field_id,
    )
    confirmations = Confirmations(store, clock, dt.timedelta(hours=settings.identity_grace_h))
    app[IDENTITY] = IdentityResolver(redmine, store, vault, settings.identity_ttl_s, confirmations)
    app[TASKS] = tasks
    app[TIMERS] = TimerService(
        store,
        redmine,
        PurposeResolver(tasks, confirmations),
        recorder,
        vault,
        clock,
        plan,
        settings.on_start_when_running,
    )
    app[PAUSER] = Pauser(store, clock)
    app[LISTER] = TimeTrackingLister(
        redmine,
        store,
        tasks,
        UserDirectory(redmine, store, USER_DIRECTORY_TTL_S),
        clock,
        settings.zone,
        settings.max_timer_s,
        settings.billable_field_id,
    )
    app[OUTBOX] = worker = OutboxWorker(store, recorder, clock)
    app[SWEEPER] = RetentionSweeper(store, clock)
    app[METRICS].watch_outbox(lambda: worker.counts.redis_errors)
    yield


async def analytics_ctx(app: web.Application) -> AsyncIterator[None]:
    settings, store, redmine = app[SETTINGS], app[STORE], app[REDMINE]
    app[ENTRY_SOURCE] = EntrySource(
        redmine,
        store,
        UserDirectory(redmine, store, USER_DIRECTORY_TTL_S),
        app[CLOCK],
        settings.zone,
        settings.upstream_page_concurrency,
    )
    app[ANALYTICS_CACHE] = ResultCache(store, settings.analytics_cache_ttl_s)
    app[ANALYTICS_GATE] = asyncio.Semaphore(settings.analytics_concurrency)
    yield


async def page_ctx(app: web.Application) -> AsyncIterator[None]:
    """The timer page: its files (read once, off the loop), sessions and Redmine sign-in."""
    settings = app[SETTINGS]
    secret = settings.secret_key.get_secret_value() if settings.secret_key else None
    sessions = PageSessions(
        app[SESSION_STORE],
        KeyVault(secret),
        app[CLOCK],
        dt.timedelta(minutes=settings.session_idle_min),
    )
    app[PAGE] = Page(
        sessions=sessions,
        accounts=RedmineAccounts(app[UPSTREAM_SESSION], settings.redmine_base),
        files=await asyncio.to_thread(PageFiles.load),
        root=routes.PAGE_ROOT,
        api_root=routes.PAGE_API + "/",
    )
    yield


async def retention_sweep_ctx(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.create_task(app[SWEEPER].run_forever(RETENTION_SWEEP_S), name="retention-sweep")
    yield
    await cancelled(task)


async def outbox_worker_ctx(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.create_task(app[OUTBOX].run_forever(OUTBOX_POLL_S), name="outbox-worker")
    yield
    await cancelled(task)
