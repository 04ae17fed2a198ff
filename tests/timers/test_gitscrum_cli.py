"""The GitScrum CLI's timer commands, replayed byte for byte through the front (timer.go)."""

import datetime as dt
from typing import Any

import pytest
from fakeredis import FakeAsyncRedis
from pytest_aiohttp import AiohttpClient

from gateway.appkeys import REDMINE
from gateway.errors import RedmineAnswerInvalid
from gateway.redmine.models import RedmineIssue
from tests.clock import ManualClock
from tests.fakes.redmine import Canned
from tests.fakes.redmine_api import FakeRedmineApi
from tests.gitscrum_served import Served, serve_gitscrum
from tests.gitscrum_wire import (
    ACTIVE,
    PRODUCTIVITY,
    REPORT,
    RESOLVED,
    STOP_ALL,
    Answer,
    go_cli_request,
    go_decode,
)
from tests.timers.conftest import ALICE

TASK_FIELD_ID = 1


@pytest.fixture
async def served(
    aiohttp_client: AiohttpClient,
    redmine_api: FakeRedmineApi,
    redis: FakeAsyncRedis,
    clock: ManualClock,
) -> Served:
    return await serve_gitscrum(
        aiohttp_client, redmine_api, redis, clock, task_field_id=TASK_FIELD_ID
    )


def expect_error(answer: Answer, status: int, code: str) -> dict[str, Any]:
    assert answer.status == status, answer.body
    body: dict[str, Any] = answer.json()
    assert body["error_code"] == code and body["message"] and isinstance(body["errors"], dict)
    return body


async def test_timer_start_resolves_the_code_and_starts_with_the_comment(served: Served) -> None:
    # runTimerStart: GET resolve-task/<code>, then POST /time-trackings/start.
    resolved = await served.cli("GET", "/time-trackings/resolve-task/1")
    assert resolved.status == 200
    go_decode(resolved.json(), RESOLVED)
    assert resolved.json()["data"] == {
        "uuid": "1",
        "code": "#1",
        "issue_id": 1,
        "title": "Login page returns 500",
        "project_slug": "web-app",
    }
    body = {"task_uuid": resolved.json()["data"]["uuid"], "comment": "Working on bug fix"}
    started = await served.cli("POST", "/time-trackings/start", body)
    assert started.status == 201, started.body
    assert started.json()["data"]["description"] == "Working on bug fix"
    assert started.json()["data"]["status"] == "running"
    # A second start while one runs: the CLI prints "timer already running" on 409.
    again = await served.cli("POST", "/time-trackings/start", body)
    expect_error(again, 409, "CONFLICT")


async def test_the_active_timer_is_a_list_for_the_cli(served: Served) -> None:
    path = "/time-trackings/active?company_slug=redmine"
    none = await served.cli("GET", path)
    assert none.status == 200
    go_decode(none.json(), ACTIVE)
    assert none.json() == {"data": []}
    await served.cli(
        "POST", "/time-trackings/start", {"task_uuid": "2", "comment": "reviewing"}, login="bob"
    )
    await served.cli("POST", "/time-trackings/start", {"task_uuid": "1", "comment": "the bug"})
    served.clock.advance(minutes=12)
    answer = await served.cli("GET", path)
    go_decode(answer.json(), ACTIVE)
    [item] = answer.json()["data"]
    assert item["uuid"] == str(item["id"])
    assert item["start"] == "2026-03-02T09:00:00Z"
    assert item["comment"] == "the bug"
    assert item["issue"] == {"uuid": "1", "number": 1, "title": "Login page returns 500"}
    # Every field of the documented item is there too.
    assert item["duration_minutes"] == 12 and item["user"]["username"] == "alice"


async def test_everyone_else_reads_active_as_documented(served: Served) -> None:
    await served.cli("POST", "/time-trackings/start", {"task_uuid": "1", "comment": ""})
    answer = await served.mcp("GET", "time-trackings/active", [("company_slug", "redmine")])
    assert answer.status == 200
    data = answer.json()["data"]
    assert isinstance(data, dict) and data["task_uuid"] == "1" and "uuid" not in data


async def test_timer_stop_stops_the_running_timer_and_posts_it_once(served: Served) -> None:
    await served.cli("POST", "/time-trackings/start", {"task_uuid": "1", "comment": "fix"})
    served.clock.advance(minutes=65)
    # runTimerStop: POST /time-trackings/stop-all {company_slug}.
    answer = await served.cli("POST", "/time-trackings/stop-all", {"company_slug": "redmine"})
    assert answer.status == 200, answer.body
    go_decode(answer.json(), STOP_ALL)
    body = answer.json()
    assert body["stopped"] == 1 and body["message"] == "Stopped 1 timer(s)."
    [stopped] = body["data"]
    assert stopped["task_code"] == "#1"
    assert stopped["task_title"] == "Login page returns 500"
    assert stopped["duration_formatted"] == "1h 5m"
    assert stopped["status"] == "recorded" and stopped["hours"] == 1.0
    [entry] = served.entry_posts()
    assert entry["issue_id"] == 1 and entry["hours"] == 1 and entry["comments"] == "fix"
    # Nothing runs any more: "No active timers to stop", and nothing is posted again.
    again = await served.cli("POST", "/time-trackings/stop-all", {"company_slug": "redmine"})
    assert again.json() == {"message": "No timer was running.", "stopped": 0, "data": []}
    assert len(served.entry_posts()) == 1
    assert (await served.cli("GET", "/time-trackings/active?company_slug=redmine")).json() == {
        "data": []
    }


