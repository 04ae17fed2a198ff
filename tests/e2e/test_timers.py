"""/time-trackings records real Redmine time entries, checked by reading Redmine directly."""

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from tests.gateway_process import GatewayProcess

from .cleanup import Cleanup
from .endpoints import Endpoint, Endpoints
from .harness import Harness
from .served_gateway import serve_gateway
from .time_trackings import GONE, RedmineReader, TimeTrackings, bearer, data_of

pytestmark = pytest.mark.e2e

# Far enough back that no other test logs time on it; only alice's own hours there count.
CAPPED_DAY = dt.date(2019, 5, 14)
# Redmine's default cap on one user's hours per day (Setting.timelog_max_hours_per_day).
DAILY_CAP_H = 999
PRELOGGED_H = 990
# Redmine 5.0.4's message for a time entry with an inactive activity.
INACTIVE_ACTIVITY = "Activity is not included in the list"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def task_field_gateway(
    redmine: Harness, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[GatewayProcess]:
    """A second gateway that resolves task_uuid through the seeded "Task UUID" custom field."""
    field_id = redmine.task_uuid_param.removeprefix("cf_")
    log_path = tmp_path_factory.mktemp("gateway-task-field") / "gateway.log"
    async with serve_gateway(
        redmine.base_url, log_path, extra_env={"GATEWAY_TASK_FIELD_ID": field_id}
    ) as running:
        yield running


@pytest.fixture
async def timers(endpoints: Endpoints) -> AsyncIterator[TimeTrackings]:
    api = TimeTrackings(endpoints.gateway)
    yield api
    await api.discard_all()


@pytest.fixture
def direct(endpoints: Endpoints, redmine: Harness) -> RedmineReader:
    return RedmineReader(endpoints.redmine, redmine.admin.api_key)


def marker(label: str) -> str:
    """A description no other entry has, so an entry is recognised in Redmine."""
    return f"e2e {label} {uuid.uuid4().hex[:12]}"


async def stopped_entry(
    timers: TimeTrackings, key: str, timer_id: int, cleanup: Cleanup
) -> dict[str, Any]:
    """Stops a running timer; the recorded item, its Redmine entry queued for deletion."""
    answer = await timers.stop(key, timer_id)
    assert answer.status == 200, answer.body
    item = data_of(answer)
    assert item["status"] == "recorded", item
    cleanup.delete_later(f"/time_entries/{item['redmine_time_entry_id']}.json")
    return item


async def running_timer(timers: TimeTrackings, key: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A timer just started (201, running)."""
    answer = await timers.start(key, payload)
    assert answer.status == 201, answer.body
    timer = data_of(answer)
    assert timer["status"] == "running", timer
    return timer


def utc_day(moment: str) -> str:
    return dt.datetime.fromisoformat(moment).astimezone(dt.UTC).date().isoformat()


@pytest.mark.parametrize("choose_activity", [False, True], ids=["default-activity", "chosen"])
async def test_start_stop_records_one_entry_in_redmine(
    timers: TimeTrackings,
    direct: RedmineReader,
    redmine: Harness,
    cleanup: Cleanup,
    choose_activity: bool,
) -> None:
    alice, issue = redmine.alice, redmine.issues[0]
    description = marker("start-stop")
    payload: dict[str, Any] = {"task_uuid": str(issue.id), "description": description}
    activity_id = redmine.default_activity_id
    if choose_activity:
        activity_id = payload["activity_id"] = await direct.other_active_activity_id()
    timer = await running_timer(timers, alice.api_key, payload)
    assert (timer["task_uuid"], timer["ended_at"], timer["activity_id"]) == (
        str(issue.id),
        None,
        activity_id,
    )
    assert (await timers.active(alice.api_key) or {}).get("id") == timer["id"]

    recorded = await stopped_entry(timers, alice.api_key, timer["id"], cleanup)
    assert recorded["id"] == timer["id"]
    assert recorded["hours"] == 0.25  # seconds long: the 15-minute minimum
    assert await timers.active(alice.api_key) is None
    entry = await direct.existing_entry(recorded["redmine_time_entry_id"])
    assert entry["hours"] == 0.25
    assert entry["issue"]["id"] == issue.id
    assert entry["activity"]["id"] == activity_id
    # The gateway's zone is UTC by default; its start decides the day.
    assert entry["spent_on"] == utc_day(timer["started_at"]) == recorded["spent_on"]
    assert entry["user"]["id"] == alice.id
    assert entry["comments"] == description

    again = await timers.stop(alice.api_key, timer["id"])
    assert again.status == 200, again.body
    assert data_of(again)["redmine_time_entry_ids"] == [entry["id"]]
    assert await direct.marked_entry_ids(issue.id, description) == {entry["id"]}


async def test_task_uuid_resolves_through_the_custom_field(
    task_field_gateway: GatewayProcess,
    endpoints: Endpoints,
    timers: TimeTrackings,
    direct: RedmineReader,
    redmine: Harness,
    cleanup: Cleanup,
) -> None:
    alice, issue = redmine.alice, redmine.issues[1]
    # Without GATEWAY_TASK_FIELD_ID only issue numbers name tasks.
    plain = await timers.start(alice.api_key, {"task_uuid": issue.task_uuid})
    assert plain.status == 422, plain.body
    assert "task_uuid" in plain.json()["errors"]

    by_field = TimeTrackings(Endpoint(endpoints.gateway.session, task_field_gateway.url))
    try:
        started = await by_field.start(alice.api_key, {"task_uuid": issue.task_uuid})
        assert started.status == 201, started.body
        assert data_of(started)["task_uuid"] == issue.task_uuid
        recorded = await stopped_entry(by_field, alice.api_key, data_of(started)["id"], cleanup)
        entry = await direct.existing_entry(recorded["redmine_time_entry_id"])
        assert (entry["issue"]["id"], entry["user"]["id"]) == (issue.id, alice.id)
    finally:
        await by_field.discard_all()


async def test_manual_entry_is_rounded_to_the_nearest_quarter(
    timers: TimeTrackings, direct: RedmineReader, redmine: Harness, cleanup: Cleanup
) -> None:
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    payload = {
        "task_uuid": str(redmine.issues[0].id),
        "description": marker("manual"),
        "started_at": f"{yesterday}T09:00:00Z",
        "ended_at": f"{yesterday}T10:07:00Z",
    }
    answer = await timers.start(redmine.alice.api_key, payload)
    assert answer.status == 201, answer.body
    item = data_of(answer)
    cleanup.delete_later(f"/time_entries/{item['redmine_time_entry_id']}.json")
    assert (item["is_manual"], item["status"], item["hours"]) == (True, "recorded", 1.0)
    assert item["spent_on"] == yesterday.isoformat()
    entry = await direct.existing_entry(item["redmine_time_entry_id"])
    # 67 minutes, nearest 15: 60.
    assert (entry["hours"], entry["spent_on"]) == (1.0, yesterday.isoformat())
    assert (entry["user"]["id"], entry["comments"]) == (redmine.alice.id, payload["description"])


async def test_api_key_header_and_refused_keys(
    timers: TimeTrackings, direct: RedmineReader, redmine: Harness, cleanup: Cleanup
) -> None:
    alice, issue = redmine.alice, redmine.issues[0]
    payload = {"task_uuid": str(issue.id), "description": marker("keys")}
    unknown_key = "0" * 40
    for credentials in ({}, {"X-Redmine-API-Key": unknown_key}, bearer(unknown_key)):
        refused = await timers.post(credentials, payload)
        assert refused.status == 401, (credentials, refused.body)
        body = refused.json()
        assert body["error_code"] == "UNAUTHENTICATED", body
        assert set(body) == {"message", "error_code", "errors"}, body
    assert await timers.active(alice.api_key) is None
    assert await direct.marked_entry_ids(issue.id, payload["description"]) == set()

    started = await timers.start(alice.api_key, payload, use_bearer=False)
    assert started.status == 201, started.body
    recorded = await stopped_entry(timers, alice.api_key, data_of(started)["id"], cleanup)
    entry = await direct.existing_entry(recorded["redmine_time_entry_id"])
    assert entry["user"]["id"] == alice.id


async def test_users_cannot_touch_each_others_timers(
    timers: TimeTrackings, direct: RedmineReader, redmine: Harness, cleanup: Cleanup
) -> None:
    alice, bob = redmine.alice, redmine.bob
    alices = await timers.start(alice.api_key, {"task_uuid": str(redmine.issues[0].id)})
    bobs = await timers.start(bob.api_key, {"task_uuid": str(redmine.issues[1].id)})
    assert (alices.status, bobs.status) == (201, 201), (alices.body, bobs.body)
    alice_id, bob_id = data_of(alices)["id"], data_of(bobs)["id"]
    assert (await timers.active(alice.api_key) or {}).get("id") == alice_id
    assert (await timers.active(bob.api_key) or {}).get("id") == bob_id

    for answer in (
        await timers.show(bob.api_key, alice_id),
        await timers.stop(bob.api_key, alice_id),
        await timers.delete(bob.api_key, alice_id),
    ):
        assert answer.status == GONE, answer.body
        assert answer.json()["error_code"] == "NOT_FOUND"
    assert (await timers.active(alice.api_key) or {}).get("status") == "running"

    bob_item = await stopped_entry(timers, bob.api_key, bob_id, cleanup)
    assert (await timers.active(alice.api_key) or {}).get("id") == alice_id
    alice_item = await stopped_entry(timers, alice.api_key, alice_id, cleanup)
    assert (await timers.show(bob.api_key, alice_id)).status == GONE
    bob_entry = await direct.existing_entry(bob_item["redmine_time_entry_id"])
    alice_entry = await direct.existing_entry(alice_item["redmine_time_entry_id"])
    assert (bob_entry["user"]["id"], bob_entry["issue"]["id"]) == (bob.id, redmine.issues[1].id)
    assert (alice_entry["user"]["id"], alice_entry["issue"]["id"]) == (
        alice.id,
        redmine.issues[0].id,
    )


async def test_delete_running_and_recorded_timers(
    timers: TimeTrackings, direct: RedmineReader, redmine: Harness, cleanup: Cleanup
) -> None:
    alice, issue = redmine.alice, redmine.issues[0]
    payload = {"task_uuid": str(issue.id), "description": marker("delete")}
    running = await running_timer(timers, alice.api_key, payload)
    deleted = await timers.delete(alice.api_key, running["id"])
    assert deleted.status == 204, deleted.body
    assert (await timers.show(alice.api_key, running["id"])).status == GONE
    assert await timers.active(alice.api_key) is None
    assert await direct.marked_entry_ids(issue.id, payload["description"]) == set()

    started = await running_timer(timers, alice.api_key, payload)
    recorded = await stopped_entry(timers, alice.api_key, started["id"], cleanup)
    assert (await direct.time_entry(recorded["redmine_time_entry_id"])).status == 200
    deleted = await timers.delete(alice.api_key, recorded["id"])
    assert deleted.status == 204, deleted.body
    assert (await direct.time_entry(recorded["redmine_time_entry_id"])).status == GONE
    assert (await timers.show(alice.api_key, recorded["id"])).status == GONE


async def test_listing_keeps_timer_ids_and_shows_direct_entries(
    timers: TimeTrackings, direct: RedmineReader, redmine: Harness, cleanup: Cleanup
) -> None:
    alice, issue = redmine.alice, redmine.issues[0]
    running = await running_timer(timers, alice.api_key, {"task_uuid": str(issue.id)})
    day = utc_day(running["started_at"])
    query = {"project_slug": redmine.project_identifier, "from": day, "to": day}
    listed = {item["id"]: item for item in await timers.listing(alice.api_key, query)}
    assert listed[running["id"]]["status"] == "running"

    recorded = await stopped_entry(timers, alice.api_key, running["id"], cleanup)
    comments = marker("direct")
    created = await direct.create_entry(
        alice.api_key, {"issue_id": issue.id, "hours": 0.5, "spent_on": day, "comments": comments}
    )
    assert created.status == 201, created.body
    entry_id = created.json()["time_entry"]["id"]
    cleanup.delete_later(f"/time_entries/{entry_id}.json")

    listed = {item["id"]: item for item in await timers.listing(alice.api_key, query)}
    # The recorded timer keeps the id it had while running, and its entry is not listed twice.
    assert listed[running["id"]]["status"] == "recorded"
    assert listed[running["id"]]["redmine_time_entry_id"] == recorded["redmine_time_entry_id"]
    assert recorded["redmine_time_entry_id"] not in listed
    mine = listed[entry_id]
    assert (mine["started_at"], mine["description"], mine["hours"]) == (None, comments, 0.5)
    assert (mine["status"], mine["user"]["username"]) == ("recorded", alice.login)

    shown = await timers.show(alice.api_key, entry_id)
    assert shown.status == 200, shown.body
    assert data_of(shown)["redmine_time_entry_id"] == entry_id
    deleted = await timers.delete(alice.api_key, entry_id)
    assert deleted.status == 204, deleted.body
    assert (await direct.time_entry(entry_id)).status == GONE


async def test_small_pages_are_the_whole_list_in_redmines_order(
    timers: TimeTrackings, direct: RedmineReader, redmine: Harness, cleanup: Cleanup
) -> None:
    """Pages read only their part of Redmine's list (its offset/limit, newest day first) and
    the days they cut through: pages of 2 add up to the whole list, newest first."""
    alice, issue = redmine.alice, redmine.issues[0]
    # Three days nobody else logs time on: far ahead, a different stretch each run.
    first = dt.date(2045, 1, 1) + dt.timedelta(days=uuid.uuid4().int % 3000)
    made: list[dict[str, Any]] = []
    for n in range(7):
        fields = {
            "issue_id": issue.id,
            "hours": 0.25,
            "spent_on": (first + dt.timedelta(days=n % 3)).isoformat(),
            "comments": marker(f"page {n}"),
        }
        created = await direct.create_entry(alice.api_key, fields)
        assert created.status == 201, created.body
        made.append(created.json()["time_entry"])
        cleanup.delete_later(f"/time_entries/{made[-1]['id']}.json")
    query = {
        "project_slug": redmine.project_identifier,
        "user": "me",
        "from": first.isoformat(),
        "to": (first + dt.timedelta(days=2)).isoformat(),
    }
    newest_first = sorted(
        made, key=lambda e: (e["spent_on"], e["created_on"], e["id"]), reverse=True
    )
    paged: list[int] = []
    for number in range(1, 5):
        page = await timers.page(alice.api_key, {**query, "per_page": "2", "page": str(number)})
        meta = page["meta"]
        paging = {name: meta[name] for name in ("total", "per_page", "current_page", "last_page")}
        assert paging == {"total": 7, "per_page": 2, "current_page": number, "last_page": 4}
        # The hours are the page's own.
        assert meta["total_hours"] == pytest.approx(sum(i["hours"] for i in page["data"]))
        paged += [item["id"] for item in page["data"]]
    assert paged == [e["id"] for e in newest_first]


async def test_time_on_a_closed_issue_is_recorded(
    timers: TimeTrackings, direct: RedmineReader, redmine: Harness, cleanup: Cleanup
) -> None:
    # Redmine 5.0.4 accepts time on a closed issue: TimeEntry's validation never looks at the
    # issue's status (measured: a direct POST answers 201). So the gateway's dry-run check at start
    # passes and the stop records the entry like any other; nothing here refuses closed issues.
    issue = redmine.issues[2]
    original_status = await direct.issue_status_id(issue.id)
    await direct.set_issue_status(issue.id, await direct.closed_status_id())
    try:
        timer = await running_timer(timers, redmine.alice.api_key, {"task_uuid": str(issue.id)})
        recorded = await stopped_entry(timers, redmine.alice.api_key, timer["id"], cleanup)
        entry = await direct.existing_entry(recorded["redmine_time_entry_id"])
        assert (entry["issue"]["id"], entry["hours"]) == (issue.id, 0.25)
    finally:
        # The seed's status is 1 (New); the next redmine-up.sh would reopen it too.
        await direct.set_issue_status(issue.id, original_status)


async def test_redmine_refusal_reaches_the_caller(
    timers: TimeTrackings, direct: RedmineReader, redmine: Harness, cleanup: Cleanup
) -> None:
    alice, issue = redmine.alice, redmine.issues[0]
    day = CAPPED_DAY.isoformat()
    already = await direct.entries({"user_id": str(alice.id), "from": day, "to": day})
    fill = PRELOGGED_H - sum(e["hours"] for e in already)
    assert fill > 0, f"alice has {PRELOGGED_H} h or more on {day} already: {already}"
    created = await direct.create_entry(
        alice.api_key, {"issue_id": issue.id, "hours": fill, "spent_on": day}
    )
    assert created.status == 201, created.body
    cleanup.delete_later(f"/time_entries/{created.json()['time_entry']['id']}.json")

    description = marker("capped")
    ten_hours = {
        "task_uuid": str(issue.id),
        "description": description,
        "started_at": f"{day}T09:00:00Z",
        "ended_at": f"{day}T19:00:00Z",
    }
    refused = await timers.start(alice.api_key, ten_hours)
    assert refused.status == 422, refused.body
    body = refused.json()
    assert body["error_code"] == "REDMINE_REJECTED", body
    (message,) = body["errors"]["redmine"]
    assert message.startswith(f"Cannot log more than {DAILY_CAP_H}:00 hours on the same day"), body
    assert await direct.marked_entry_ids(issue.id, description) == set()

    shown = await timers.show(alice.api_key, body["data"]["id"])
    assert shown.status == 200, shown.body
    assert data_of(shown)["status"] == "failed"
    assert data_of(shown)["errors"] == [message]
    deleted = await timers.delete(alice.api_key, body["data"]["id"])
    assert deleted.status == 204, deleted.body
    assert (await timers.show(alice.api_key, body["data"]["id"])).status == GONE
    assert await direct.marked_entry_ids(issue.id, description) == set()


async def test_inactive_activity_is_refused_at_start(
    timers: TimeTrackings, direct: RedmineReader, redmine: Harness
) -> None:
    alice, issue = redmine.alice, redmine.issues[0]
    description = marker("inactive")
    payload = {
        "task_uuid": str(issue.id),
        "activity_id": redmine.inactive_activity_id,
        "description": description,
    }
    refused = await timers.start(alice.api_key, payload)
    assert refused.status == 422, refused.body
    # Refused by the gateway's own activity check, or else by Redmine at the dry-run post.
    reasons = refused.json()["errors"]
    assert "activity_id" in reasons or INACTIVE_ACTIVITY in reasons.get("redmine", ()), reasons
    assert await timers.active(alice.api_key) is None
    assert await direct.marked_entry_ids(issue.id, description) == set()
