"""GET /time-trackings: a project's entries from Redmine and the caller's timers, one id each."""

import datetime as dt
from typing import Any

import pytest
from yarl import URL

from tests.timers.conftest import ALICE, BOB, ENTRIES, ITEM_FIELDS, Gateway, assert_error

DAY = dt.date(2026, 3, 2)


def add_entries(gw: Gateway, count: int) -> list[int]:
    """`count` entries of alice and bob on issues 1-3 over the last ten days; their ids."""
    rows = [
        gw.redmine.state.add_entry(
            user_id=(ALICE, BOB)[n % 2],
            hours="0.5",
            spent_on=DAY - dt.timedelta(days=n % 10),
            issue_id=1 + n % 3,
            comments=f"entry {n}",
        )
        for n in range(count)
    ]
    return [row.id for row in rows]


async def every_item(gw: Gateway, **query: str) -> list[Any]:
    reply = await gw.listing(**query, per_page=100)
    assert reply.status == 200, reply.body
    items: list[Any] = reply.data
    for page in range(2, reply.body["meta"]["last_page"] + 1):
        items += (await gw.listing(**query, per_page=100, page=page)).data
    return items


async def test_every_entry_is_listed_once_over_the_pages(gw: Gateway) -> None:
    ids = add_entries(gw, 230)
    mark = gw.mark()
    first = await gw.listing(project_slug="web-app", per_page=100)
    meta = first.body["meta"]
    assert (meta["total"], meta["per_page"], meta["current_page"], meta["last_page"]) == (
        230,
        100,
        1,
        3,
    )
    assert meta["total_hours"] == 50  # the page's own: a page never reads the others
    offsets = {
        URL(c.raw_path).query["offset"]
        for c in gw.calls_since(mark)
        if c.raw_path.startswith("/time_entries.json")
    }
    # The first page reads Redmine's first page and the rest of the day it ends in, not all.
    assert offsets == {"0", "100"}
    items = await every_item(gw, project_slug="web-app")
    assert sorted(item["id"] for item in items) == ids
    assert all(ITEM_FIELDS <= item.keys() for item in items)
    days = [item["spent_on"] for item in items]
    assert days == sorted(days, reverse=True)


async def test_items_are_newest_first_running_timer_on_top(gw: Gateway) -> None:
    old = gw.redmine.state.add_entry(
        user_id=ALICE, hours=1, spent_on=DAY - dt.timedelta(days=3), issue_id=1
    )
    recent = gw.redmine.state.add_entry(
        user_id=BOB, hours=1, spent_on=DAY - dt.timedelta(days=1), issue_id=2
    )
    recorded = await gw.timed(30)
    running = await gw.start(task_uuid="3")
    items = (await gw.listing(project_slug="web-app")).data
    assert [i["id"] for i in items] == [running["id"], recorded["id"], recent.id, old.id]


async def test_a_timer_keeps_its_id_from_running_to_recorded(gw: Gateway) -> None:
    running = await gw.start()
    [listed] = (await gw.listing(project_slug="web-app")).data
    assert (listed["id"], listed["status"]) == (running["id"], "running")
    gw.clock.advance(minutes=30)
    await gw.stop(running["id"])
    [listed] = (await gw.listing(project_slug="web-app")).data
    [entry] = gw.redmine.entries_for(ALICE)
    assert (listed["id"], listed["status"]) == (running["id"], "recorded")
    assert (listed["redmine_time_entry_id"], listed["hours"]) == (entry.id, 0.5)
    assert listed == (await gw.show(running["id"])).data


async def test_entries_made_in_redmine_directly_are_listed_by_their_redmine_id(
    gw: Gateway,
) -> None:
    entry = gw.redmine.state.add_entry(
        user_id=ALICE, hours="1.25", spent_on=DAY, issue_id=2, comments="by hand"
    )
    [listed] = (await gw.listing(project_slug="web-app")).data
    assert listed["id"] == entry.id
    assert (listed["started_at"], listed["ended_at"]) == (None, None)
    assert (listed["hours"], listed["duration_minutes"]) == (1.25, 75)
    assert (listed["task_uuid"], listed["project_slug"]) == ("2", "web-app")
    assert (listed["description"], listed["status"]) == ("by hand", "recorded")
    assert listed["user"] == {"username": "alice", "name": "Alice Tester"}
    assert listed["redmine_time_entry_id"] == entry.id
    assert (await gw.show(entry.id)).data == listed
    reply = await gw.request("DELETE", f"/time-trackings/{listed['id']}")
    assert reply.status == 204
    assert entry.id not in gw.redmine.entries