async def test_stop_all_while_redmine_is_down_keeps_the_hours_pending(served: Served) -> None:
    await served.cli("POST", "/time-trackings/start", {"task_uuid": "1", "comment": "fix"})
    served.clock.advance(minutes=30)
    served.redmine.fail_next_entry_posts(1)
    answer = await served.cli("POST", "/time-trackings/stop-all", {"company_slug": "redmine"})
    assert answer.status == 200
    go_decode(answer.json(), STOP_ALL)
    [stopped] = answer.json()["data"]
    assert stopped["status"] == "pending" and stopped["duration_formatted"] == "30m"
    assert served.redmine.entries_for(ALICE) == []


async def test_stop_all_names_an_entry_redmine_refused(served: Served) -> None:
    await served.cli("POST", "/time-trackings/start", {"task_uuid": "1", "comment": "fix"})
    refusal = Canned(status=422, body=b'{"errors":["Activity cannot be blank"]}')
    served.redmine.fault_next_posts(refusal)
    answer = await served.cli("POST", "/time-trackings/stop-all", {"company_slug": "redmine"})
    assert answer.status == 200, answer.body
    go_decode(answer.json(), STOP_ALL)
    [stopped] = answer.json()["data"]
    assert stopped["status"] == "failed"
    assert stopped["errors"] == ["Activity cannot be blank"]
    assert "refused the entry of: #1" in answer.json()["message"]


