"""The first post of a stop or a manual entry, made in the request, when the record changed under
it (a store retry whose first run had applied, or another replica's outbox): the answer is the
entry's pending state, never a 500, and the outbox still posts it exactly once."""

from typing import Any

import pytest

from gateway.store.redis import RedisStore, TimerChanged, Versioned
from gateway.timers.models import Timer
from tests.timers.conftest import ALICE, Gateway

EARLY, LATE = "2026-03-02T06:00:00Z", "2026-03-02T07:30:00Z"


def first_attempt_mark_applies_then_seems_lost(monkeypatch: pytest.MonkeyPatch) -> None:
    """The recorder's first save (its "attempt 1" mark) is written, but the caller is told the
    record changed, as a retried script whose first run applied is."""
    original = RedisStore.save_timer
    raised: list[int] = []

    async def save_timer(self: RedisStore, read: Versioned, timer: Timer, **kwargs: Any) -> Any:
        written = await original(self, read, timer, **kwargs)
        if timer.attempts == 1 and not raised:
            raised.append(timer.id)
            raise TimerChanged(timer.id)
        return written

    monkeypatch.setattr(RedisStore, "save_timer", save_timer)


async def test_a_manual_entry_whose_record_changed_under_its_first_post_is_pending(
    gw: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    first_attempt_mark_applies_then_seems_lost(monkeypatch)
    body = {"task_uuid": "2", "start": EARLY, "end": LATE}
    reply = await gw.request("POST", "/time-trackings", body=body)
    assert reply.status == 202, reply.body
    assert reply.data["status"] == "pending"
    await settle_once(gw, reply.data["id"])


async def test_a_stop_whose_record_changed_under_its_first_post_is_pending(
    gw: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = await gw.start()
    gw.clock.advance(minutes=30)
    first_attempt_mark_applies_then_seems_lost(monkeypatch)
    stopped = await gw.stop(started["id"], expect=202)
    assert stopped["status"] == "pending"
    await settle_once(gw, started["id"])


async def settle_once(gw: Gateway, timer_id: int) -> None:
    """Once the first attempt's lease ran out, the outbox posts the entry, once."""
    gw.clock.advance(minutes=10)
    assert await gw.run_outbox() == 1
    assert (await gw.show(timer_id)).data["status"] == "recorded"
    assert len(gw.redmine.entries_for(ALICE)) == 1
    assert await gw.run_outbox() == 0
