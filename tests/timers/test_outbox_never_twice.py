"""One timer is never two entries: lost answers, long outages, split days, lease overruns."""

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from gateway.appkeys import STORE
from gateway.errors import UpstreamUnavailable
from gateway.redmine.client import RedmineClient
from gateway.redmine.models import RedmineTimeEntry, TimeEntryDraft
from gateway.timers.outbox_policy import LEASE_MARGIN
from tests.fakes.redmine import Canned
from tests.timers.conftest import ALICE, Gateway, GatewayFactory, posted_entry

TIMER_FIELD = 40  # the id of the "Timer id" time-entry custom field in these tests
# A stop at 01:00 of a timer started at 23:00 the day before: one hour on each day.
DAY_ONE, DAY_TWO = dt.date(2026, 3, 2), dt.date(2026, 3, 3)

Create = Callable[[RedmineClient, str, TimeEntryDraft], Awaitable[RedmineTimeEntry]]


async def stop_with_lost_answer(gw: Gateway) -> Any:
    started = await gw.start()
    gw.clock.advance(minutes=30)
    gw.redmine.lose_answers_to_next_posts(1)
    pending = await gw.stop(started["id"], expect=202)
    assert len(gw.redmine.entries_for(ALICE)) == 1  # made in Redmine, its answer lost
    return pending


