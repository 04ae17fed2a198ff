"""GET /-/metrics: the process group's counts and the timers' state, in Prometheus text format."""

import asyncio
import logging

from aiohttp import hdrs, web
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from gateway.appkeys import CLOCK, METRICS, SETTINGS, STORE
from gateway.errors import NotFound
from gateway.metrics.exposition import TimerGauges, render
from gateway.metrics.group import group_snapshot
from gateway.store.failures import STORE_OR_IO_FAILURES

log = logging.getLogger(__name__)

# A scrape never waits longer on Redis: without an answer by then, the timer gauges are left
# out of that scrape (and the failure counted) rather than the scrape hanging.
STORE_READ_TIMEOUT_S = 1.0
# What prometheus-client's own handlers send with generate_latest's output (every Prometheus
# version reads it; CONTENT_TYPE_LATEST names the 1.0.0 text format, the same bytes for our
# names, which older servers do not announce).
TEXT_FORMAT = CONTENT_TYPE_PLAIN_0_0_4


async def metrics(request: web.Request) -> web.Response:
    app = request.app
    if not app[SETTINGS].metrics_enabled:
        raise NotFound("Metrics are off (GATEWAY_METRICS_ENABLED).")
    timers = await timer_gauges(app)
    snapshot = await group_snapshot(app[METRICS])
    return web.Response(body=render(snapshot, timers), headers={hdrs.CONTENT_TYPE: TEXT_FORMAT})


async def timer_gauges(app: web.Application) -> TimerGauges | None:
    try:
        async with asyncio.timeout(STORE_READ_TIMEOUT_S):
            counts = await app[STORE].walks.timer_counts()
    except STORE_OR_IO_FAILURES as exc:
        log.warning("metrics without timer gauges: redis error=%s", type(exc).__name__)
        app[METRICS].redis_error("scrape")
        return None
    oldest = counts.oldest_queued_at
    age_s = 0.0 if oldest is None else (app[CLOCK].now() - oldest).total_seconds()
    return TimerGauges(counts.running, counts.outbox_depth, max(0.0, age_s))
