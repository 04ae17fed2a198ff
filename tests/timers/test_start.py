"""POST /time-trackings: which task, project and activity a timer is for, and when it may start."""

from dataclasses import replace
from typing import Any

import pytest
from yarl import URL

from tests.timers.conftest import (
    ALICE,
    ITEM_FIELDS,
    Gateway,
    GatewayFactory,
    assert_error,
    posted_entry,
)

UUID_3 = "6f1c2a9e-0003-4b7a-9c1d-000000000003"


async def recorded_entry(gw: Gateway, **fields: Any) -> dict[str, Any]:
    """What a timer started with `fields` and stopped 30 minutes later posted to Redmine."""
    mark = gw.mark()
    await gw.timed(30, **fields)
    [post] = gw.entry_posts_since(mark)
    return posted_entry(post)


async def assert_nothing_started(gw: Gateway) -> None:
    assert (await gw.request("GET", "/time-trackings/active")).body == {"data": None}
    assert gw.redmine.entries_for(ALICE) == []


async def test_start_answers_201_with_the_running_timer(gw: Gateway) -> None:
    reply = await gw.request("POST", "/time-trackings", body={"task_uuid": "1"})
    assert reply.status == 201
    data = reply.data
    assert ITEM_FIELDS <= data.keys()
    assert data["task_uuid"] == "1"
    assert data["user"] == {"username": "alice", "name": "Alice Tester"}
    assert data["started_at"] == data["created_at"] == "2026-03-02T09:00:00Z"
    assert data["ended_at"] is None
    assert data["duration_minutes"] == 0
    assert data["hours"] is None
    assert data["redmine_time_entry_id"] is None
    assert data["is_manual"] is False
    assert data["project_slug"] == "web-app"
    assert data["status"] == "running"
    assert data["description"] == ""
    assert (await gw.request("GET", "/time-trackings/active")).data == data


@pytest.mark.parametrize("task_uuid", ["2", "#2", " #2 "])
async def test_an_issue_number_names_the_issue(gw: Gateway, task_uuid: str) -> None:
    entry = await recorded_entry(gw, task_uuid=task_uuid)
    assert entry["issue_id"] == 2
    assert not any(p == "/issues.json" for p in gw.paths_since(0))


async def test_other_task_uuids_are_looked_up_by_custom_field_and_cached(
    make_gateway: GatewayFactory,
) -> None:
    gw = await make_gateway(task_field_id=1)
    started = await gw.start(task_uuid=UUID_3)
    assert started["task_uuid"] == UUID_3
    [lookup] = [c for c in gw.calls_since(0) if c.raw_path.startswith("/issues.json")]
    query = URL(lookup.raw_path).query
    assert (query["cf_1"], query["status_id"]) == (UUID_3, "*")
    assert lookup.headers["X-Redmine-API-Key"] == gw.redmine.api_key_of("alice")
    gw.clock.advance(minutes=30)
    await gw.stop(started["id"])
    mark = gw.mark()
    assert (await recorded_entry(gw, task_uuid=UUID_3))["issue_id"] == 3
    assert not any(p == "/issues.json" for p in gw.paths_since(mark))


async def test_a_non_numeric_task_uuid_needs_the_task_field_setting(gw: Gateway) -> None:
    reply = await gw.request("POST", "/time-trackings", body={"task_uuid": UUID_3})
    assert_error(reply, 422, "VALIDATION_FAILED", "task_uuid")
    assert "GATEWAY_TASK_FIELD_ID" in reply.body["errors"]["task_uuid"][0]
    await assert_nothing_started(gw)


@pytest.mark.parametrize("task_uuid", ["999", "6f1c2a9e-0009-4b7a-9c1d-000000000009"])
async def test_an_unknown_task_is_404(make_gateway: GatewayFactory, task_uuid: str) -> None:
    gw = await make_gateway(task_field_id=1)
    reply = await gw.request("POST", "/time-trackings", body={"task_uuid": task_uuid})
    assert_error(reply, 404, "NOT_FOUND")
    await assert_nothing_started(gw)


async def test_a_task_in_a_project_the_caller_is_not_in_is_refused(gw: Gateway) -> None:
    issue = gw.redmine.state.add_issue(2, "Rotate certificates")  # ops: alice is no member
    reply = await gw.request("POST", "/time-trackings", body={"task_uuid": str(issue.id)})
    assert reply.status in (403, 404)
    assert_error(reply, reply.status, "FORBIDDEN" if reply.status == 403 else "NOT_FOUND")
    await assert_nothing_started(gw)


