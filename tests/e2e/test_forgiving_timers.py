"""Timers that forgive, on the real Redmine 5.0.4: pause/resume, the cap, project time, billable."""

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from tests.gateway_process import GatewayProcess

from .cleanup import Cleanup
from .endpoints import Call, Endpoint
from .harness import Harness
from .served_gateway import serve_gateway
from .test_timers import marker, running_timer, stopped_entry
from .time_trackings import TIMERS, RedmineReader, TimeTrackings, bearer, data_of

pytestmark = pytest.mark.e2e

BILLABLE_FIELD = "Billable"
# A limit the cap test passes in seconds: GATEWAY_MAX_TIMER_HOURS=0.0025 is 9 s.
TINY_LIMIT_H = "0.0025"
OVER_LIMIT_DEADLINE_S = 30.0
POLL_S = 0.2


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def forgiving_gateway(
    redmine: Harness, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[GatewayProcess]:
    """A gateway with the seeded "Billable" field as GATEWAY_BILLABLE_FIELD_ID."""
    field_id = redmine.time_entry_fields[BILLABLE_FIELD]
    log_path = tmp_path_factory.mktemp("gateway-forgiving") / "gateway.log"
    env = {"GATEWAY_BILLABLE_FIELD_ID": str(field_id)}
    async with serve_gateway(redmine.base_url, log_path, extra_env=env) as running:
        yield running


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def capping_gateway(
    redmine: Harness, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[GatewayProcess]:
    """A gateway whose timers are "forgotten" after a few seconds of work."""
    log_path = tmp_path_factory.mktemp("gateway-capping") / "gateway.log"
    env = {"GATEWAY_MAX_TIMER_HOURS": TINY_LIMIT_H}
    async with serve_gateway(redmine.base_url, log_path, extra_env=env) as running:
        yield running


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as opened:
        yield opened


@pytest.fixture
async def forgiving(
    forgiving_gateway: GatewayProcess, session: aiohttp.ClientSession
) -> AsyncIterator[TimeTrackings]:
    timers = TimeTrackings(Endpoint(session, forgiving_gateway.url))
    yield timers
    await timers.discard_all()


@pytest.fixture
async def capping(
    capping_gateway: GatewayProcess, session: aiohttp.ClientSession
) -> AsyncIterator[TimeTrackings]:
    timers = TimeTrackings(Endpoint(session, capping_gateway.url))
    yield timers
    await timers.discard_all()


@pytest.fixture
def direct(session: aiohttp.ClientSession, redmine: Harness) -> RedmineReader:
    return RedmineReader(Endpoint(session, redmine.base_url), redmine.admin.api_key)


async def change(timers: TimeTrackings, key: str, timer_id: int, what: str) -> tuple[int, Any]:
    answer = await timers.endpoint.send(
        Call("POST", f"{TIMERS}/{timer_id}/{what}", bearer(key), b"")
    )
    return answer.status, answer.json()


async def test_pause_and_resume_post_the_sum_of_the_segments(
    forgiving: TimeTrackings, direct: RedmineReader, redmine: Harness, cleanup: Cleanup
) -> None:
    alice, issue = redmine.alice, redmine.issues[0]
    description = marker("pause")
    payload = {"task_uuid": str(issue.id), "description": description}
    timer = await running_timer(forgiving, alice.api_key, payload)
    status, paused = await change(forgiving, alice.api_key, timer["id"], "pause")
    assert (status, paused["data"]["is_paused"]) == (200, True)
    status, again = await change(forgiving, alice.api_key, timer["id"], "pause")
    assert (status, again["error_code"]) == (409, "TIMER_ALREADY_PAUSED")
    active = await forgiving.active(alice.api_key)
    assert active is not None
    assert (active["id"], active["is_paused"], len(active["segments"])) == (timer["id"], True, 1)
    status, resumed = await change(forgiving, alice.api_key, timer["id"], "resume")
    assert (status, resumed["data"]["is_paused"]) == (200, False)
    recorded = await stopped_entry(forgiving, alice.api_key, timer["id"], cleanup)
    assert len(recorded["segments"]) == 2
    entry = await direct.existing_entry(recorded["redmine_time_entry_id"])
    assert (entry["hours"], entry["issue"]["id"], entry["comments"]) == (
        0.25,
        issue.id,
        description,
    )
    assert await direct.marked_entry_ids(issue.id, description) == {entry["id"]}


async def over_limit(timers: TimeTrackings, key: str) -> dict[str, Any]:
    """The running timer once it shows over_limit (polled, within a deadline)."""
    deadline = asyncio.get_running_loop().time() + OVER_LIMIT_DEADLINE_S
    while True:
        active = await timers.active(key)
        assert active is not None
        if active["over_limit"]:
            return active
        assert asyncio.get_running_loop().time() < deadline, active
        await asyncio.sleep(POLL_S)


async def test_a_forgotten_timer_posts_the_limit_and_is_marked_capped(
    capping: TimeTrackings, direct: RedmineReader, redmine: Harness, cleanup: Cleanup
) -> None:
    alice, issue = redmine.alice, redmine.issues[0]
    payload = {"task_uuid": str(issue.id), "description": marker("capped")}
    timer = await running_timer(capping, alice.api_key, payload)
    shown = await over_limit(capping, alice.api_key)
    assert (shown["id"], shown["limit_hours"]) == (timer["id"], 0.0025)
    recorded = await stopped_entry(capping, alice.api_key, timer["id"], cleanup)
    assert recorded["capped"] is True
    assert recorded["duration_seconds"] >= 9  # the raw time is kept; 9 s were posted (rounded)
    entry = await direct.existing_entry(recorded["redmine_time_entry_id"])
    assert entry["hours"] == 0.25

    # An explicit end is taken as given.
    second = await running_timer(capping, alice.api_key, payload)
    await over_limit(capping, alice.api_key)
    end = dt.datetime.now(dt.UTC).isoformat()
    answer = await capping.stop(alice.api_key, second["id"], {"end": end})
    assert answer.status == 200, answer.body
    given = data_of(answer)
    cleanup.delete_later(f"/time_entries/{given['redmine_time_entry_id']}.json")
    assert given["capped"] is False


async def test_time_on_a_project_without_an_issue(
    forgiving: TimeTrackings, direct: RedmineReader, redmine: Harness, cleanup: Cleanup
) -> None:
    alice = redmine.alice
    description = marker("project")
    payload = {"project_slug": redmine.project_identifier, "description": description}
    timer = await running_timer(forgiving, alice.api_key, payload)
    assert timer["task_uuid"] is None
    recorded = await stopped_entry(forgiving, alice.api_key, timer["id"], cleanup)
    entry = await direct.existing_entry(recorded["redmine_time_entry_id"])
    assert entry["project"]["id"] == redmine.project_id
    assert "issue" not in entry
    assert (entry["hours"], entry["comments"]) == (0.25, description)
    listed = await forgiving.listing(
        alice.api_key, {"project_slug": redmine.project_identifier, "user": "me"}
    )
    assert [item["id"] for item in listed].count(timer["id"]) == 1

    # A manual one, as a typed duration on a date.
    manual = await forgiving.start(
        alice.api_key,
        {"project_slug": redmine.project_identifier, "duration": "1h30m", "date": "2019-05-13"},
    )
    assert manual.status == 201, manual.body
    made = data_of(manual)
    cleanup.delete_later(f"/time_entries/{made['redmine_time_entry_id']}.json")
    entry = await direct.existing_entry(made["redmine_time_entry_id"])
    assert (entry["hours"], entry["spent_on"], "issue" in entry) == (1.5, "2019-05-13", False)


async def test_billable_is_the_boolean_field_and_filters_the_list(
    forgiving: TimeTrackings, direct: RedmineReader, redmine: Harness, cleanup: Cleanup
) -> None:
    alice, issue = redmine.alice, redmine.issues[0]
    field_id = redmine.time_entry_fields[BILLABLE_FIELD]
    payload = {"task_uuid": str(issue.id), "description": marker("billable"), "billable": True}
    billed = await stopped_entry(
        forgiving,
        alice.api_key,
        (await running_timer(forgiving, alice.api_key, payload))["id"],
        cleanup,
    )
    unbilled_timer = await running_timer(forgiving, alice.api_key, payload)
    answer = await forgiving.stop(alice.api_key, unbilled_timer["id"], {"billable": False})
    assert answer.status == 200, answer.body
    unbilled = data_of(answer)
    cleanup.delete_later(f"/time_entries/{unbilled['redmine_time_entry_id']}.json")
    values = {}
    for item in (billed, unbilled):
        entry = await direct.existing_entry(item["redmine_time_entry_id"])
        values[item["id"]] = {f["id"]: f["value"] for f in entry["custom_fields"]}[field_id]
    assert values == {billed["id"]: "1", unbilled["id"]: "0"}
    assert (billed["billable"], unbilled["billable"]) == (True, False)
    # Redmine finds the billable one by the field, as the list's filter asks it to.
    found = await direct.entries({f"cf_{field_id}": "1", "user_id": str(alice.id)})
    assert billed["redmine_time_entry_id"] in {e["id"] for e in found}
    query = {"project_slug": redmine.project_identifier, "user": "me"}
    billable = {i["id"] for i in await forgiving.listing(alice.api_key, query | {"billable": "1"})}
    others = {i["id"] for i in await forgiving.listing(alice.api_key, query | {"billable": "0"})}
    assert billed["id"] in billable and billed["id"] not in others
    assert unbilled["id"] in others and unbilled["id"] not in billable