async def fail_retries_for(gw: Gateway, minutes: int) -> None:
    """Redmine unreachable for `minutes`: every attempt due meanwhile meets a 503."""
    for _ in range(minutes // 5):
        gw.clock.advance(minutes=5)  # past any back-off up to GATEWAY_OUTBOX_RETRY_MAX_S
        gw.redmine.queue(Canned(status=503))
        assert await gw.run_outbox() == 1
        gw.redmine.queued.clear()


async def split_timer_stopped(gw: Gateway, **stop_fields: Any) -> tuple[Any, Any]:
    """A timer from 23:00 to 01:00 the next day, stopped; its start and the stop's reply."""
    gw.clock.current = dt.datetime(2026, 3, 2, 23, 0, tzinfo=dt.UTC)
    started = await gw.start()
    gw.clock.advance(hours=2)
    reply = await gw.request("PUT", f"/time-trackings/{started['id']}", body=stop_fields)
    return started, reply


def before_second_post(
    monkeypatch: pytest.MonkeyPatch, action: Callable[[], Awaitable[None]]
) -> None:
    """Runs `action` before the second time entry post goes out (the second day's)."""
    original: Create = RedmineClient.create_time_entry
    posts = 0

    async def create(client: RedmineClient, key: str, entry: TimeEntryDraft) -> RedmineTimeEntry:
        nonlocal posts
        posts += 1
        if posts == 2:
            await action()
        return await original(client, key, entry)

    monkeypatch.setattr(RedmineClient, "create_time_entry", create)


def entries_by_day(gw: Gateway) -> dict[dt.date, int]:
    counts: dict[dt.date, int] = {}
    for entry in gw.redmine.entries_for(ALICE):
        counts[entry.spent_on] = counts.get(entry.spent_on, 0) + 1
    return counts


async def test_a_lost_answer_then_a_long_outage_is_still_found(gw: Gateway) -> None:
    pending = await stop_with_lost_answer(gw)
    await fail_retries_for(gw, minutes=15)
    gw.clock.advance(minutes=5)
    mark = gw.mark()
    assert await gw.run_outbox() == 1
    assert gw.entry_posts_since(mark) == []
    [entry] = gw.redmine.entries_for(ALICE)
    shown = (await gw.show(pending["id"])).data
    assert (shown["status"], shown["redmine_time_entry_ids"]) == ("recorded", [entry.id])


async def test_the_entry_field_carries_the_timer_id_on_every_post(
    make_gateway: GatewayFactory,
) -> None:
    gw = await make_gateway(entry_field_id=TIMER_FIELD)
    gw.redmine.state.time_entry_fields[TIMER_FIELD] = "Timer id"
    mark = gw.mark()
    recorded = await gw.timed(30)
    [post] = gw.entry_posts_since(mark)
    assert posted_entry(post)["custom_fields"] == [
        {"id": TIMER_FIELD, "value": str(recorded["id"])}
    ]
    [entry] = gw.redmine.entries_for(ALICE)
    assert entry.custom_value(TIMER_FIELD) == str(recorded["id"])


async def test_with_the_entry_field_adoption_is_exact(make_gateway: GatewayFactory) -> None:
    gw = await make_gateway(entry_field_id=TIMER_FIELD)
    gw.redmine.state.time_entry_fields[TIMER_FIELD] = "Timer id"
    pending = await stop_with_lost_answer(gw)
    [lost] = gw.redmine.entries_for(ALICE)
    # Alice logs the very same half hour by hand in Redmine: alike in every field but the id.
    twin = gw.redmine.state.add_entry(
        user_id=ALICE, hours="0.5", spent_on=lost.spent_on, issue_id=1, comments=""
    )
    await fail_retries_for(gw, minutes=15)
    gw.clock.advance(minutes=5)
    mark = gw.mark()
    assert await gw.run_outbox() == 1
    assert gw.entry_posts_since(mark) == []
    shown = (await gw.show(pending["id"])).data
    assert shown["redmine_time_entry_ids"] == [lost.id]
    assert twin.id in gw.redmine.entries  # still alice's own


async def test_a_corrected_repost_of_split_days_posts_only_the_refused_day(
    make_gateway: GatewayFactory,
) -> None:
    gw = await make_gateway(split_at_midnight=True)
    blocker = gw.redmine.state.add_entry(user_id=ALICE, hours=999, spent_on=DAY_TWO, issue_id=2)
    started, reply = await split_timer_stopped(gw)
    assert reply.status == 422, reply.body
    failed = reply.body["data"]
    assert (failed["status"], failed["failure_reason"]) == ("failed", "redmine_rejected")
    [day_one] = [e for e in gw.redmine.entries_for(ALICE) if e.spent_on == DAY_ONE]
    assert failed["redmine_time_entry_ids"] == [day_one.id]
    gw.redmine.state.delete_entry(blocker.id)
    mark = gw.mark()
    again = await gw.stop(started["id"], description="corrected")
    [post] = gw.entry_posts_since(mark)
    assert posted_entry(post)["spent_on"] == DAY_TWO.isoformat()
    assert entries_by_day(gw) == {DAY_ONE: 1, DAY_TWO: 1}
    assert again["status"] == "recorded" and len(again["redmine_time_entry_ids"]) == 2
    assert again["redmine_time_entry_ids"][0] == day_one.id


async def test_a_failed_lookup_never_forgets_a_known_entry(
    make_gateway: GatewayFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    gw = await make_gateway(split_at_midnight=True)

    async def unreachable() -> None:
        raise UpstreamUnavailable("Redmine could not be reached.")

    before_second_post(monkeypatch, unreachable)
    started, reply = await split_timer_stopped(gw)
    assert reply.status == 202, reply.body
    [day_one] = gw.redmine.entries_for(ALICE)
    await fail_retries_for(gw, minutes=15)  # the lookup before the next post meets 503s
    shown = (await gw.show(started["id"])).data
    assert (shown["status"], shown["redmine_time_entry_ids"]) == ("pending", [day_one.id])
    gw.clock.advance(minutes=5)
    assert await gw.run_outbox() == 1
    assert entries_by_day(gw) == {DAY_ONE: 1, DAY_TWO: 1}


async def test_an_attempt_that_overruns_its_lease_gives_way_without_posting_twice(
    make_gateway: GatewayFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Redmine takes the first day's post, then hangs on the second: the attempt must give up
    # inside its deadline, and the one that takes over after its lease posts the second day once.
    gw = await make_gateway(split_at_midnight=True, upstream_timeout_s=0.2)
    hung, release = asyncio.Event(), asyncio.Event()

    async def hang() -> None:
        hung.set()
        await release.wait()

    before_second_post(monkeypatch, hang)
    stop = asyncio.create_task(split_timer_stopped(gw))
    await asyncio.wait_for(hung.wait(), timeout=10)
    # Bounded so that a gateway that waits forever fails here instead of hanging the suite.
    started, reply = await asyncio.wait_for(stop, timeout=30)
    assert (reply.status, reply.body["data"]["status"]) == (202, "pending")
    gw.clock.advance(seconds=(LEASE_MARGIN + dt.timedelta(seconds=5)).total_seconds())
    release.set()
    assert await gw.run_outbox() == 1
    assert entries_by_day(gw) == {DAY_ONE: 1, DAY_TWO: 1}
    shown = (await gw.show(started["id"])).data
    assert (shown["status"], len(shown["redmine_time_entry_ids"])) == ("recorded", 2)


async def test_a_posting_lock_is_released_only_by_its_own_holder(gw: Gateway) -> None:
    store = gw.app[STORE]
    now = gw.clock.now()
    first = await store.posting.lock(ALICE, 7, now, now + dt.timedelta(seconds=60))
    assert first is not None
    assert await store.posting.lock(ALICE, 7, now, now + dt.timedelta(seconds=60)) is None
    later = now + dt.timedelta(seconds=61)  # the first holder overran its lease
    second = await store.posting.lock(ALICE, 7, later, later + dt.timedelta(seconds=60))
    assert second is not None
    await store.posting.unlock(first)  # the overrunning holder finishes late
    assert await store.posting.is_held(ALICE, 7, later)
    await store.posting.unlock(second)
    assert not await store.posting.is_held(ALICE, 7, later)
