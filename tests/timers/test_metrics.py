"""The timers' metrics: running timers, the outbox, posts by result and Redis errors move with
what happens to timers (the same /-/metrics scrape Prometheus reads)."""

import asyncio
from typing import Any

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from gateway.appkeys import OUTBOX, STORE
from gateway.metrics import views
from tests.fakes.redmine import Canned
from tests.metrics.scrape import Scrape, scrape
from tests.timers.conftest import ALICE, Gateway
from tests.timers.test_outbox import stop_pending

TIMER_GAUGES = (
    "gateway_timers_running",
    "gateway_outbox_depth",
    "gateway_outbox_oldest_age_seconds",
)


async def metrics_of(gw: Gateway) -> Scrape:
    return await scrape(gw.client.session, str(gw.client.make_url("/-/metrics")))


def posted(metrics: Scrape) -> dict[str, float]:
    return {
        labels["result"]: value for labels, value in metrics.values("gateway_entries_posted_total")
    }


def redis_errors(metrics: Scrape) -> dict[str, float]:
    found = metrics.values("gateway_redis_errors_total")
    return {labels["source"]: value for labels, value in found}


def gauges(metrics: Scrape) -> tuple[float, ...]:
    return tuple(metrics.value(name) for name in TIMER_GAUGES)


async def test_running_timers_and_the_outbox_follow_a_timer(gw: Gateway) -> None:
    assert gauges(await metrics_of(gw)) == (0, 0, 0)
    started = await gw.start()
    await gw.start("bob")
    assert gauges(await metrics_of(gw)) == (2, 0, 0)
    gw.clock.advance(minutes=30)
    gw.redmine.queue(Canned(status=503))
    await gw.stop(started["id"], expect=202)
    assert gauges(await metrics_of(gw)) == (1, 1, 0)
    # Waiting, and retried in between: the age runs from when it first entered the outbox.
    gw.clock.advance(seconds=5)
    gw.redmine.queue(Canned(status=503))
    assert await gw.run_outbox() == 1
    gw.clock.advance(seconds=85)
    assert gauges(await metrics_of(gw)) == (1, 1, 90)
    gw.clock.advance(seconds=10)
    assert await gw.run_outbox() == 1
    assert gauges(await metrics_of(gw)) == (1, 0, 0)


async def test_a_deleted_running_timer_leaves_the_count(gw: Gateway) -> None:
    started = await gw.start()
    reply = await gw.request("DELETE", f"/time-trackings/{started['id']}")
    assert reply.status in (200, 204), reply.body
    assert gauges(await metrics_of(gw)) == (0, 0, 0)


async def test_a_stop_redmine_takes_counts_as_recorded(gw: Gateway) -> None:
    await gw.timed(30)
    assert posted(await metrics_of(gw)) == {"recorded": 1, "adopted": 0, "failed": 0, "retried": 0}


async def test_a_deferred_post_counts_as_retried_then_recorded(gw: Gateway) -> None:
    await stop_pending(gw, Canned(status=503))
    assert posted(await metrics_of(gw)) == {"recorded": 0, "adopted": 0, "failed": 0, "retried": 1}
    gw.clock.advance(seconds=5)
    assert await gw.run_outbox() == 1
    assert posted(await metrics_of(gw)) == {"recorded": 1, "adopted": 0, "failed": 0, "retried": 1}


async def test_an_entry_a_lost_answer_made_counts_as_adopted(gw: Gateway) -> None:
    await stop_pending(gw)  # Redmine made the entry; its answer was lost
    gw.clock.advance(seconds=5)
    assert await gw.run_outbox() == 1
    assert len(gw.redmine.entries_for(ALICE)) == 1
    assert posted(await metrics_of(gw)) == {"recorded": 0, "adopted": 1, "failed": 0, "retried": 1}


async def test_a_refused_post_counts_as_failed(gw: Gateway) -> None:
    started = await gw.start()
    gw.clock.advance(minutes=30)
    gw.redmine.queue(Canned(status=422, body=b'{"errors":["Issue is invalid"]}'))
    reply = await gw.request("PUT", f"/time-trackings/{started['id']}", body={})
    assert reply.body["data"]["status"] == "failed", reply.body
    assert posted(await metrics_of(gw)) == {"recorded": 0, "adopted": 0, "failed": 1, "retried": 0}


async def test_a_request_redis_fails_counts_as_a_request_redis_error(
    gw: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def down(*args: Any) -> None:
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(gw.app[STORE], "running_timer_id", down)
    reply = await gw.request("GET", "/time-trackings/active")
    assert (reply.status, reply.body["error_code"]) == (503, "STORE_UNAVAILABLE")
    assert redis_errors(await metrics_of(gw)) == {"request": 1, "outbox": 0, "scrape": 0}


async def test_an_outbox_item_redis_fails_counts_as_an_outbox_redis_error(
    gw: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    await stop_pending(gw, Canned(status=503))
    gw.clock.advance(seconds=5)

    async def down(*args: Any) -> None:
        raise RedisConnectionError("Connection reset")

    monkeypatch.setattr(gw.app[STORE], "claim_outbox_item", down)
    assert await gw.run_outbox() == 1
    assert gw.app[OUTBOX].counts.item_errors == 1
    assert redis_errors(await metrics_of(gw)) == {"request": 0, "outbox": 1, "scrape": 0}


async def test_a_scrape_redis_does_not_answer_in_time_leaves_the_timer_gauges_out(
    gw: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    never = asyncio.Event()

    async def hung() -> None:
        await never.wait()

    monkeypatch.setattr(views, "STORE_READ_TIMEOUT_S", 0.1)
    monkeypatch.setattr(gw.app[STORE].walks, "timer_counts", hung)
    metrics = await metrics_of(gw)
    assert not set(TIMER_GAUGES) & set(metrics.families)
    assert redis_errors(metrics) == {"request": 0, "outbox": 0, "scrape": 1}
    # Everything else is still there.
    assert metrics.value("gateway_processes") == 1
