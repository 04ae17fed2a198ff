"""POST /time-trackings with both ends: a manual entry, posted to Redmine at once."""

import datetime as dt
from decimal import Decimal

import pytest

from tests.timers.conftest import ALICE, Gateway, GatewayFactory, assert_error, posted_entry

DAY = dt.date(2026, 3, 2)
EARLY, LATE = "2026-03-02T06:00:00Z", "2026-03-02T07:30:00Z"


@pytest.mark.parametrize(("start", "end"), [("started_at", "ended_at"), ("start", "end")])
async def test_a_manual_entry_is_posted_at_once(gw: Gateway, start: str, end: str) -> None:
    mark = gw.mark()
    body = {"task_uuid": "2", start: EARLY, end: LATE, "comment": "Planning"}
    reply = await gw.request("POST", "/time-trackings", body=body)
    assert reply.status == 201, reply.body
    data = reply.data
    [post] = gw.entry_posts_since(mark)
    assert posted_entry(post) == {
        "issue_id": 2,
        "hours": Decimal("1.5"),
        "spent_on": "2026-03-02",
        "activity_id": 9,
        "comments": "Planning",
    }
    [entry] = gw.redmine.entries_for(ALICE)
    assert data["is_manual"] is True
    assert data["status"] == "recorded"
    assert (data["started_at"], data["ended_at"]) == (EARLY, LATE)
    assert (data["hours"], data["duration_minutes"]) == (1.5, 90)
    assert data["redmine_time_entry_id"] == entry.id
    assert (await gw.show(data["id"])).data == data
    assert (await gw.request("GET", "/time-trackings/active")).body == {"data": None}


async def test_a_manual_entry_leaves_the_running_timer_alone(gw: Gateway) -> None:
    running = await gw.start()
    gw.clock.advance(minutes=10)
    manual = await gw.start(task_uuid="3", started_at=EARLY, ended_at=LATE)
    assert manual["id"] != running["id"]
    assert (await gw.request("GET", "/time-trackings/active")).data["id"] == running["id"]


async def test_a_time_without_offset_is_read_in_the_gateways_zone(
    make_gateway: GatewayFactory,
) -> None:
    gw = await make_gateway(timezone="Europe/Berlin")
    manual = await gw.start(started_at="2026-03-02T00:15:00", ended_at="2026-03-02T00:45:00")
    assert (manual["started_at"], manual["spent_on"]) == ("2026-03-01T23:15:00Z", "2026-03-02")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"started_at": EARLY}, "ended_at"),
        ({"ended_at": LATE}, "started_at"),
        ({"started_at": LATE, "ended_at": EARLY}, "ended_at"),
        ({"started_at": EARLY, "ended_at": EARLY}, "ended_at"),
        ({"started_at": "2026-03-01T06:00:00Z", "ended_at": "2026-03-02T06:00:01Z"}, "ended_at"),
        ({"started_at": EARLY, "ended_at": "2026-03-02T09:05:00Z"}, "ended_at"),
        ({"started_at": "yesterday", "ended_at": LATE}, "started_at"),
        ({"start": EARLY, "end": "soon"}, "end"),
    ],
    ids=["no-end", "no-start", "negative", "empty", "over-24h", "future", "not-a-time", "alias"],
)
async def test_an_impossible_manual_entry_is_422(
    gw: Gateway, fields: dict[str, str], field: str
) -> None:
    reply = await gw.request("POST", "/time-trackings", body={"task_uuid": "1", **fields})
    assert_error(reply, 422, "VALIDATION_FAILED", field)
    assert gw.redmine.entries_for(ALICE) == []
    assert gw.entry_posts_since(0) == []


async def test_a_manual_entry_of_exactly_24_hours_is_accepted(gw: Gateway) -> None:
    manual = await gw.start(started_at="2026-03-01T06:00:00Z", ended_at="2026-03-02T06:00:00Z")
    assert (manual["hours"], manual["status"]) == (24.0, "recorded")


async def test_a_manual_entry_redmine_refuses_is_422_and_kept_as_failed(gw: Gateway) -> None:
    gw.redmine.state.add_entry(user_id=ALICE, hours=998, spent_on=DAY, issue_id=1)
    body = {"task_uuid": "2", "started_at": EARLY, "ended_at": LATE}
    reply = await gw.request("POST", "/time-trackings", body=body)
    assert_error(reply, 422, "REDMINE_REJECTED", "redmine")
    assert (reply.data["status"], reply.data["is_manual"]) == ("failed", True)
    assert (await gw.show(reply.data["id"])).data["status"] == "failed"
    assert len(gw.redmine.entries_for(ALICE)) == 1


async def test_a_manual_entry_sent_again_is_answered_with_the_first(gw: Gateway) -> None:
    # A timer app whose answer was lost sends the very same entry again.
    body = {"task_uuid": "2", "start": EARLY, "end": LATE, "comment": "Planning"}
    first = await gw.request("POST", "/time-trackings", body=body)
    again = await gw.request("POST", "/time-trackings", body=body)
    assert (first.status, again.status) == (201, 201), again.body
    assert again.data == first.data
    [entry] = gw.redmine.entries_for(ALICE)
    assert again.data["redmine_time_entry_id"] == entry.id
    other = await gw.request("POST", "/time-trackings", body={**body, "comment": "Review"})
    assert other.status == 201 and other.data["id"] != first.data["id"]
    assert len(gw.redmine.entries_for(ALICE)) == 2


async def test_a_deleted_manual_entry_may_be_made_again(gw: Gateway) -> None:
    body = {"task_uuid": "2", "start": EARLY, "end": LATE}
    first = await gw.request("POST", "/time-trackings", body=body)
    assert (await gw.request("DELETE", f"/time-trackings/{first.data['id']}")).status == 204
    again = await gw.request("POST", "/time-trackings", body=body)
    assert again.status == 201 and again.data["id"] != first.data["id"]
    assert len(gw.redmine.entries_for(ALICE)) == 1
