"""Timers stored by an earlier version (the unbucketed layout) move into the buckets at start,
keeping their ids: running ones stop, pending ones are posted once, recorded ones are listed."""

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from fakeredis import FakeAsyncRedis

from gateway.appkeys import LAYOUT
from gateway.store import migration
from gateway.store.keys import LegacyKeys
from gateway.timers.models import TIMER_ID_BASE, Timer
from tests.fakes.redmine import Canned
from tests.timers.conftest import GatewayFactory, assert_error, posted_entry

SECRET = "s" * 32
LEGACY = LegacyKeys("tg")


Members = list[tuple[str, Any]]


async def downgraded(redis: FakeAsyncRedis) -> dict[int, int]:
    """Rewrites what this version stored into the unbucketed layout of earlier versions, each
    timer under an id of the old counter; returns new id -> old id."""
    records = await _records(redis)
    indexes = await _indexes(redis)
    await redis.flushall()
    renumbered = {new: TIMER_ID_BASE + n for n, new in enumerate(sorted(records), start=1)}

    def old(member: str) -> str:
        return str(renumbered.get(int(member), member))

    for new, (record, status, ttl_ms) in records.items():
        name = LEGACY.timer(renumbered[new])
        moved = record.model_copy(update={"id": renumbered[new]}).model_dump_json()
        await redis.hset(name, mapping={"json": moved, "status": status, "version": 3})
        if ttl_ms > 0:
            await redis.pexpire(name, ttl_ms)
    for kind, members in indexes.items():
        await _write_legacy_index(redis, kind, members, old)
    await redis.set(LEGACY.timer_ids(), len(records))
    return renumbered


async def _records(redis: FakeAsyncRedis) -> dict[int, tuple[Timer, str, int]]:
    records = {}
    async for name in redis.scan_iter(match="tg:{b*}:timer:*"):
        record = Timer.model_validate_json(str(await redis.hget(name, "json")))
        status = str(await redis.hget(name, "status"))
        records[record.id] = (record, status, int(await redis.pttl(name)))
    return records


async def _indexes(redis: FakeAsyncRedis) -> dict[str, Members]:
    """Every bucket's index, by its kind (the key past the bucket), members merged."""
    indexes: dict[str, Members] = {}
    async for name in redis.scan_iter(match="tg:{b*}:*"):
        kind = str(name).split(":", 2)[2]
        shape = await redis.type(name)
        found: Members = []
        if shape == "zset":
            scored: list[Any] = await redis.zrange(name, 0, -1, withscores=True)
            found = [(str(member), at) for member, at in scored]
        elif shape == "set":
            found = [(str(m), None) for m in await redis.smembers(name)]
        elif kind == "entry-timer":
            found = [(str(t), str(e)) for e, t in (await redis.hgetall(name)).items()]
        elif kind.startswith("user:") and kind.endswith(":running"):
            found = [(str(await redis.get(name)), None)]
        elif kind.startswith("user:") and ":manual:" in kind:
            found = [(str(await redis.get(name)), int(await redis.pttl(name)))]
        indexes.setdefault(kind, []).extend(found)
    return indexes


async def _write_legacy_index(
    redis: FakeAsyncRedis, kind: str, members: Members, old: Callable[[str], str]
) -> None:
    """One index of the unbucketed layout, its timer ids the old ones."""
    user = int(kind.split(":")[1]) if kind.startswith("user:") else 0
    if kind == "timers:settled":
        # A settled member is "<id>:<user>:<entries>": only its id changes.
        settled = {}
        for member, due in members:
            timer_id, rest = member.split(":", 1)
            settled[f"{old(timer_id)}:{rest}"] = due
        await redis.zadd(LEGACY.settled(), settled)
        return
    renumbered = {old(member): value for member, value in members}
    if kind.startswith("user:") and kind.endswith(":timers"):
        await redis.zadd(LEGACY.user_timers(user), renumbered)
    elif kind.startswith("user:") and kind.endswith(":running"):
        [running] = renumbered
        await redis.set(LEGACY.running(user), running)
    elif kind.startswith("user:") and ":manual:" in kind:
        [(timer_id, ttl_ms)] = renumbered.items()
        fingerprint = kind.rpartition(":")[2]
        await redis.set(f"{LEGACY.prefix}:manual:{user}:{fingerprint}", timer_id, px=ttl_ms)
    elif kind in ("outbox", "outbox:since"):
        name = LEGACY.outbox() if kind == "outbox" else LEGACY.outbox_since()
        await redis.zadd(name, renumbered)
    elif kind == "timers:running":
        await redis.sadd(LEGACY.running_timers(), *renumbered)
    elif kind == "entry-timer":
        await redis.hset(LEGACY.entry_timers(), mapping={e: t for t, e in renumbered.items()})


