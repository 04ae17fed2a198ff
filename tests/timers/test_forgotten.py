"""GATEWAY_MAX_TIMER_HOURS: a forgotten timer is shown over the limit and posts the limit."""

from decimal import Decimal
from typing import Any

from tests.timers.conftest import Gateway, GatewayFactory, posted_entry


async def active(gw: Gateway) -> Any:
    return (await gw.request("GET", "/time-trackings/active")).data


async def test_a_timer_past_the_limit_is_shown_over_it_with_the_limit(gw: Gateway) -> None:
    started = await gw.start()
    gw.clock.advance(hours=12)
    shown = await active(gw)
    assert (shown["over_limit"], shown["limit_hours"]) == (False, 12)
    gw.clock.advance(seconds=1)
    shown = await active(gw)
    assert (shown["over_limit"], shown["limit_hours"]) == (True, 12)
    assert (await gw.show(started["id"])).data["over_limit"] is True


async def test_stopping_it_without_an_end_posts_the_limit_and_keeps_the_raw_seconds(
    gw: Gateway,
) -> None:
    started = await gw.start()
    gw.clock.advance(hours=14)
    mark = gw.mark()
    stopped = await gw.stop(started["id"])
    [post] = gw.entry_posts_since(mark)
    assert posted_entry(post)["hours"] == Decimal(12)
    assert (stopped["hours"], stopped["capped"]) == (12, True)
    assert stopped["duration_seconds"] == 14 * 3600
    assert stopped["ended_at"] == "2026-03-02T23:00:00Z"
    assert (stopped["over_limit"], stopped["limit_hours"]) == (False, None)
    assert (await gw.show(started["id"])).data["capped"] is True


async def test_an_explicit_end_is_taken_as_given(gw: Gateway) -> None:
    started = await gw.start()
    gw.clock.advance(hours=15)
    stopped = await gw.stop(started["id"], end="2026-03-02T23:00:00Z")
    assert (stopped["hours"], stopped["capped"], stopped["duration_seconds"]) == (
        14,
        False,
        14 * 3600,
    )


async def test_the_cap_counts_working_time_not_pauses(gw: Gateway) -> None:
    started = await gw.start()
    gw.clock.advance(hours=8)
    await gw.request("POST", f"/time-trackings/{started['id']}/pause")
    gw.clock.advance(hours=10)
    assert (await active(gw))["over_limit"] is False
    await gw.request("POST", f"/time-trackings/{started['id']}/resume")
    gw.clock.advance(hours=5)
    assert (await active(gw))["over_limit"] is True
    stopped = await gw.stop(started["id"])
    assert (stopped["hours"], stopped["capped"], stopped["duration_seconds"]) == (
        12,
        True,
        13 * 3600,
    )


async def test_a_limit_of_zero_is_off(make_gateway: GatewayFactory) -> None:
    gw = await make_gateway(max_timer_hours=0)
    started = await gw.start()
    gw.clock.advance(hours=20)
    shown = await active(gw)
    assert (shown["over_limit"], shown["limit_hours"]) == (False, None)
    stopped = await gw.stop(started["id"])
    assert (stopped["hours"], stopped["capped"]) == (20, False)


async def test_a_smaller_limit_is_shown_and_posted(make_gateway: GatewayFactory) -> None:
    gw = await make_gateway(max_timer_hours=1.5)
    started = await gw.start()
    gw.clock.advance(hours=2)
    assert (await active(gw))["limit_hours"] == 1.5
    stopped = await gw.stop(started["id"])
    assert (stopped["hours"], stopped["capped"]) == (1.5, True)
