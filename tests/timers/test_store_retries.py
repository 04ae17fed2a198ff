"""Redis commands redis-py repeats after a lost answer, and cleanups that meet a Redis error."""

from typing import Any

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from gateway.appkeys import STORE
from gateway.store.posting import PostingLocks
from tests.timers.conftest import ALICE, Gateway


async def test_a_start_script_run_twice_finds_its_own_timer_not_a_conflict(gw: Gateway) -> None:
    started = await gw.start()
    store = gw.app[STORE]
    timer = (await store.timer(started["id"])).timer
    # As when the script ran but its answer was lost, and the client retried the command.
    assert await store.create_timer(timer, exclusive=True) is None
    other = timer.model_copy(update={"id": timer.id + 1})
    assert await store.create_timer(other, exclusive=True) == timer.id


async def test_a_lock_that_cannot_be_released_does_not_hide_the_recorded_entry(
    gw: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = await gw.start()
    gw.clock.advance(minutes=30)

    async def unlock_fails(locks: PostingLocks, lock: Any) -> None:
        raise RedisConnectionError("Connection reset by peer")

    monkeypatch.setattr(PostingLocks, "unlock", unlock_fails)
    recorded = await gw.stop(started["id"])
    assert recorded["status"] == "recorded"
    [entry] = gw.redmine.entries_for(ALICE)
    assert recorded["redmine_time_entry_ids"] == [entry.id]
