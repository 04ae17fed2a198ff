"""Stops Redmine cannot take now: 202 pending, retried from the outbox with backoff, never twice."""

import asyncio
import datetime as dt
from typing import Any

import pytest

from gateway.appkeys import STORE
from tests.fakes.redmine import Canned
from tests.timers.conftest import ALICE, Gateway, GatewayFactory, assert_error, rendezvous

SECRET = "a-secret-of-sixteen-or-more"


async def stop_pending(gw: Gateway, fault: Canned | None = None) -> Any:
    """A timer run for 30 minutes whose stop met `fault` (else a lost answer); its `data`."""
    started = await gw.start()
    gw.clock.advance(minutes=30)
    if fault is None:
        gw.redmine.lose_answers_to_next_posts(1)
    else:
        gw.redmine.queue(fault)  # the stop's first call to Redmine is the post
    pending = await gw.stop(started["id"], expect=202)
    assert (pending["id"], pending["status"]) == (started["id"], "pending")
    assert (pending["hours"], pending["redmine_time_entry_id"]) == (0.5, None)
    return pending


async def assert_recorded_once(gw: Gateway, timer_id: int) -> None:
    shown = (await gw.show(timer_id)).data
    [entry] = gw.redmine.entries_for(ALICE)
    assert (shown["status"], shown["redmine_time_entry_id"]) == ("recorded", entry.id)
    assert (float(entry.hours), entry.issue_id) == (0.5, 1)


@pytest.mark.parametrize(
    "fault",
    [Canned(status=503), Canned(status=500), Canned(drop_connection=True)],
    ids=["503", "500", "dropped"],
)
async def test_an_unreachable_redmine_leaves_the_entry_pending_until_a_retry(
    gw: Gateway, fault: Canned
) -> None:
    pending = await stop_pending(gw, fault)
    assert (await gw.show(pending["id"])).data["status"] == "pending"
    [listed] = (await gw.listing(project_slug="web-app")).data
    assert (listed["id"], listed["status"]) == (pending["id"], "pending")
    assert (await gw.request("GET", "/time-trackings/active")).body == {"data": None}
    gw.clock.advance(seconds=5)
    mark = gw.mark()
    assert await gw.run_outbox() == 1
    assert len(gw.entry_posts_since(mark)) == 1
    await assert_recorded_once(gw, pending["id"])
    assert await gw.run_outbox() == 0


async def test_a_slow_redmine_leaves_the_entry_pending(make_gateway: GatewayFactory) -> None:
    gw = await make_gateway(upstream_timeout_s=0.2)
    pending = await stop_pending(gw, Canned(delay_s=0.6))
    gw.clock.advance(seconds=5)
    assert await gw.run_outbox() == 1
    await assert_recorded_once(gw, pending["id"])


async def test_retries_back_off_and_nothing_is_posted_before_it_is_due(gw: Gateway) -> None:
    pending = await stop_pending(gw, Canned(status=503))
    for wait_s in (5, 10, 20):  # doubling from 5 seconds
        gw.clock.advance(seconds=wait_s - 1)
        mark = gw.mark()
        assert await gw.run_outbox() == 0
        assert gw.calls_since(mark) == []
        gw.clock.advance(seconds=1)
        gw.redmine.queue(Canned(status=503))
        assert await gw.run_outbox() == 1
        assert len(gw.calls_since(mark)) == 1
        assert (await gw.show(pending["id"])).data["status"] == "pending"
    gw.clock.advance(seconds=40)
    assert await gw.run_outbox() == 1
    await assert_recorded_once(gw, pending["id"])


async def test_a_lost_answer_is_found_in_redmine_not_posted_again(gw: Gateway) -> None:
    mark = gw.mark()
    pending = await stop_pending(gw)
    assert len(gw.redmine.entries_for(ALICE)) == 1  # Redmine made it; the answer got lost
    gw.clock.advance(seconds=5)
    assert await gw.run_outbox() == 1
    assert len(gw.entry_posts_since(mark)) == 1
    await assert_recorded_once(gw, pending["id"])


async def test_a_retry_does_not_adopt_an_older_identical_entry(gw: Gateway) -> None:
    # An identical entry alice made herself earlier that day is not the lost one.
    gw.redmine.state.add_entry(
        user_id=ALICE,
        hours="0.5",
        spent_on=dt.date(2026, 3, 2),
        issue_id=1,
        activity_id=9,
        comments="",
        created_on=dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC),
    )
    pending = await stop_pending(gw, Canned(status=503))
    gw.clock.advance(seconds=5)
    mark = gw.mark()
    assert await gw.run_outbox() == 1
    assert len(gw.entry_posts_since(mark)) == 1
    shown = (await gw.show(pending["id"])).data
    assert len(gw.redmine.entries_for(ALICE)) == 2
    assert shown["redmine_time_entry_id"] == gw.redmine.entries_for(ALICE)[-1].id


