"""A start with project_slug and no task_uuid: time on the project itself, with no issue."""

from decimal import Decimal

import pytest

from tests.timers.conftest import ALICE, Gateway, assert_error, posted_entry

PROJECT_ENTRY = {
    "project_id": 1,
    "hours": Decimal("0.5"),
    "spent_on": "2026-03-02",
    "activity_id": 9,
    "comments": "Standup",
}


async def test_a_project_timer_posts_an_entry_on_the_project_without_an_issue(
    gw: Gateway,
) -> None:
    reply = await gw.request(
        "POST", "/time-trackings", body={"project_slug": "web-app", "description": "Standup"}
    )
    assert reply.status == 201, reply.body
    started = reply.data
    assert (started["task_uuid"], started["project_slug"]) == (None, "web-app")
    gw.clock.advance(minutes=30)
    mark = gw.mark()
    stopped = await gw.stop(started["id"])
    [post] = gw.entry_posts_since(mark)
    assert posted_entry(post) == PROJECT_ENTRY
    [entry] = gw.redmine.entries_for(ALICE)
    assert (entry.project_id, entry.issue_id) == (1, None)
    assert (stopped["status"], stopped["redmine_time_entry_id"]) == ("recorded", entry.id)


async def test_the_start_asks_redmine_first_with_a_dry_run_on_the_project(gw: Gateway) -> None:
    mark = gw.mark()
    await gw.request("POST", "/time-trackings", body={"project_slug": "web-app"})
    dry_runs = [c for c in gw.calls_since(mark) if c.method == "POST"]
    assert [posted_entry(c) for c in dry_runs] == [
        {"project_id": 1, "activity_id": 9, "comments": ""}
    ]


async def test_a_manual_entry_on_the_project(gw: Gateway) -> None:
    body = {
        "project_slug": "web-app",
        "duration": "30m",
        "date": "2026-03-02",
        "comment": "Standup",
    }
    mark = gw.mark()
    reply = await gw.request("POST", "/time-trackings", body=body)
    assert reply.status == 201, reply.body
    [post] = gw.entry_posts_since(mark)
    assert posted_entry(post) == PROJECT_ENTRY


async def test_a_project_entry_is_listed_once_as_the_timer(gw: Gateway) -> None:
    started = await gw.start(task_uuid=None, project_slug="web-app")
    gw.clock.advance(minutes=30)
    await gw.stop(started["id"])
    listed = (await gw.listing(project_slug="web-app")).data
    assert [(item["id"], item["task_uuid"]) for item in listed] == [(started["id"], None)]


async def test_a_lost_answer_on_a_project_entry_is_adopted_not_posted_twice(gw: Gateway) -> None:
    started = await gw.start(task_uuid=None, project_slug="web-app")
    gw.clock.advance(minutes=30)
    gw.redmine.lose_answers_to_next_posts(1)
    await gw.stop(started["id"], expect=202)
    gw.clock.advance(minutes=1)
    mark = gw.mark()
    assert await gw.run_outbox() == 1
    assert gw.entry_posts_since(mark) == []
    [entry] = gw.redmine.entries_for(ALICE)
    shown = (await gw.show(started["id"])).data
    assert (shown["status"], shown["redmine_time_entry_id"]) == ("recorded", entry.id)


async def test_neither_a_task_nor_a_project_is_422(gw: Gateway) -> None:
    reply = await gw.request("POST", "/time-trackings", body={"description": "what?"})
    assert_error(reply, 422, "VALIDATION_FAILED", "task_uuid")


@pytest.mark.parametrize(
    ("slug", "status", "code"),
    [
        ("ops", 403, "FORBIDDEN"),  # a private project alice is no member of
        ("no-such-project", 404, "NOT_FOUND"),
        ("../users/1", 422, "VALIDATION_FAILED"),
        ("Web App", 422, "VALIDATION_FAILED"),
    ],
)
async def test_a_project_not_the_callers_or_not_a_project_is_refused(
    gw: Gateway, slug: str, status: int, code: str
) -> None:
    mark = gw.mark()
    reply = await gw.request("POST", "/time-trackings", body={"project_slug": slug})
    assert_error(reply, status, code)
    assert gw.entry_posts_since(mark) == []
    assert (await gw.request("GET", "/time-trackings/active")).body == {"data": None}
