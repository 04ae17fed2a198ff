"""GitScrum's list filters on GET /time-trackings: start/end (from/to), users, task_uuid."""

import datetime as dt
from typing import Any

import pytest
from yarl import URL

from tests.timers.conftest import ALICE, BOB, Gateway, assert_error

DAY = dt.date(2026, 3, 2)


def add(gw: Gateway, user_id: int, days_ago: int, issue_id: int = 1) -> int:
    return gw.redmine.state.add_entry(
        user_id=user_id,
        hours="0.5",
        spent_on=DAY - dt.timedelta(days=days_ago),
        issue_id=issue_id,
        comments=f"{user_id} {days_ago} {issue_id}",
    ).id


async def ids_of(gw: Gateway, query: str) -> set[int]:
    reply = await gw.request("GET", f"/time-trackings?{query}")
    assert reply.status == 200, reply.body
    return {item["id"] for item in reply.data}


@pytest.mark.parametrize("names", [("start", "end"), ("from", "to")])
async def test_start_and_end_bound_the_days_like_from_and_to(
    gw: Gateway, names: tuple[str, str]
) -> None:
    inside = {add(gw, ALICE, 1), add(gw, BOB, 2)}
    add(gw, ALICE, 0)
    add(gw, ALICE, 3)
    first, last = names
    query = f"project_slug=web-app&{first}=2026-02-28&{last}=2026-03-01"
    assert await ids_of(gw, query) == inside


async def test_start_and_from_that_disagree_are_422(gw: Gateway) -> None:
    reply = await gw.request("GET", "/time-trackings?start=2026-03-01&from=2026-02-01")
    assert_error(reply, 422, "VALIDATION_FAILED", "start")


async def test_a_bad_start_is_422(gw: Gateway) -> None:
    reply = await gw.request("GET", "/time-trackings?start=yesterday")
    assert_error(reply, 422, "VALIDATION_FAILED", "start")


async def test_users_by_id_are_asked_of_redmine(gw: Gateway) -> None:
    alice, bob = add(gw, ALICE, 0), add(gw, BOB, 0)
    mark = gw.mark()
    assert await ids_of(gw, f"users={ALICE},{BOB}") == {alice, bob}
    sent = [URL(c.raw_path) for c in gw.calls_since(mark) if "time_entries" in c.raw_path]
    assert {u.query.get("user_id") for u in sent} == {f"{ALICE}|{BOB}"}
    assert await ids_of(gw, f"users={BOB}") == {bob}


async def test_users_by_login_and_me(gw: Gateway) -> None:
    alice, bob = add(gw, ALICE, 0), add(gw, BOB, 0)
    assert await ids_of(gw, "users=bob") == {bob}
    assert await ids_of(gw, "users=me") == {alice}
    assert await ids_of(gw, "users=me,bob") == {alice, bob}
    assert await ids_of(gw, "users=BOB,%20") == {bob}
    assert await ids_of(gw, "users=nobody") == set()


async def test_users_take_in_the_callers_own_timers(gw: Gateway) -> None:
    running = await gw.start(task_uuid="2")
    bob = add(gw, BOB, 0)
    assert await ids_of(gw, "users=alice,bob") == {running["id"], bob}
    assert await ids_of(gw, "users=bob") == {bob}


async def test_task_uuid_by_issue_and_by_task_field(make_gateway: Any) -> None:
    gw: Gateway = await make_gateway(task_field_id=1)
    on_two = add(gw, ALICE, 0, issue_id=2)
    add(gw, ALICE, 0, issue_id=1)
    assert await ids_of(gw, "task_uuid=2") == {on_two}
    uuid = "6f1c2a9e-0002-4b7a-9c1d-000000000002"
    assert await ids_of(gw, f"task_uuid={uuid}") == {on_two}


async def test_gitscrum_filters_together(gw: Gateway) -> None:
    wanted = add(gw, BOB, 1, issue_id=3)
    add(gw, BOB, 1, issue_id=1)
    add(gw, ALICE, 1, issue_id=3)
    add(gw, BOB, 4, issue_id=3)
    query = (
        "company_slug=redmine&project_slug=web-app&start=2026-03-01&end=2026-03-01"
        "&users=bob&task_uuid=3"
    )
    assert await ids_of(gw, query) == {wanted}
