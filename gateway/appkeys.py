"""Every web.AppKey the application reads, in one place."""

import asyncio

import aiohttp
from aiohttp import web

from gateway.analytics.cache import ResultCache
from gateway.analytics.source import EntrySource
from gateway.clock import Clock
from gateway.identity import IdentityResolver
from gateway.metrics.process import Metrics
from gateway.page.parts import Page
from gateway.redmine.client import RedmineClient
from gateway.settings import Settings
from gateway.store.migration import LayoutMigration
from gateway.store.redis import RedisStore
from gateway.store.sessions import SessionStore
from gateway.timers.listing import TimeTrackingLister
from gateway.timers.outbox import OutboxWorker
from gateway.timers.pausing import Pauser
from gateway.timers.retention import RetentionSweeper
from gateway.timers.service import TimerService
from gateway.timers.tasks import TaskResolver

SETTINGS = web.AppKey("settings", Settings)
CLOCK = web.AppKey("clock", Clock)
STORE = web.AppKey("store", RedisStore)
UPSTREAM_SESSION = web.AppKey("upstream_session", aiohttp.ClientSession)
REDMINE = web.AppKey("redmine", RedmineClient)
IDENTITY = web.AppKey("identity", IdentityResolver)
TIMERS = web.AppKey("timers", TimerService)
TASKS = web.AppKey("tasks", TaskResolver)
LISTER = web.AppKey("lister", TimeTrackingLister)
PAUSER = web.AppKey("pauser", Pauser)
OUTBOX = web.AppKey("outbox", OutboxWorker)
SWEEPER = web.AppKey("sweeper", RetentionSweeper)
ENTRY_SOURCE = web.AppKey("entry_source", EntrySource)
ANALYTICS_CACHE = web.AppKey("analytics_cache", ResultCache)
ANALYTICS_GATE = web.AppKey("analytics_gate", asyncio.Semaphore)
METRICS = web.AppKey("metrics", Metrics)
OPENAPI = web.AppKey("openapi", bytes)
PAGE = web.AppKey("page", Page)
SESSION_STORE = web.AppKey("session_store", SessionStore)
# Whether timers stored by earlier versions have moved into the buckets (layout_gate).
LAYOUT = web.AppKey("layout", LayoutMigration)
