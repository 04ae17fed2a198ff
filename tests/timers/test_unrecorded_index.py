"""GET /time-trackings reads only the caller's timers not yet in Redmine (the unrecorded index),
however many recorded ones their history holds."""

from typing import Any

import pytest

from gateway.appkeys import STORE
from gateway.store.redis import RedisStore
from tests.fakes.redmine import Canned
from tests.timers.conftest import ALICE, Gateway


async def test_the_index_holds_running_pending_and_failed_timers_only(gw: Gateway) -> None:
    store = gw.app[STORE]
    recorded = [await gw.timed(30) for _ in range(3)]
    pending = await gw.start()
    gw.clock.advance(minutes=20)
    gw.redmine.queue(Canned(status=503))
    await gw.stop(pending["id"], expect=202)
    running = await gw.start(task_uuid="2")
    assert await store.unrecorded_timer_ids(ALICE) == [pending["id"], running["id"]]
    gw.clock.advance(minutes=5)
    await gw.run_outbox()
    assert await store.unrecorded_timer_ids(ALICE) == [running["id"]]
    discarded = await gw.request("DELETE", f"/time-trackings/{running['id']}")
    assert discarded.status == 204, discarded.body
    assert await store.unrecorded_timer_ids(ALICE) == []
    assert all(timer["status"] == "recorded" for timer in recorded)


async def test_a_list_page_reads_no_recorded_timer_beyond_the_page(
    gw: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    history = []
    for _ in range(30):
        history.append(await gw.timed(15))
        gw.clock.advance(days=1)
    running = await gw.start()
    read: list[int] = []
    original = RedisStore.timers

    async def counted(self: RedisStore, timer_ids: list[int]) -> Any:
        read.extend(timer_ids)
        return await original(self, timer_ids)

    monkeypatch.setattr(RedisStore, "timers", counted)
    page = await gw.listing(per_page=5)
    assert page.status == 200, page.body
    assert page.data[0]["id"] == running["id"]
    # The running timer, and the timers of the entries on this page (and the days it cuts
    # through): never the thirty of the whole history.
    assert running["id"] in read
    assert len(set(read)) <= 7 < len(history)