async def test_every_listed_id_of_the_caller_is_accepted_by_get(gw: Gateway) -> None:
    add_entries(gw, 6)
    await gw.timed(15, task_uuid="2")
    await gw.start(task_uuid="3")
    items = await every_item(gw, project_slug="web-app", user="me")
    assert len(items) == 5
    for item in items:
        assert (await gw.show(item["id"])).data == item
    for item in items:
        assert (await gw.request("DELETE", f"/time-trackings/{item['id']}")).status == 204
    assert await every_item(gw, project_slug="web-app", user="me") == []
    assert gw.redmine.entries_for(ALICE) == []


@pytest.mark.parametrize(
    ("query", "users", "issues", "count"),
    [
        ({"user": "bob"}, {"bob"}, {"1", "2", "3"}, 5),
        ({"user": str(BOB)}, {"bob"}, {"1", "2", "3"}, 5),
        ({"user": "me"}, {"alice"}, {"1", "2", "3"}, 6),
        ({"task_uuid": "2"}, {"alice", "bob"}, {"2"}, 3),
        ({"task_uuid": "#3", "user": "alice"}, {"alice"}, {"3"}, 2),
        ({"from": "2026-02-27", "to": "2026-03-01"}, {"alice", "bob"}, {"1", "2", "3"}, 3),
        ({"company_slug": "acme"}, {"alice", "bob"}, {"1", "2", "3"}, 11),
    ],
)
async def test_filters(
    gw: Gateway, query: dict[str, str], users: set[str], issues: set[str], count: int
) -> None:
    add_entries(gw, 10)
    await gw.start()  # alice's running timer, today on issue 1
    items = await every_item(gw, project_slug="web-app", **query)
    assert {i["user"]["username"] for i in items} == users
    assert {i["task_uuid"] for i in items} == issues
    if "from" in query:
        assert {i["spent_on"] for i in items} == {"2026-02-27", "2026-02-28", "2026-03-01"}
    assert len(items) == count


async def test_blank_parameters_count_as_not_given(gw: Gateway) -> None:
    ids = add_entries(gw, 4)
    blank = "project_slug=&company_slug=&from=&to=&user=&task_uuid=&page=&per_page="
    reply = await gw.request("GET", f"/time-trackings?{blank}")
    assert reply.status == 200, reply.body
    assert sorted(i["id"] for i in reply.data) == ids


async def test_pagination_meta(gw: Gateway) -> None:
    ids = add_entries(gw, 5)
    reply = await gw.listing(project_slug="web-app", per_page=2, page=3)
    assert reply.body["meta"] == {
        "total": 5,
        "per_page": 2,
        "current_page": 3,
        "last_page": 3,
        # The page's hours (its one item); billable ones only with GATEWAY_BILLABLE_FIELD_ID.
        "total_hours": 0.5,
        "billable_hours": None,
    }
    assert len(reply.data) == 1
    assert (await gw.listing(project_slug="web-app", per_page=2, page=4)).data == []
    default = await gw.listing(project_slug="web-app")
    assert default.body["meta"]["per_page"] == 25
    assert sorted(i["id"] for i in default.data) == ids


async def test_an_unknown_project_is_404(gw: Gateway) -> None:
    assert_error(await gw.listing(project_slug="nope"), 404, "NOT_FOUND")


async def test_a_page_costs_the_same_redmine_requests_however_long_the_history(
    gw: Gateway,
) -> None:
    """Page N reads Redmine's entries around its places (and the whole days it starts and
    ends in), never the whole history: the same requests after ten times more entries."""

    def add_history(first: int, count: int) -> None:
        for n in range(first, first + count):  # ten a day, going back in time
            gw.redmine.state.add_entry(
                user_id=ALICE, hours="0.5", spent_on=DAY - dt.timedelta(days=n // 10), issue_id=1
            )

    async def requests_for(page: int) -> list[str]:
        mark = gw.mark()
        reply = await gw.listing(project_slug="web-app", per_page=25, page=page)
        assert reply.status == 200, reply.body
        return [c.raw_path for c in gw.calls_since(mark) if c.raw_path.startswith(ENTRIES)]

    await gw.start(task_uuid="2")  # a running timer: the caller's items interleave
    add_history(0, 200)
    short = [await requests_for(page) for page in (1, 4)]
    add_history(200, 2000)
    long = [await requests_for(page) for page in (1, 4)]
    assert long == short
    assert all(len(paths) <= 4 for paths in long)
    assert (await gw.listing(project_slug="web-app")).body["meta"]["total"] == 2201
