"""POST /time-trackings/{id}/pause and /resume: segments, the paused state, the posted sum."""

import asyncio
import json
from decimal import Decimal
from typing import Any

import pytest
from fakeredis import FakeAsyncRedis

from gateway.appkeys import STORE
from gateway.timers.pausing import MAX_SEGMENTS
from tests.keyspace import Keyspace
from tests.timers.conftest import (
    ALICE,
    Gateway,
    Reply,
    assert_error,
    posted_entry,
    rendezvous,
)


async def pause(gw: Gateway, timer_id: int, login: str = "alice") -> Reply:
    return await gw.request("POST", f"/time-trackings/{timer_id}/pause", login=login)


async def resume(gw: Gateway, timer_id: int, login: str = "alice") -> Reply:
    return await gw.request("POST", f"/time-trackings/{timer_id}/resume", login=login)


async def active(gw: Gateway) -> Any:
    return (await gw.request("GET", "/time-trackings/active")).data


async def test_a_paused_timer_is_active_paused_and_its_working_time_stops_growing(
    gw: Gateway,
) -> None:
    started = await gw.start()
    gw.clock.advance(minutes=25)
    reply = await gw.request("POST", f"/time-trackings/{started['id']}/pause")
    assert reply.status == 200, reply.body
    assert (reply.data["is_paused"], reply.data["paused_at"]) == (True, "2026-03-02T09:25:00Z")
    gw.clock.advance(minutes=60)
    shown = await active(gw)
    assert (shown["id"], shown["status"], shown["is_paused"]) == (started["id"], "running", True)
    assert shown["duration_minutes"] == 25
    assert shown["segments"] == [
        {"started_at": "2026-03-02T09:00:00Z", "ended_at": "2026-03-02T09:25:00Z"}
    ]


async def test_a_resumed_timer_counts_every_segment_and_posts_their_rounded_sum(
    gw: Gateway,
) -> None:
    started = await gw.start()
    gw.clock.advance(minutes=20)
    await pause(gw, started["id"])
    gw.clock.advance(minutes=120)  # lunch, not work
    reply = await gw.request("POST", f"/time-trackings/{started['id']}/resume")
    assert reply.status == 200, reply.body
    assert (reply.data["is_paused"], reply.data["paused_at"]) == (False, None)
    gw.clock.advance(minutes=20)
    shown = await active(gw)
    assert (shown["duration_minutes"], len(shown["segments"])) == (40, 2)
    mark = gw.mark()
    stopped = await gw.stop(started["id"])
    [post] = gw.entry_posts_since(mark)
    # 20 + 20 minutes round to 45 (each alone would be 15): the sum is rounded, once.
    assert posted_entry(post)["hours"] == Decimal("0.75")
    assert (stopped["hours"], stopped["duration_seconds"]) == (0.75, 2400)
    assert stopped["ended_at"] == "2026-03-02T11:40:00Z"
    assert [s["ended_at"] for s in stopped["segments"]] == [
        "2026-03-02T09:20:00Z",
        "2026-03-02T11:40:00Z",
    ]


async def test_stopping_a_paused_timer_ends_it_where_it_paused(gw: Gateway) -> None:
    started = await gw.start()
    gw.clock.advance(minutes=50)
    await pause(gw, started["id"])
    gw.clock.advance(hours=3)
    stopped = await gw.stop(started["id"])
    assert (stopped["ended_at"], stopped["hours"], stopped["is_paused"]) == (
        "2026-03-02T09:50:00Z",
        0.75,
        False,
    )
    assert (await gw.request("GET", "/time-trackings/active")).body == {"data": None}


async def test_an_explicit_end_cuts_the_segments_there(gw: Gateway) -> None:
    started = await gw.start()
    gw.clock.advance(minutes=30)
    await pause(gw, started["id"])
    gw.clock.advance(minutes=30)
    await resume(gw, started["id"])
    gw.clock.advance(minutes=60)
    stopped = await gw.stop(started["id"], end="2026-03-02T10:15:00Z")
    # 30 minutes, then 10:00-10:15: 45 minutes worked.
    assert (stopped["duration_seconds"], stopped["hours"]) == (2700, 0.75)
    assert stopped["ended_at"] == "2026-03-02T10:15:00Z"