async def test_a_task_the_caller_may_see_but_not_log_time_on_is_422(gw: Gateway) -> None:
    docs = gw.redmine.state.add_project(
        "docs", members=[ALICE], permissions=frozenset({"view_issues", "view_time_entries"})
    )
    issue = gw.redmine.state.add_issue(docs.id, "Write the manual")
    reply = await gw.request("POST", "/time-trackings", body={"task_uuid": str(issue.id)})
    assert_error(reply, 422, "REDMINE_REJECTED", "redmine")
    assert "Issue is invalid" in reply.body["errors"]["redmine"]
    await assert_nothing_started(gw)


@pytest.mark.parametrize("activity_id", [11, 99])
async def test_an_activity_redmine_would_refuse_is_422(gw: Gateway, activity_id: int) -> None:
    body = {"task_uuid": "1", "activity_id": activity_id}
    reply = await gw.request("POST", "/time-trackings", body=body)
    assert_error(reply, 422, "VALIDATION_FAILED", "activity_id")
    await assert_nothing_started(gw)


@pytest.mark.parametrize(
    ("settings", "fields", "posted"),
    [
        ({}, {"activity_id": 10}, 10),
        ({"default_activity_id": 8}, {}, 8),
        ({"default_activity_id": 8}, {"activity_id": 10}, 10),
        ({}, {}, 9),
    ],
    ids=["requested", "setting", "request-wins", "redmine-default"],
)
async def test_the_activity_comes_from_request_then_setting_then_redmine(
    make_gateway: GatewayFactory, settings: dict[str, int], fields: dict[str, int], posted: int
) -> None:
    gw = await make_gateway(**settings)
    assert (await recorded_entry(gw, **fields))["activity_id"] == posted


async def test_without_any_default_activity_the_start_says_how_to_fix_it(gw: Gateway) -> None:
    activities = gw.redmine.state.activities
    activities[9] = replace(activities[9], is_default=False)
    reply = await gw.request("POST", "/time-trackings", body={"task_uuid": "1"})
    assert_error(reply, 422, "VALIDATION_FAILED", "activity_id")
    assert "GATEWAY_DEFAULT_ACTIVITY_ID" in reply.body["errors"]["activity_id"][0]
    await assert_nothing_started(gw)


@pytest.mark.parametrize("name", ["description", "work_description", "comment"])
async def test_the_description_has_aliases(gw: Gateway, name: str) -> None:
    entry = await recorded_entry(gw, **{name: "Fixed the login page"})
    assert entry["comments"] == "Fixed the login page"


async def test_a_description_over_1024_characters_is_422_at_start(gw: Gateway) -> None:
    reply = await gw.request(
        "POST", "/time-trackings", body={"task_uuid": "1", "description": "x" * 1025}
    )
    assert_error(reply, 422, "VALIDATION_FAILED", "description")
    await assert_nothing_started(gw)
    assert (await recorded_entry(gw, description="x" * 1024))["comments"] == "x" * 1024


async def test_project_slug_must_be_the_issues_project(gw: Gateway) -> None:
    body = {"task_uuid": "1", "project_slug": "ops"}
    reply = await gw.request("POST", "/time-trackings", body=body)
    assert_error(reply, 422, "VALIDATION_FAILED", "project_slug")
    await assert_nothing_started(gw)
    started = await gw.start(project_slug="web-app", company_slug="acme")
    assert started["project_slug"] == "web-app"
    assert started["company_slug"] == "acme"
    gw.clock.advance(minutes=30)
    assert (await gw.stop(started["id"]))["company_slug"] == "acme"


async def test_a_second_start_is_409_with_the_running_timer(gw: Gateway) -> None:
    running = await gw.start()
    gw.clock.advance(minutes=5)
    reply = await gw.request("POST", "/time-trackings", body={"task_uuid": "2"})
    assert_error(reply, 409, "CONFLICT")
    assert reply.data["id"] == running["id"]
    assert reply.data["status"] == "running"
    assert reply.data["duration_minutes"] == 5
    assert (await gw.request("GET", "/time-trackings/active")).data["id"] == running["id"]


async def test_stop_previous_records_the_running_timer_then_starts(
    make_gateway: GatewayFactory,
) -> None:
    gw = await make_gateway(on_start_when_running="stop_previous")
    first = await gw.start()
    gw.clock.advance(minutes=45)
    second = await gw.start(task_uuid="2")
    assert second["id"] != first["id"]
    assert second["status"] == "running"
    previous = (await gw.show(first["id"])).data
    assert previous["status"] == "recorded"
    assert previous["hours"] == 0.75
    assert previous["ended_at"] == second["started_at"]
    [entry] = gw.redmine.entries_for(ALICE)
    assert (entry.issue_id, entry.id) == (1, previous["redmine_time_entry_id"])
    assert (await gw.request("GET", "/time-trackings/active")).data["id"] == second["id"]
