"""GET /time-trackings/active and PUT /time-trackings/{id}: the running timer, and stopping it."""

import asyncio
import datetime as dt
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from gateway.appkeys import STORE
from tests.timers.conftest import (
    ALICE,
    Gateway,
    GatewayFactory,
    assert_error,
    posted_entry,
    rendezvous,
)

DAY = dt.date(2026, 3, 2)


async def test_active_is_null_without_a_running_timer(gw: Gateway) -> None:
    reply = await gw.request("GET", "/time-trackings/active")
    assert (reply.status, reply.body) == (200, {"data": None})


async def test_active_shows_the_running_timer_with_its_elapsed_minutes(gw: Gateway) -> None:
    started = await gw.start()
    for minutes, elapsed in ((40, 40), (25.5, 65)):
        gw.clock.advance(minutes=minutes)
        active = (await gw.request("GET", "/time-trackings/active")).data
        assert (active["id"], active["duration_minutes"]) == (started["id"], elapsed)
        assert active["status"] == "running"
    await gw.stop(started["id"])
    assert (await gw.request("GET", "/time-trackings/active")).body == {"data": None}


async def test_stop_posts_the_entry_and_answers_200_with_it(gw: Gateway) -> None:
    started = await gw.start(task_uuid="2", description="Export to CSV")
    gw.clock.advance(minutes=40)
    mark = gw.mark()
    stopped = await gw.stop(started["id"])
    [post] = gw.entry_posts_since(mark)
    assert posted_entry(post) == {
        "issue_id": 2,
        "hours": Decimal("0.75"),
        "spent_on": "2026-03-02",
        "activity_id": 9,
        "comments": "Export to CSV",
    }
    [entry] = gw.redmine.entries_for(ALICE)
    assert stopped["id"] == started["id"]
    assert stopped["status"] == "recorded"
    assert stopped["redmine_time_entry_id"] == entry.id
    assert stopped["hours"] == 0.75
    assert stopped["duration_minutes"] == 40
    assert stopped["duration_seconds"] == 2400
    assert stopped["ended_at"] == "2026-03-02T09:40:00Z"
    assert (await gw.show(started["id"])).data == stopped


@pytest.mark.parametrize("name", ["end", "ended_at"])
async def test_stop_at_a_given_end(gw: Gateway, name: str) -> None:
    started = await gw.start()
    gw.clock.advance(hours=3)
    end: dict[str, Any] = {name: "2026-03-02T10:30:00+01:00"}
    stopped = await gw.stop(started["id"], **end)
    assert stopped["ended_at"] == "2026-03-02T09:30:00Z"
    assert stopped["hours"] == 0.5


@pytest.mark.parametrize(
    ("end", "message"),
    [("2026-03-02T08:58:30Z", "before the start"), ("2026-03-02T09:35:00Z", "future")],
)
async def test_an_impossible_end_is_422_and_the_timer_keeps_running(
    gw: Gateway, end: str, message: str
) -> None:
    started = await gw.start()
    gw.clock.advance(minutes=30)
    reply = await gw.request("PUT", f"/time-trackings/{started['id']}", body={"end": end})
    assert_error(reply, 422, "VALIDATION_FAILED", "ended_at")
    assert message in reply.body["message"]
    assert (await gw.show(started["id"])).data["status"] == "running"
    assert gw.redmine.entries_for(ALICE) == []


@pytest.mark.parametrize("end", ["2026-03-02T08:59:30Z", "2026-03-02T08:59:00Z"])
async def test_an_end_at_most_a_minute_before_the_start_is_taken_as_the_start(
    gw: Gateway, end: str
) -> None:
    # The client's clock is behind the gateway's, as for an end a little in the future.
    started = await gw.start()
    assert started["started_at"] == "2026-03-02T09:00:00Z"
    gw.clock.advance(minutes=30)
    stopped = await gw.stop(started["id"], end=end)
    assert stopped["ended_at"] == stopped["started_at"]
    assert (stopped["status"], stopped["duration_seconds"]) == ("recorded", 0)
    [entry] = gw.redmine.entries_for(ALICE)
    assert float(entry.hours) == 0.25  # the least ever posted: one increment


