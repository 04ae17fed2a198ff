"""Analytics memory bounds: computations at once (GATEWAY_ANALYTICS_CONCURRENCY) and the
timeline's cap (GATEWAY_ANALYTICS_TIMELINE_MAX_ENTRIES)."""

import asyncio
from typing import Any

import pytest

from gateway.appkeys import ENTRY_SOURCE
from tests.analytics.wiring import TODAY, ask, day, seed
from tests.timers.conftest import GatewayFactory, assert_error

DEADLINE_S = 5.0


@pytest.mark.parametrize("concurrency", [1, 2])
async def test_analytics_computations_beyond_the_bound_wait_their_turn(
    make_gateway: GatewayFactory, monkeypatch: pytest.MonkeyPatch, concurrency: int
) -> None:
    gw = await make_gateway(analytics_concurrency=concurrency)
    seed(gw.redmine.state)
    source = gw.app[ENTRY_SOURCE]
    original = source.fold  # how the aggregates read their entries
    inside, most, entered = 0, 0, asyncio.Event()
    release = asyncio.Event()

    async def held(*args: Any, **kwargs: Any) -> None:
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        entered.set()
        try:
            await asyncio.wait_for(release.wait(), DEADLINE_S)
            return await original(*args, **kwargs)
        finally:
            inside -= 1

    monkeypatch.setattr(source, "fold", held)
    # Five different questions (no answer from the cache for another).
    asked = [
        asyncio.create_task(ask(gw, "analytics", start=day(-n).isoformat(), end=TODAY.isoformat()))
        for n in range(5)
    ]
    await asyncio.wait_for(entered.wait(), DEADLINE_S)
    # As many computations as the bound start at once (the rest wait at the gate)...
    async with asyncio.timeout(DEADLINE_S):
        while True:
            await asyncio.sleep(0)
            if inside == concurrency:
                break
    release.set()
    replies = await asyncio.wait_for(asyncio.gather(*asked), DEADLINE_S)
    assert [r.status for r in replies] == [200] * 5
    # ... and never more, however many requests came.
    assert most == concurrency
    assert [r.data["total_hours"] for r in replies] == [3.5, 4.0, 4.25, 5.25, 5.25]


async def test_the_same_question_waiting_at_the_gate_is_answered_from_the_cache(
    make_gateway: GatewayFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    gw = await make_gateway(analytics_concurrency=1)
    seed(gw.redmine.state)
    source = gw.app[ENTRY_SOURCE]
    original = source.fold
    computed = 0

    async def counted(*args: Any, **kwargs: Any) -> None:
        nonlocal computed
        computed += 1
        return await original(*args, **kwargs)

    monkeypatch.setattr(source, "fold", counted)
    replies = await asyncio.gather(*(ask(gw, "team") for _ in range(3)))
    assert [r.status for r in replies] == [200] * 3
    assert replies[0].body == replies[1].body == replies[2].body
    assert computed == 1


async def test_a_timeline_over_the_cap_is_422_and_a_narrower_one_answers(
    make_gateway: GatewayFactory,
) -> None:
    gw = await make_gateway(analytics_timeline_max_entries=3)
    seed(gw.redmine.state)
    # alice sees five entries in the last 30 days (two of them today).
    reply = await ask(gw, "timeline")
    assert_error(reply, 422, "VALIDATION_FAILED", "period")
    assert "more than 3 entries" in reply.body["message"]
    narrow = await ask(gw, "timeline", start=TODAY.isoformat())
    assert narrow.status == 200, narrow.body
    assert [len(d["entries"]) for d in narrow.data["days"]] == [2]
    # The aggregates are not capped: they answer for the whole range.
    assert (await ask(gw, "analytics")).data["total_hours"] == 5.25
