"""Recorded timers expire after GATEWAY_RECORD_RETENTION_DAYS with their indexes; pending and
failed ones never do."""

import datetime as dt

import pytest
from fakeredis import FakeAsyncRedis

from gateway.appkeys import SWEEPER
from gateway.timers import retention
from tests.fakes.redmine import Canned
from tests.keyspace import Keyspace
from tests.timers.conftest import ALICE, Gateway, GatewayFactory, assert_error

KEYS = Keyspace("tg")
DAY_MS = 86_400_000


async def sweep(gw: Gateway) -> int:
    return await gw.app[SWEEPER].run_once()


async def indexes_of(redis: FakeAsyncRedis, timer_id: int) -> dict[str, object]:
    """Where a timer appears: its record, its user's timers, the entry map and settled timers."""
    members = [str(m) for m in await redis.zrange(KEYS.settled(ALICE), 0, -1)]
    entry_map = KEYS.entry_timers(ALICE)
    settled = [m for m in members if m.startswith(f"{timer_id}:")]
    return {
        "record": await redis.exists(KEYS.timer(timer_id)),
        "user_index": await redis.zscore(KEYS.keys.user_timers(ALICE), str(timer_id)) is not None,
        "entry_map": sorted(
            k for k, v in (await redis.hgetall(entry_map)).items() if v == str(timer_id)
        ),
        "settled": settled,
    }


async def test_a_recorded_timer_expires_after_the_retention_with_its_indexes(
    make_gateway: GatewayFactory, redis: FakeAsyncRedis
) -> None:
    gw = await make_gateway(record_retention_days=30)
    stopped = await gw.timed(45)
    timer_id, [entry_id] = stopped["id"], stopped["redmine_time_entry_ids"]
    assert await indexes_of(redis, timer_id) == {
        "record": 1,
        "user_index": True,
        "entry_map": [str(entry_id)],
        "settled": [f"{timer_id}:{ALICE}:{entry_id}"],
    }
    # The record's own TTL (Redis's clock) is the retention; the sweep's due time (the
    # gateway's clock) is the same moment.
    assert 30 * DAY_MS - 60_000 < await redis.pttl(KEYS.timer(timer_id)) <= 30 * DAY_MS
    due = gw.clock.now() + dt.timedelta(days=30)
    assert (
        await redis.zscore(KEYS.settled(ALICE), f"{timer_id}:{ALICE}:{entry_id}") == due.timestamp()
    )

    gw.clock.advance(days=30, seconds=-1)
    assert await sweep(gw) == 0
    assert (await gw.show(timer_id)).data["status"] == "recorded"
    gw.clock.advance(seconds=1)
    assert await sweep(gw) == 1
    assert await indexes_of(redis, timer_id) == {
        "record": 0,
        "user_index": False,
        "entry_map": [],
        "settled": [],
    }
    assert_error(await gw.show(timer_id), 404, "NOT_FOUND")
    # The entry stays in Redmine, shown as an entry logged there (its Redmine id, no times).
    [item] = (await gw.listing(user="me")).data
    assert (item["id"], item["started_at"], item["hours"]) == (entry_id, None, 0.75)
    assert await sweep(gw) == 0


async def test_pending_and_failed_entries_never_expire(
    make_gateway: GatewayFactory, redis: FakeAsyncRedis
) -> None:
    gw = await make_gateway(record_retention_days=1)
    # Failed: Redmine refuses (the day is full).
    gw.redmine.state.add_entry(user_id=ALICE, hours=999, spent_on=gw.clock.now().date(), issue_id=2)
    failed = await gw.start()
    gw.clock.advance(minutes=30)
    assert (await gw.request("PUT", f"/time-trackings/{failed['id']}", body={})).status == 422
    # Pending: Redmine is down for good.
    pending = await gw.start()
    gw.clock.advance(minutes=30)
    gw.redmine.outage = Canned(status=503)
    assert (await gw.stop(pending["id"], expect=202))["status"] == "pending"

    gw.clock.advance(days=1000)
    assert await sweep(gw) == 0
    for timer_id, status in ((failed["id"], "failed"), (pending["id"], "pending")):
        assert await redis.pttl(KEYS.timer(timer_id)) == -1
        assert await redis.zscore(KEYS.keys.user_timers(ALICE), str(timer_id)) is not None
        assert (await gw.show(timer_id)).data["status"] == status
    assert await redis.zcard(KEYS.settled(ALICE)) == 0


async def test_a_failed_entry_recorded_later_expires_from_then(
    make_gateway: GatewayFactory, redis: FakeAsyncRedis
) -> None:
    gw = await make_gateway(record_retention_days=10)
    blocker = gw.redmine.state.add_entry(
        user_id=ALICE, hours=999, spent_on=gw.clock.now().date(), issue_id=2
    )
    started = await gw.start()
    gw.clock.advance(minutes=30)
    assert (await gw.request("PUT", f"/time-trackings/{started['id']}", body={})).status == 422
    gw.clock.advance(days=20)
    gw.redmine.state.delete_entry(blocker.id)
    assert (await gw.stop(started["id"]))["status"] == "recorded"
    gw.clock.advance(days=9)
    assert await sweep(gw) == 0
    gw.clock.advance(days=1)
    assert await sweep(gw) == 1
    assert not await redis.exists(KEYS.timer(started["id"]))


async def test_deleting_a_recorded_timer_leaves_nothing_to_prune(
    gw: Gateway, redis: FakeAsyncRedis
) -> None:
    stopped = await gw.timed(30)
    assert await redis.zcard(KEYS.settled(ALICE)) == 1
    assert (await gw.request("DELETE", f"/time-trackings/{stopped['id']}")).status == 204
    assert await indexes_of(redis, stopped["id"]) == {
        "record": 0,
        "user_index": False,
        "entry_map": [],
        "settled": [],
    }


async def test_the_sweep_prunes_indexes_of_a_record_redis_expired_first(
    gw: Gateway, redis: FakeAsyncRedis
) -> None:
    stopped = await gw.timed(30)
    timer_id, [entry_id] = stopped["id"], stopped["redmine_time_entry_ids"]
    await redis.delete(KEYS.timer(timer_id))  # its TTL fired while no gateway swept
    # Until the sweep runs, the entry's id still maps to the gone timer: deleting the entry by
    # its Redmine id deletes it in Redmine all the same.
    other = await gw.timed(30)
    await redis.delete(KEYS.timer(other["id"]))
    [other_entry] = other["redmine_time_entry_ids"]
    assert (await gw.request("DELETE", f"/time-trackings/{other_entry}")).status == 204
    assert [e.id for e in gw.redmine.entries_for(ALICE)] == [entry_id]

    gw.clock.advance(days=400)
    assert await sweep(gw) == 2
    assert await indexes_of(redis, timer_id) == {
        "record": 0,
        "user_index": False,
        "entry_map": [],
        "settled": [],
    }
    assert await redis.hlen(KEYS.entry_timers(ALICE)) == 0
    assert await redis.exists(KEYS.keys.user_timers(ALICE)) == 0


async def test_a_sweep_prunes_more_than_one_batch(
    make_gateway: GatewayFactory, redis: FakeAsyncRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    gw = await make_gateway(record_retention_days=1)
    ids = [(await gw.timed(3))["id"] for _ in range(5)]
    gw.clock.advance(days=2)
    monkeypatch.setattr(retention, "BATCH", 2)
    assert await sweep(gw) == 5
    assert not [i for i in ids if await redis.exists(KEYS.timer(i))]
    assert await redis.zcard(KEYS.settled(ALICE)) == 0