async def test_timers_of_an_earlier_version_move_and_keep_working(
    make_gateway: GatewayFactory, redis: FakeAsyncRedis
) -> None:
    before = await make_gateway(secret_key=SECRET)
    manual_body = {"task_uuid": "2", "start": "2026-03-02T08:00:00Z", "end": "2026-03-02T09:00:00Z"}
    manual = await before.request("POST", "/time-trackings", body=manual_body)
    assert manual.status == 201, manual.body
    running = await before.start()
    recorded = await before.timed(45, "bob", task_uuid="2")
    pending = await before.start("bob", task_uuid="3")
    before.clock.advance(minutes=30)
    before.redmine.queue(Canned(status=503))
    await before.stop(pending["id"], "bob", expect=202)
    old_ids = await downgraded(redis)
    assert not [n async for n in redis.scan_iter(match="tg:{b*}")]
    # What an earlier version leaves about too: an index line of a record that expired, and a
    # record this version cannot read.
    await redis.zadd(LEGACY.settled(), {f"{TIMER_ID_BASE + 99}:5:77": 1.0})
    await redis.hset(LEGACY.timer(TIMER_ID_BASE + 98), mapping={"json": "{}", "version": 1})
    running_id, recorded_id, pending_id = (
        old_ids[running["id"]],
        old_ids[recorded["id"]],
        old_ids[pending["id"]],
    )

    gw = await make_gateway(secret_key=SECRET)
    # Nothing is left in the old layout but the unreadable record, and the old counter is gone:
    # the next start is a no-op.
    new_layout = ("tg:{b", "tg:cache:", "tg:analytics-generation:", "tg:legacy-timer-buckets")
    leftover = [n async for n in redis.scan_iter() if not n.startswith(new_layout)]
    assert leftover == [LEGACY.timer(TIMER_ID_BASE + 98)]
    # The manual entry sent again across the upgrade is answered with the first one.
    mark = gw.mark()
    again = await gw.request("POST", "/time-trackings", body=manual_body)
    assert (again.status, again.data["id"]) == (201, old_ids[manual.data["id"]]), again.body
    assert gw.entry_posts_since(mark) == []
    # Each keeps its id, owner and state.
    assert (await gw.show(running_id)).data["status"] == "running"
    assert_error(await gw.show(running_id, "bob"), 404, "NOT_FOUND")
    shown = (await gw.show(recorded_id, "bob")).data
    assert (shown["status"], shown["hours"]) == ("recorded", 0.75)
    active = await gw.request("GET", "/time-trackings/active")
    assert active.data["id"] == running_id
    # One running timer per user still holds: the old pointer moved with its timer.
    refused = await gw.request("POST", "/time-trackings", body={"task_uuid": "2"})
    assert_error(refused, 409, "CONFLICT")
    # The pending entry is posted once by the outbox, as bob.
    mark = gw.mark()
    gw.clock.advance(minutes=5)
    assert await gw.run_outbox() == 1
    [post] = gw.entry_posts_since(mark)
    assert posted_entry(post)["hours"] == 0.5
    assert (await gw.show(pending_id, "bob")).data["status"] == "recorded"
    assert await gw.run_outbox() == 0
    # The running one stops and posts, once.
    mark = gw.mark()
    gw.clock.advance(minutes=15)
    stopped = await gw.stop(running_id)
    assert stopped["status"] == "recorded"
    assert len(gw.entry_posts_since(mark)) == 1
    # Listed with their start and end times (the entry map moved), and deleting by the Redmine
    # entry id removes the timer (its old id left the map the migration wrote).
    listed = (await gw.listing("bob")).data
    by_id = {item["id"]: item for item in listed}
    assert by_id[recorded_id]["started_at"] == recorded["started_at"]
    entry_id = shown["redmine_time_entry_id"]
    deleted = await gw.request("DELETE", f"/time-trackings/{entry_id}", login="bob")
    assert deleted.status == 204, deleted.body
    assert_error(await gw.show(recorded_id, "bob"), 404, "NOT_FOUND")
    assert not await redis.hexists("tg:legacy-timer-buckets", str(recorded_id))


async def test_timer_requests_wait_while_old_timers_are_moved(
    make_gateway: GatewayFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    moving = asyncio.Event()
    release = asyncio.Event()
    original = migration.migrate_legacy_layout

    async def slow(*args: Any) -> Any:
        moving.set()
        await release.wait()
        return await original(*args)

    monkeypatch.setattr(migration, "migrate_legacy_layout", slow)
    gw = await make_gateway(redis_timeout_s=0.1)
    assert moving.is_set()
    waiting = await gw.request("POST", "/time-trackings", body={"task_uuid": "1"})
    assert_error(waiting, 503, "STORE_UNAVAILABLE")
    assert waiting.headers["Retry-After"]
    # The pass-through and the gateway's own health do not wait.
    assert (await gw.request("GET", "/-/healthz", login=None)).status == 200
    release.set()
    await asyncio.wait_for(gw.app[LAYOUT].done.wait(), timeout=5)
    assert (await gw.start())["status"] == "running"