async def test_two_outbox_passes_at_once_post_once(
    gw: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    pending = await stop_pending(gw, Canned(status=503))
    gw.clock.advance(seconds=5)
    rendezvous(monkeypatch, gw.app[STORE].walks, "due_outbox_ids")  # both see the entry due
    mark = gw.mark()
    assert list(await asyncio.gather(gw.run_outbox(), gw.run_outbox())) == [1, 1]
    assert len(gw.entry_posts_since(mark)) == 1
    await assert_recorded_once(gw, pending["id"])


async def test_stopping_a_pending_timer_again_posts_nothing(gw: Gateway) -> None:
    pending = await stop_pending(gw, Canned(status=503))
    mark = gw.mark()
    assert (await gw.stop(pending["id"], expect=202))["status"] == "pending"
    assert gw.entry_posts_since(mark) == []


async def test_a_refusal_on_retry_leaves_the_timer_failed(gw: Gateway) -> None:
    pending = await stop_pending(gw, Canned(status=503))
    gw.redmine.state.add_entry(user_id=ALICE, hours=999, spent_on=dt.date(2026, 3, 2), issue_id=2)
    gw.clock.advance(seconds=5)
    assert await gw.run_outbox() == 1
    shown = (await gw.show(pending["id"])).data
    assert shown["status"] == "failed"
    assert shown["errors"][0].startswith("Cannot log more than 999")
    gw.clock.advance(seconds=600)
    assert await gw.run_outbox() == 0  # a refusal is not retried by itself
    assert (await gw.request("DELETE", f"/time-trackings/{pending['id']}")).status == 204
    assert_error(await gw.show(pending["id"]), 404, "NOT_FOUND")


async def test_the_outbox_survives_a_restart(
    make_gateway: GatewayFactory,
) -> None:
    first = await make_gateway(secret_key=SECRET)
    pending = await stop_pending(first, Canned(status=503))
    second = await make_gateway(secret_key=SECRET)
    second.clock.advance(seconds=5)
    mark = second.mark()
    assert await second.run_outbox() == 1
    assert {c.headers["X-Redmine-API-Key"] for c in second.calls_since(mark)} == {
        second.redmine.api_key_of("alice")
    }
    await assert_recorded_once(second, pending["id"])


async def test_a_pending_entry_waiting_for_its_retry_can_be_deleted(gw: Gateway) -> None:
    pending = await stop_pending(gw, Canned(status=503))
    reply = await gw.request("DELETE", f"/time-trackings/{pending['id']}")
    assert reply.status == 204
    gw.clock.advance(seconds=5)
    mark = gw.mark()
    assert await gw.run_outbox() == 0
    assert gw.entry_posts_since(mark) == []
    assert gw.redmine.entries_for(ALICE) == []


async def test_a_pending_entry_being_posted_cannot_be_deleted(gw: Gateway) -> None:
    pending = await stop_pending(gw, Canned(status=503))
    store = gw.app[STORE]
    # Another replica holds the user's posting lock for this very entry.
    now = gw.clock.now()
    lock = await store.posting.lock(ALICE, pending["id"], now, now + dt.timedelta(seconds=60))
    assert lock is not None
    reply = await gw.request("DELETE", f"/time-trackings/{pending['id']}")
    assert_error(reply, 409, "CONFLICT")
    await store.posting.unlock(lock)
    assert (await gw.request("DELETE", f"/time-trackings/{pending['id']}")).status == 204


async def test_one_entry_of_a_user_is_posted_at_a_time(gw: Gateway) -> None:
    pending = await stop_pending(gw, Canned(status=503))
    store = gw.app[STORE]
    gw.clock.advance(seconds=5)
    # Another of alice's entries is being posted elsewhere: this one waits its turn.
    now = gw.clock.now()
    lock = await store.posting.lock(ALICE, 1, now, now + dt.timedelta(seconds=60))
    assert lock is not None
    mark = gw.mark()
    assert await gw.run_outbox() == 1
    assert gw.entry_posts_since(mark) == []
    assert (await gw.show(pending["id"])).data["status"] == "pending"
    await store.posting.unlock(lock)
    gw.clock.advance(seconds=1)
    assert await gw.run_outbox() == 1
    await assert_recorded_once(gw, pending["id"])
