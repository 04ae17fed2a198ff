"""Every web.AppKey the application reads, in one place."""

import aiohttp
from aiohttp import web

from gateway.proxy import Proxy
from gateway.settings import Settings
from gateway.store.redis import RedisStore

SETTINGS = web.AppKey("settings", Settings)
STORE = web.AppKey("store", RedisStore)
UPSTREAM_SESSION = web.AppKey("upstream_session", aiohttp.ClientSession)
PROXY = web.AppKey("proxy", Proxy)