async def test_stop_takes_description_activity_and_company_from_the_request(gw: Gateway) -> None:
    started = await gw.start(description="first words")
    gw.clock.advance(minutes=15)
    body: dict[str, Any] = {
        "work_description": "final words",
        "activity_id": 8,
        "company_slug": "acme",
    }
    stopped = await gw.stop(started["id"], **body)
    assert (stopped["description"], stopped["company_slug"]) == ("final words", "acme")
    [entry] = gw.redmine.entries_for(ALICE)
    assert (entry.comments, entry.activity_id) == ("final words", 8)


async def test_stop_with_another_project_slug_is_422(gw: Gateway) -> None:
    started = await gw.start()
    reply = await gw.request(
        "PUT", f"/time-trackings/{started['id']}", body={"project_slug": "ops"}
    )
    assert_error(reply, 422, "VALIDATION_FAILED", "project_slug")
    assert (await gw.show(started["id"])).data["status"] == "running"


async def test_stopping_again_answers_the_same_entry_and_posts_nothing(gw: Gateway) -> None:
    stopped = await gw.timed(30)
    gw.clock.advance(minutes=30)
    mark = gw.mark()
    again: list[dict[str, Any]] = [{}, {"end": "2026-03-02T09:50:00Z", "description": "late"}]
    for body in again:
        assert await gw.stop(stopped["id"], **body) == stopped
    assert gw.entry_posts_since(mark) == []
    assert len(gw.redmine.entries_for(ALICE)) == 1


@pytest.mark.parametrize("both_read_first", [False, True])
async def test_two_concurrent_stops_post_one_entry(
    gw: Gateway, monkeypatch: pytest.MonkeyPatch, both_read_first: bool
) -> None:
    started = await gw.start()
    gw.clock.advance(minutes=30)
    if both_read_first:
        rendezvous(monkeypatch, gw.app[STORE], "timer")
    mark = gw.mark()
    path = f"/time-trackings/{started['id']}"
    replies = await asyncio.gather(*(gw.request("PUT", path, body={}) for _ in range(2)))
    assert len(gw.entry_posts_since(mark)) == 1
    assert {r.status for r in replies} <= {200, 202}
    assert {r.data["id"] for r in replies} == {started["id"]}
    [entry] = gw.redmine.entries_for(ALICE)
    shown = (await gw.show(started["id"])).data
    assert (shown["status"], shown["redmine_time_entry_id"]) == ("recorded", entry.id)


@pytest.mark.parametrize(
    ("settings", "seconds", "hours"),
    [
        ({}, 10, 0.25),
        ({}, 40 * 60, 0.75),
        ({}, 22 * 60 + 29, 0.25),
        ({}, 22 * 60 + 30, 0.5),
        ({"rounding_mode": "up"}, 16 * 60, 0.5),
        ({"rounding_mode": "down"}, 29 * 60, 0.25),
        ({"rounding_mode": "down"}, 10, 0.25),
        ({"rounding_min_min": 30}, 10, 0.5),
        ({"rounding_increment_min": 6}, 40 * 60, 0.7),
        ({"rounding_increment_min": 6, "rounding_mode": "up"}, 10, 0.1),
    ],
)
async def test_posted_hours_follow_the_rounding_policy_and_keep_raw_seconds(
    make_gateway: GatewayFactory, settings: dict[str, Any], seconds: int, hours: float
) -> None:
    gw = await make_gateway(**settings)
    stopped = await gw.timed(seconds / 60)
    assert (stopped["hours"], stopped["duration_seconds"]) == (hours, seconds)
    [entry] = gw.redmine.entries_for(ALICE)
    assert float(entry.hours) == hours


@pytest.mark.parametrize(
    ("zone", "spent_on"), [("UTC", "2026-03-02"), ("Europe/Berlin", "2026-03-03")]
)
async def test_spent_on_is_the_starts_date_in_the_gateways_zone(
    make_gateway: GatewayFactory, zone: str, spent_on: str
) -> None:
    gw = await make_gateway(timezone=zone)
    gw.clock.current = dt.datetime(2026, 3, 2, 23, 30, tzinfo=dt.UTC)
    assert (await gw.timed(20))["spent_on"] == spent_on
    [entry] = gw.redmine.entries_for(ALICE)
    assert entry.spent_on.isoformat() == spent_on


