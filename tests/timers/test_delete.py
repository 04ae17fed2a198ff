"""DELETE /time-trackings/{id}: a running timer is discarded, a recorded one leaves Redmine too."""

import datetime as dt

from gateway.timers.models import TIMER_ID_BASE
from tests.timers.conftest import ALICE, Gateway, GatewayFactory, assert_error


async def delete(gw: Gateway, item_id: int, login: str = "alice") -> int:
    reply = await gw.request("DELETE", f"/time-trackings/{item_id}", login=login)
    if reply.status == 204:
        assert reply.body is None
    return reply.status


async def test_a_running_timer_is_discarded(gw: Gateway) -> None:
    running = await gw.start()
    gw.clock.advance(minutes=20)
    mark = gw.mark()
    assert await delete(gw, running["id"]) == 204
    assert all(c.method == "GET" for c in gw.calls_since(mark))
    assert_error(await gw.show(running["id"]), 404, "NOT_FOUND")
    assert (await gw.request("GET", "/time-trackings/active")).body == {"data": None}
    assert (await gw.listing(project_slug="web-app")).data == []
    assert gw.redmine.entries_for(ALICE) == []
    # Its place is free: a new timer starts.
    assert (await gw.start())["status"] == "running"


async def test_a_recorded_timer_is_deleted_in_redmine_too(gw: Gateway) -> None:
    recorded = await gw.timed(45)
    entry_id = recorded["redmine_time_entry_id"]
    mark = gw.mark()
    assert await delete(gw, recorded["id"]) == 204
    [call] = [c for c in gw.calls_since(mark) if c.method == "DELETE"]
    assert call.raw_path == f"/time_entries/{entry_id}.json"
    assert call.headers["X-Redmine-API-Key"] == gw.redmine.api_key_of("alice")
    assert gw.redmine.entries_for(ALICE) == []
    assert_error(await gw.show(recorded["id"]), 404, "NOT_FOUND")
    assert await delete(gw, recorded["id"]) == 404


async def test_a_split_timer_deletes_each_of_its_entries(make_gateway: GatewayFactory) -> None:
    gw = await make_gateway(split_at_midnight=True)
    gw.clock.current = dt.datetime(2026, 3, 2, 23, 0, tzinfo=dt.UTC)
    recorded = await gw.timed(90)
    assert len(recorded["redmine_time_entry_ids"]) == 2
    assert await delete(gw, recorded["id"]) == 204
    assert gw.redmine.entries_for(ALICE) == []


async def test_a_recorded_timer_already_gone_from_redmine_is_still_deleted(gw: Gateway) -> None:
    recorded = await gw.timed(15)
    gw.redmine.state.delete_entry(recorded["redmine_time_entry_id"])
    assert await delete(gw, recorded["id"]) == 204
    assert_error(await gw.show(recorded["id"]), 404, "NOT_FOUND")


async def test_the_callers_redmine_entry_is_deleted_by_its_redmine_id(gw: Gateway) -> None:
    entry = gw.redmine.state.add_entry(
        user_id=ALICE, hours=2, spent_on=dt.date(2026, 3, 1), issue_id=3
    )
    assert await delete(gw, entry.id) == 204
    assert entry.id not in gw.redmine.entries


async def test_a_timers_entry_deleted_by_its_redmine_id_takes_the_timer_along(
    gw: Gateway,
) -> None:
    recorded = await gw.timed(30)
    assert await delete(gw, recorded["redmine_time_entry_id"]) == 204
    assert gw.redmine.entries_for(ALICE) == []
    assert_error(await gw.show(recorded["id"]), 404, "NOT_FOUND")


async def test_unknown_ids_are_404(gw: Gateway) -> None:
    for item_id in (TIMER_ID_BASE + 77, 77):
        reply = await gw.request("DELETE", f"/time-trackings/{item_id}")
        assert_error(reply, 404, "NOT_FOUND")
