"""A caller sees, stops and deletes only their own timers; anyone else's id is answered 404."""

import datetime as dt

import pytest

from tests.timers.conftest import ALICE, Gateway, assert_error

DAY = dt.date(2026, 3, 2)


@pytest.mark.parametrize("status", ["running", "recorded"])
async def test_another_users_timer_is_404_for_get_put_and_delete(gw: Gateway, status: str) -> None:
    timer = await gw.start()
    if status == "recorded":
        gw.clock.advance(minutes=30)
        timer = await gw.stop(timer["id"])
    path = f"/time-trackings/{timer['id']}"
    mark = gw.mark()
    for method in ("GET", "PUT", "DELETE"):
        assert_error(await gw.request(method, path, login="bob", body={}), 404, "NOT_FOUND")
    assert gw.entry_posts_since(mark) == []
    assert all(c.method == "GET" for c in gw.calls_since(mark))
    still = (await gw.show(timer["id"])).data
    assert still["status"] == status
    assert still["ended_at"] == timer["ended_at"]
    assert len(gw.redmine.entries_for(ALICE)) == (status == "recorded")


async def test_another_users_running_timer_is_not_their_active_one(gw: Gateway) -> None:
    await gw.start()
    reply = await gw.request("GET", "/time-trackings/active", login="bob")
    assert reply.status == 200
    assert reply.body == {"data": None}
    # Nor does it keep them from starting their own.
    mine = await gw.start("bob", task_uuid="2")
    assert mine["user"] == {"username": "bob", "name": "Bob Tester"}


@pytest.mark.parametrize("method", ["GET", "DELETE"])
async def test_another_users_redmine_entry_is_404(gw: Gateway, method: str) -> None:
    entry = gw.redmine.state.add_entry(user_id=ALICE, hours=1, spent_on=DAY, issue_id=1)
    reply = await gw.request(method, f"/time-trackings/{entry.id}", login="bob")
    assert_error(reply, 404, "NOT_FOUND")
    assert entry.id in gw.redmine.entries


@pytest.mark.parametrize("method", ["GET", "DELETE"])
async def test_an_entry_in_a_project_the_caller_cannot_see_is_404(gw: Gateway, method: str) -> None:
    # Redmine answers 403 here; the gateway must not tell "hidden" from "missing".
    entry = gw.redmine.state.add_entry(user_id=1, hours=1, spent_on=DAY, project_id=2)
    reply = await gw.request(method, f"/time-trackings/{entry.id}")
    assert_error(reply, 404, "NOT_FOUND")
    assert entry.id in gw.redmine.entries