@pytest.mark.parametrize(
    ("settings", "posted"),
    [
        ({}, [("2026-03-02", 2.0)]),
        ({"split_at_midnight": True}, [("2026-03-02", 1.0), ("2026-03-03", 1.0)]),
        ({"split_at_midnight": True, "timezone": "Europe/Berlin"}, [("2026-03-03", 2.0)]),
    ],
)
async def test_a_timer_past_midnight_posts_one_entry_per_day_when_split(
    make_gateway: GatewayFactory, settings: dict[str, Any], posted: list[tuple[str, float]]
) -> None:
    gw = await make_gateway(**settings)
    gw.clock.current = dt.datetime(2026, 3, 2, 23, 0, tzinfo=dt.UTC)
    stopped = await gw.timed(120)
    entries = gw.redmine.entries_for(ALICE)
    assert [(e.spent_on.isoformat(), float(e.hours)) for e in entries] == posted
    assert stopped["redmine_time_entry_ids"] == [e.id for e in entries]
    assert (stopped["hours"], stopped["status"]) == (2.0, "recorded")


async def test_redmines_refusal_at_stop_is_422_and_leaves_the_timer_failed(gw: Gateway) -> None:
    blocker = gw.redmine.state.add_entry(user_id=ALICE, hours=999, spent_on=DAY, issue_id=2)
    started = await gw.start()
    gw.clock.advance(minutes=30)
    reply = await gw.request("PUT", f"/time-trackings/{started['id']}", body={})
    assert_error(reply, 422, "REDMINE_REJECTED", "redmine")
    [message] = reply.body["errors"]["redmine"]
    assert message.startswith("Cannot log more than 999")
    assert (reply.data["status"], reply.data["errors"]) == ("failed", [message])
    shown = (await gw.show(started["id"])).data
    assert (shown["status"], shown["ended_at"]) == ("failed", "2026-03-02T09:30:00Z")
    assert (await gw.request("GET", "/time-trackings/active")).body == {"data": None}
    # Once the day has room, stopping again posts it (the end stays where it was).
    gw.redmine.state.delete_entry(blocker.id)
    gw.clock.advance(minutes=30)
    stopped = await gw.stop(started["id"], description="second try")
    [entry] = gw.redmine.entries_for(ALICE)
    assert (stopped["status"], stopped["hours"], stopped["errors"]) == ("recorded", 0.5, [])
    assert (entry.id, entry.comments) == (stopped["redmine_time_entry_id"], "second try")


async def test_a_failed_timer_is_reposted_with_corrected_fields(gw: Gateway) -> None:
    started = await gw.start(activity_id=10)
    activities = gw.redmine.state.activities
    activities[10] = replace(activities[10], active=False)  # retired while the timer ran
    gw.clock.advance(minutes=15)
    reply = await gw.request("PUT", f"/time-trackings/{started['id']}", body={})
    assert_error(reply, 422, "REDMINE_REJECTED", "redmine")
    assert reply.body["errors"]["redmine"] == ["Activity is not included in the list"]
    stopped = await gw.stop(started["id"], activity_id=8)
    assert (stopped["status"], stopped["activity_id"]) == ("recorded", 8)
    [entry] = gw.redmine.entries_for(ALICE)
    assert entry.activity_id == 8


async def test_a_failed_timer_can_be_deleted(gw: Gateway) -> None:
    gw.redmine.state.add_entry(user_id=ALICE, hours=999, spent_on=DAY, issue_id=2)
    started = await gw.start()
    await gw.stop(started["id"], expect=422)
    reply = await gw.request("DELETE", f"/time-trackings/{started['id']}")
    assert (reply.status, reply.body) == (204, None)
    assert_error(await gw.show(started["id"]), 404, "NOT_FOUND")
    assert len(gw.redmine.entries_for(ALICE)) == 1  # only the day's existing entry