async def test_pause_twice_resume_when_running_and_either_once_stopped_are_409(
    gw: Gateway,
) -> None:
    started = await gw.start()
    assert_error(await resume(gw, started["id"]), 409, "TIMER_NOT_PAUSED")
    await pause(gw, started["id"])
    assert_error(await pause(gw, started["id"]), 409, "TIMER_ALREADY_PAUSED")
    await gw.stop(started["id"])
    for change in (pause, resume):
        assert_error(await change(gw, started["id"]), 409, "TIMER_NOT_RUNNING")


async def test_someone_elses_or_no_timer_is_404(gw: Gateway) -> None:
    started = await gw.start("bob")
    assert_error(await pause(gw, started["id"]), 404, "NOT_FOUND")
    assert_error(await resume(gw, 10**15), 404, "NOT_FOUND")
    assert (await gw.request("GET", "/time-trackings/active")).body == {"data": None}
    bobs = (await gw.request("GET", "/time-trackings/active", login="bob")).data
    assert bobs["is_paused"] is False


async def test_a_timer_stored_before_pausing_existed_stops_as_before(
    gw: Gateway, redis: FakeAsyncRedis
) -> None:
    started = await gw.start()
    key = Keyspace("tg").timer(started["id"])
    raw = await redis.hget(key, "json")
    assert isinstance(raw, str)
    record = json.loads(raw)
    for field in ("segments", "resumed_at", "paused_at", "capped"):
        del record[field]
    await redis.hset(key, "json", json.dumps(record))
    gw.clock.advance(minutes=40)
    assert (await active(gw))["duration_minutes"] == 40
    stopped = await gw.stop(started["id"])
    assert (stopped["status"], stopped["hours"], stopped["duration_seconds"]) == (
        "recorded",
        0.75,
        2400,
    )
    [entry] = gw.redmine.entries_for(ALICE)
    assert entry.hours == Decimal("0.75")


@pytest.mark.parametrize("change", ["pause", "resume"])
async def test_a_stop_racing_a_pause_or_resume_still_stops_and_posts_once(
    gw: Gateway, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    started = await gw.start()
    gw.clock.advance(minutes=30)
    if change == "resume":
        await pause(gw, started["id"])
        gw.clock.advance(minutes=10)
    # Both read the running timer before either writes: one of the two writes loses.
    rendezvous(monkeypatch, gw.app[STORE], "timer")
    mark = gw.mark()
    racing, stopping = await asyncio.gather(
        gw.request("POST", f"/time-trackings/{started['id']}/{change}"),
        gw.request("PUT", f"/time-trackings/{started['id']}", body={}),
    )
    assert stopping.status == 200, stopping.body
    assert stopping.data["status"] == "recorded"
    assert racing.status in (200, 409), racing.body
    assert len(gw.entry_posts_since(mark)) == 1
    assert (await gw.request("GET", "/time-trackings/active")).body == {"data": None}


async def test_pauses_are_bounded_so_the_record_stays_small(gw: Gateway) -> None:
    started = await gw.start()
    for _ in range(MAX_SEGMENTS):
        gw.clock.advance(minutes=1)
        assert (await pause(gw, started["id"])).status == 200
        assert (await resume(gw, started["id"])).status == 200
    assert_error(await pause(gw, started["id"]), 409, "TIMER_TOO_MANY_PAUSES")
    gw.clock.advance(minutes=1)
    stopped = await gw.stop(started["id"])
    # Every minute before a pause, and the last one: 101 minutes in 101 segments.
    assert (len(stopped["segments"]), stopped["duration_seconds"]) == (101, 101 * 60)