async def test_a_title_redmine_cannot_give_leaves_the_stop_answered(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    await served.cli("POST", "/time-trackings/start", {"task_uuid": "1", "comment": "fix"})

    async def unreadable(api_key: str, issue_id: int) -> RedmineIssue:
        raise RedmineAnswerInvalid("Redmine's answer was invalid: it could not be read.")

    monkeypatch.setattr(served.client.app[REDMINE], "issue", unreadable)
    answer = await served.cli("POST", "/time-trackings/stop-all", {"company_slug": "redmine"})
    assert answer.status == 200, answer.body
    [stopped] = answer.json()["data"]
    assert (stopped["task_title"], stopped["status"]) == ("", "recorded")
    assert len(served.entry_posts()) == 1


async def test_the_cli_sees_its_timer_while_redmine_is_down(served: Served) -> None:
    await served.cli("POST", "/time-trackings/start", {"task_uuid": "1", "comment": "fix"})
    served.redmine.outage = Canned(drop_connection=True)
    answer = await served.cli("GET", "/time-trackings/active?company_slug=redmine")
    assert answer.status == 200, answer.body
    go_decode(answer.json(), ACTIVE)
    [item] = answer.json()["data"]
    assert item["issue"] == {"uuid": "1", "number": 1, "title": ""}


async def test_stop_all_takes_an_empty_company_slug_as_none(served: Served) -> None:
    await served.cli("POST", "/time-trackings/start", {"task_uuid": "1", "comment": ""})
    answer = await served.cli("POST", "/time-trackings/stop-all", {"company_slug": ""})
    assert answer.status == 200, answer.body
    assert answer.json()["stopped"] == 1


async def test_timer_log_posts_a_manual_entry(served: Served) -> None:
    # runTimerLog: resolve-task, then POST /time-trackings {task_uuid, start, end, comment}.
    end = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    start = end - dt.timedelta(hours=1, minutes=30)
    body = {
        "task_uuid": "1",
        "start": start.isoformat(),
        "end": end.isoformat(),
        "comment": "Code review",
    }
    answer = await served.cli("POST", "/time-trackings", body)
    assert answer.status == 201, answer.body
    [entry] = served.entry_posts()
    assert entry["hours"] == 1.5 and entry["comments"] == "Code review"
    assert entry["spent_on"] == "2026-03-02"


async def test_resolve_task_by_the_task_field(served: Served) -> None:
    uuid = "6f1c2a9e-0002-4b7a-9c1d-000000000002"
    answer = await served.cli("GET", f"/time-trackings/resolve-task/{uuid}")
    assert answer.status == 200
    assert answer.json()["data"] | {"title": ""} == {
        "uuid": uuid,
        "code": uuid,
        "issue_id": 2,
        "title": "",
        "project_slug": "web-app",
    }


async def test_resolve_task_accepts_an_encoded_hash(served: Served) -> None:
    answer = await served.cli("GET", "/time-trackings/resolve-task/%231")
    assert answer.status == 200
    assert answer.json()["data"]["uuid"] == "1" and answer.json()["data"]["code"] == "#1"


async def test_a_code_go_cut_at_the_hash_is_404_with_advice(served: Served) -> None:
    # `gitscrum timer start #42`: Go's URL parser takes "#42" for a fragment and sends this.
    answer = await served.cli("GET", "/time-trackings/resolve-task/")
    body = expect_error(answer, 404, "NOT_FOUND")
    assert "'#'" in body["message"]


@pytest.mark.parametrize("code", ["999", "no-such-task"])
async def test_unknown_codes_are_404(served: Served, code: str) -> None:
    expect_error(await served.cli("GET", f"/time-trackings/resolve-task/{code}"), 404, "NOT_FOUND")


async def test_an_issue_hidden_from_the_caller_is_404_not_403(served: Served) -> None:
    hidden = served.redmine.state.add_issue(2, "Rotate the secrets")
    answer = await served.cli("GET", f"/time-trackings/resolve-task/{hidden.id}")
    body = expect_error(answer, 404, "NOT_FOUND")
    assert "Rotate" not in body["message"]


async def test_without_a_key_resolve_task_is_401(served: Served) -> None:
    raw = go_cli_request(served.host, "GET", "/time-trackings/resolve-task/1", "")
    raw = raw.replace(b"Authorization: Bearer \r\n", b"")
    answer = await served.send(raw)
    expect_error(answer, 401, "UNAUTHENTICATED")


@pytest.mark.parametrize("period", ["today", "last-7-days"])
async def test_the_cli_reads_its_report(served: Served, period: str) -> None:
    await served.cli("POST", "/time-trackings/start", {"task_uuid": "1", "comment": "a fix"})
    served.clock.advance(minutes=50)
    stopped = await served.cli("POST", "/time-trackings/stop-all", {"company_slug": "redmine"})
    assert stopped.json()["stopped"] == 1
    # Anyone else asking the same first gets the documented report, and the CLI (answered from
    # a cache of its own) still its shape.
    documented = await served.mcp(
        "GET", "time-trackings/reports", [("company_slug", ""), ("period", period)]
    )
    assert set(documented.json()["data"]) == {"report_type", "rows", "totals"}
    # runTimerReport: company_slug is empty when no workspace is configured.
    answer = await served.cli("GET", f"/time-trackings/reports?company_slug=&period={period}")
    assert answer.status == 200, answer.body
    go_decode(answer.json(), REPORT)
    data = answer.json()["data"]
    assert data["total_seconds"] == 50 * 60
    [entry] = data["entries"]
    assert entry["task_code"] == "#1" and entry["task_title"] == "Login page returns 500"
    assert entry["seconds"] == 3000 and entry["description"] == "a fix"
    assert entry["user"]["name"] == "Alice Tester"
    assert data["by_user"] == [{"name": "Alice Tester", "username": "alice", "seconds": 3000}]


@pytest.mark.parametrize("period", ["today", "last-7-days"])
async def test_the_cli_reads_its_productivity(served: Served, period: str) -> None:
    await served.cli("POST", "/time-trackings/start", {"task_uuid": "1", "comment": ""})
    served.clock.advance(minutes=30)
    await served.cli("POST", "/time-trackings/stop-all", {"company_slug": "redmine"})
    path = f"/time-trackings/productivity?company_slug=redmine&period={period}"
    answer = await served.cli("GET", path)
    assert answer.status == 200, answer.body
    go_decode(answer.json(), PRODUCTIVITY)
    assert answer.json()["data"]["total_seconds"] == 1800


async def test_the_cli_reads_and_stops_time_tracked_on_a_project_without_an_issue(
    served: Served,
) -> None:
    # Started by another client (the CLI itself always names a task): the CLI still reads it.
    started = await served.cli(
        "POST", "/time-trackings", {"project_slug": "web-app", "comment": "planning"}
    )
    assert started.status == 201, started.body
    served.clock.advance(minutes=30)
    active = await served.cli("GET", "/time-trackings/active?company_slug=redmine")
    go_decode(active.json(), ACTIVE)
    [item] = active.json()["data"]
    assert (item["issue"], item["task_uuid"], item["duration_minutes"]) == (None, None, 30)
    answer = await served.cli("POST", "/time-trackings/stop-all", {"company_slug": "redmine"})
    assert answer.status == 200, answer.body
    go_decode(answer.json(), STOP_ALL)
    [stopped] = answer.json()["data"]
    assert (stopped["task_code"], stopped["task_title"]) == ("web-app", "")
    assert (stopped["status"], stopped["duration_formatted"]) == ("recorded", "30m")
    [entry] = served.entry_posts()
    assert "issue_id" not in entry and entry["hours"] == 0.5
