"""Retrying never stops without a word: the worker outlives its items, and gives up visibly."""

import logging
from typing import Any

import pytest
from fakeredis import FakeAsyncRedis
from redis.exceptions import ConnectionError as RedisConnectionError

from gateway.appkeys import OUTBOX, SETTINGS, STORE
from gateway.timers.recorder import Recorder
from tests.analytics.wiring import ask, seed
from tests.fakes.redmine import Canned
from tests.keyspace import Keyspace
from tests.timers.conftest import ALICE, Gateway, GatewayFactory, assert_error


async def stop_pending(gw: Gateway, login: str = "alice", task_uuid: str = "1") -> Any:
    started = await gw.start(login, task_uuid=task_uuid)
    gw.clock.advance(minutes=30)
    gw.redmine.queue(Canned(status=503))
    return await gw.stop(started["id"], login, expect=202)


async def test_an_item_that_raises_does_not_stop_the_others(
    gw: Gateway, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    broken = await stop_pending(gw)
    sound = await stop_pending(gw, "bob", task_uuid="2")
    original = Recorder.attempt

    async def attempt(recorder: Recorder, timer_id: int, api_key: str | None = None) -> Any:
        if timer_id == broken["id"]:
            raise RuntimeError("a bug in one item")
        return await original(recorder, timer_id, api_key)

    monkeypatch.setattr(Recorder, "attempt", attempt)
    gw.clock.advance(seconds=5)
    with caplog.at_level(logging.ERROR, logger="gateway.timers.outbox"):
        assert await gw.run_outbox() == 2
    assert (await gw.show(sound["id"], "bob")).data["status"] == "recorded"
    assert (await gw.show(broken["id"])).data["status"] == "pending"
    assert gw.app[OUTBOX].counts.item_errors == 1
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert f"timer={broken['id']}" in record.getMessage()
    monkeypatch.setattr(Recorder, "attempt", original)
    gw.clock.advance(seconds=10)
    assert await gw.run_outbox() == 1  # still in the outbox: retried once the bug is gone
    assert (await gw.show(broken["id"])).data["status"] == "recorded"


async def test_an_unreadable_record_is_set_aside_not_retried(
    gw: Gateway, redis: FakeAsyncRedis
) -> None:
    pending = await stop_pending(gw)
    sound = await stop_pending(gw, "bob", task_uuid="2")
    keys = Keyspace(gw.app[SETTINGS].key_prefix)
    await redis.hset(keys.timer(pending["id"]), "json", '{"id": "garbage"}')
    gw.clock.advance(seconds=5)
    assert await gw.run_outbox() == 2
    assert (await gw.show(sound["id"], "bob")).data["status"] == "recorded"
    assert await gw.app[STORE].walks.unreadable_ids() == [pending["id"]]
    assert gw.app[OUTBOX].counts.set_aside == 1
    gw.clock.advance(minutes=10)
    assert await gw.run_outbox() == 0


async def test_after_the_most_attempts_an_entry_fails_and_is_kept(
    make_gateway: GatewayFactory,
) -> None:
    gw = await make_gateway(outbox_max_attempts=3)
    pending = await stop_pending(gw)  # attempt 1
    for _ in range(2):  # attempts 2 and 3
        gw.clock.advance(minutes=5)
        gw.redmine.queue(Canned(status=503))
        assert await gw.run_outbox() == 1
    failed = (await gw.show(pending["id"])).data
    assert (failed["status"], failed["failure_reason"]) == ("failed", "redmine_unavailable")
    [last_error] = failed["errors"]
    assert last_error.startswith("Redmine answered 503")
    gw.clock.advance(hours=1)
    assert await gw.run_outbox() == 0  # kept, but no longer retried by itself
    [listed] = (await gw.listing(project_slug="web-app")).data
    assert (listed["id"], listed["status"]) == (pending["id"], "failed")
    recorded = await gw.stop(pending["id"])  # a stop posts it again
    assert (recorded["status"], recorded["failure_reason"]) == ("recorded", None)
    assert recorded["hours"] == 0.5
    assert len(gw.redmine.entries_for(ALICE)) == 1


async def test_an_entry_waiting_too_long_fails_and_can_be_deleted(
    make_gateway: GatewayFactory,
) -> None:
    gw = await make_gateway(outbox_max_age_h=1)
    pending = await stop_pending(gw)
    gw.clock.advance(minutes=61)
    gw.redmine.queue(Canned(status=503))
    assert await gw.run_outbox() == 1
    failed = (await gw.show(pending["id"])).data
    assert (failed["status"], failed["failure_reason"]) == ("failed", "redmine_unavailable")
    assert (await gw.request("DELETE", f"/time-trackings/{pending['id']}")).status == 204
    assert_error(await gw.show(pending["id"]), 404, "NOT_FOUND")
    assert gw.redmine.entries_for(ALICE) == []


async def test_an_entry_the_worker_records_drops_the_callers_analytics(gw: Gateway) -> None:
    seed(gw.redmine.state)
    pending = await stop_pending(gw, task_uuid="2")
    before = (await ask(gw, "analytics")).data["total_hours"]
    gw.clock.advance(seconds=5)
    assert await gw.run_outbox() == 1
    assert (await gw.show(pending["id"])).data["status"] == "recorded"
    assert (await ask(gw, "analytics")).data["total_hours"] == before + 0.5


async def test_stop_previous_answers_with_a_previous_timer_that_did_not_reach_redmine(
    make_gateway: GatewayFactory,
) -> None:
    gw = await make_gateway(on_start_when_running="stop_previous")
    first = await gw.start()
    gw.clock.advance(minutes=45)
    gw.redmine.fail_next_entry_posts(1)  # the previous timer's post
    reply = await gw.request("POST", "/time-trackings", body={"task_uuid": "2"})
    assert (reply.status, reply.data["status"]) == (201, "running")
    previous = reply.body["previous"]
    assert (previous["id"], previous["status"], previous["hours"]) == (first["id"], "pending", 0.75)
    assert (await gw.show(first["id"])).data["status"] == "pending"
    assert gw.redmine.entries_for(ALICE) == []


async def test_stop_previous_answers_with_a_previous_timer_redmine_refused(
    make_gateway: GatewayFactory,
) -> None:
    gw = await make_gateway(on_start_when_running="stop_previous")
    first = await gw.start()
    gw.clock.advance(minutes=45)
    gw.redmine.state.add_entry(user_id=ALICE, hours=999, spent_on=gw.clock.now().date(), issue_id=3)
    reply = await gw.request("POST", "/time-trackings", body={"task_uuid": "2"})
    assert (reply.status, reply.data["status"]) == (201, "running")
    previous = reply.body["previous"]
    assert (previous["status"], previous["failure_reason"]) == ("failed", "redmine_rejected")
    assert previous["id"] == first["id"]
    assert previous["errors"][0].startswith("Cannot log more than 999")


async def test_a_store_failure_after_the_stop_was_kept_answers_pending(
    gw: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = await gw.start()
    gw.clock.advance(minutes=30)
    original = Recorder.attempt

    async def store_fails(recorder: Recorder, timer_id: int, api_key: str | None = None) -> Any:
        raise RedisConnectionError("Connection reset by peer")

    monkeypatch.setattr(Recorder, "attempt", store_fails)
    stopped = await gw.stop(started["id"], expect=202)
    assert (stopped["status"], stopped["hours"]) == ("pending", 0.5)
    monkeypatch.setattr(Recorder, "attempt", original)
    assert await gw.run_outbox() == 1
    assert (await gw.show(started["id"])).data["status"] == "recorded"
    assert len(gw.redmine.entries_for(ALICE)) == 1
