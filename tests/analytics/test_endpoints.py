"""The analytics endpoints over the fake Redmine: routes, auth, scope, enrichment, cache, errors."""

import datetime as dt
import json
from typing import Any

import pytest

from tests.analytics.wiring import (
    ENDPOINTS,
    TODAY,
    ask,
    ask_text,
    day,
    seed,
)
from tests.timers.conftest import ALICE, BOB, Gateway, GatewayFactory, assert_error


@pytest.fixture
async def gw(make_gateway: GatewayFactory) -> Gateway:
    gateway = await make_gateway()
    seed(gateway.redmine.state)
    return gateway


def timeline_items(data: Any) -> list[Any]:
    return [item for timeline_day in data["days"] for item in timeline_day["entries"]]


def hours_by_login(team: Any) -> dict[str | None, float]:
    return {m["username"]: m["total_hours"] for m in team["team_members"]}


# -- shapes and routing ---------------------------------------------------------------------------


async def test_every_endpoint_answers_with_data_of_its_shape(gw: Gateway) -> None:
    replies = {endpoint: await ask(gw, endpoint) for endpoint in ENDPOINTS}
    for reply in replies.values():
        assert reply.status == 200, reply.body
        assert reply.content_type == "application/json"
        assert reply.body.keys() == {"data"}
    summary = replies["analytics"].data
    # alice: 2 + 0.5 + 1 + 0.25 (web-app and mobile), bob: 1.5; ops and January are left out.
    assert summary["total_hours"] == 5.25
    assert {c["username"]: c["hours"] for c in summary["top_contributors"]} == {
        "alice": 3.75,
        "bob": 1.5,
    }
    assert {t["name"]: t["hours"] for t in summary["by_task_type"]} == {
        "Bug": 3.5,
        "Support": 0.5,
        "Feature": 1,
        "(no issue)": 0.25,
    }
    assert len(summary["trend"]) == 30
    assert hours_by_login(replies["team"].data) == {"alice": 3.75, "bob": 1.5}
    assert replies["reports"].data["totals"] == {"hours": 5.25, "entries": 5}
    productivity = replies["productivity"].data
    assert productivity["total_seconds"] == 5.25 * 3600
    assert productivity["tasks_completed"] == 1  # issue 4 is closed
    items = timeline_items(replies["timeline"].data)
    assert sorted(item["id"] for item in items) == [1, 2, 3, 4, 5]
    first = next(item for item in items if item["id"] == 1)
    assert first["subject"] == "Login page returns 500"
    assert first["user"] == {"username": "alice", "name": "Alice Tester"}
    assert first["started_at"] is None and first["is_running"] is False


@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_other_methods_are_not_allowed(gw: Gateway, endpoint: str) -> None:
    reply = await gw.request("POST", f"/time-trackings/{endpoint}", body={})
    assert_error(reply, 405, "METHOD_NOT_ALLOWED")


async def test_neighbouring_paths_stay_the_gateways_own(gw: Gateway) -> None:
    mark = gw.mark()
    assert_error(await ask(gw, "analytics/more"), 404, "NOT_FOUND")
    assert_error(await ask(gw, "teams"), 404, "NOT_FOUND")
    assert [c.raw_path for c in gw.calls_since(mark)] == []


@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_a_caller_without_a_key_is_401(gw: Gateway, endpoint: str) -> None:
    mark = gw.mark()
    assert_error(await ask(gw, endpoint, login=None), 401, "UNAUTHENTICATED")
    assert gw.calls_since(mark) == []


async def test_a_key_redmine_refuses_is_401(gw: Gateway) -> None:
    reply = await gw.request(
        "GET", "/time-trackings/analytics", login=None, headers={"X-Redmine-API-Key": "nope"}
    )
    assert_error(reply, 401, "UNAUTHENTICATED")


# -- scope ----------------------------------------------------------------------------------------


async def test_without_project_slug_every_visible_project_counts(gw: Gateway) -> None:
    mark = gw.mark()
    team = (await ask(gw, "team")).data
    assert hours_by_login(team) == {"alice": 3.75, "bob": 1.5}  # web-app and mobile, not ops
    listed = [c for c in gw.calls_since(mark) if c.raw_path.startswith("/time_entries.json")]
    assert listed and all("project_id" not in c.raw_path for c in listed)


async def test_project_slug_narrows_to_that_project(gw: Gateway) -> None:
    team = (await ask(gw, "team", project_slug="mobile")).data
    assert hours_by_login(team) == {"alice": 1}
    assert (await ask(gw, "analytics", project_slug="web-app")).data["total_hours"] == 4.25


async def test_each_caller_sees_only_what_redmine_shows_them(gw: Gateway) -> None:
    # bob is not in mobile: alice's hour there is not his to see, nor is the project.
    assert hours_by_login((await ask(gw, "team", login="bob")).data) == {
        "alice": 2.75,
        "bob": 1.5,
    }
    assert_error(await ask(gw, "team", login="bob", project_slug="mobile"), 403, "FORBIDDEN")
    # The admin sees ops too.
    assert (await ask(gw, "analytics", login="admin")).data["total_hours"] == 8.25


@pytest.mark.parametrize(
    ("users", "expected"),
    [
        ("bob", {"bob": 1.5}),
        (str(BOB), {"bob": 1.5}),
        (f"alice,{BOB}", {"alice": 3.75, "bob": 1.5}),
        ("me", {"alice": 3.75}),
        ("nobody", {}),
    ],
)
async def test_users_filter_by_login_or_id(
    gw: Gateway, users: str, expected: dict[str, float]
) -> None:
    assert hours_by_login((await ask(gw, "team", users=users)).data) == expected


async def test_a_numeric_users_filter_is_passed_to_redmine(gw: Gateway) -> None:
    mark = gw.mark()
    await ask(gw, "team", users=f"{BOB},{ALICE}")
    [listed] = [c for c in gw.calls_since(mark) if c.raw_path.startswith("/time_entries.json")]
    assert f"user_id={ALICE}%7C{BOB}" in listed.raw_path


async def test_an_empty_period_answers_zeros(gw: Gateway) -> None:
    query = {"start": "2025-06-01", "end": "2025-06-07"}
    summary = (await ask(gw, "analytics", **query)).data
    assert summary["total_hours"] == 0
    assert summary["top_contributors"] == []
    assert [point["hours"] for point in summary["trend"]] == [0] * 7
    assert (await ask(gw, "team", **query)).data == {"team_members": []}
    assert (await ask(gw, "timeline", **query)).data == {"days": []}
    assert (await ask(gw, "reports", **query)).data["totals"]["hours"] == 0
    assert (await ask(gw, "productivity", **query)).data["total_seconds"] == 0


async def test_from_and_to_name_the_range(gw: Gateway) -> None:
    reply = await ask(gw, "analytics", **{"from": day(-1).isoformat(), "to": TODAY.isoformat()})
    assert reply.data["total_hours"] == 4  # 2 + 1.5 today, 0.5 yesterday
    assert [point["date"] for point in reply.data["trend"]] == [
        day(-1).isoformat(),
        TODAY.isoformat(),
    ]


# -- the gateway's own knowledge ------------------------------------------------------------------


async def test_entries_of_timers_carry_their_start_and_end(gw: Gateway) -> None:
    started = gw.clock.now()
    recorded = await gw.timed(45, task_uuid="2")
    items = timeline_items((await ask(gw, "timeline")).data)
    # Listed under the timer's id, as /time-trackings lists it, not under its Redmine entry's.
    [item] = [i for i in items if i["id"] == recorded["id"]]
    assert recorded["id"] != recorded["redmine_time_entry_id"]
    assert dt.datetime.fromisoformat(item["started_at"]) == started
    assert dt.datetime.fromisoformat(item["ended_at"]) == started + dt.timedelta(minutes=45)
    assert item["hours"] == 0.75 and item["is_running"] is False
    productivity = (await ask(gw, "productivity")).data
    assert productivity["timed_seconds"] == 45 * 60


@pytest.mark.parametrize(("focus_min_min", "focus_seconds"), [(25, 30 * 60), (45, 0)])
async def test_focus_time_starts_at_the_configured_length(
    make_gateway: GatewayFactory, focus_min_min: int, focus_seconds: int
) -> None:
    gw = await make_gateway(focus_min_min=focus_min_min)
    await gw.timed(30)
    productivity = (await ask(gw, "productivity")).data
    assert productivity["timed_seconds"] == 30 * 60
    assert productivity["focus_seconds"] == focus_seconds


async def test_the_running_timer_comes_last_in_the_timeline(gw: Gateway) -> None:
    running = await gw.start(task_uuid="3", description="deploy")
    gw.clock.advance(minutes=30)
    data = (await ask(gw, "timeline")).data
    assert data["days"][-1]["date"] == TODAY.isoformat()
    last = data["days"][-1]["entries"][-1]
    assert last["id"] == running["id"]
    assert last["is_running"] is True and last["ended_at"] is None
    assert last["hours"] == 0.5
    assert last["subject"] == "Upgrade database driver"
    assert last["activity"] == "Development"
    assert last["description"] == "deploy"
    # Recorded time only in the sums: the running timer is not in Redmine yet.
    assert (await ask(gw, "analytics")).data["total_hours"] == 5.25


@pytest.mark.parametrize(
    "query",
    [
        {"project_slug": "mobile"},
        {"users": "bob"},
        {"start": day(-7).isoformat(), "end": day(-1).isoformat()},
    ],
)
async def test_a_running_timer_out_of_scope_is_left_out(gw: Gateway, query: dict[str, str]) -> None:
    running = await gw.start(task_uuid="3")
    items = timeline_items((await ask(gw, "timeline", **query)).data)
    assert running["id"] not in {item["id"] for item in items}


async def test_someone_elses_running_timer_is_not_shown(gw: Gateway) -> None:
    running = await gw.start("bob", task_uuid="3")
    items = timeline_items((await ask(gw, "timeline")).data)
    assert running["id"] not in {item["id"] for item in items}


# -- result cache ---------------------------------------------------------------------------------


async def test_a_repeated_request_is_answered_from_the_cache(gw: Gateway) -> None:
    first = await ask(gw, "analytics")
    mark = gw.mark()
    again = await ask(gw, "analytics")
    assert again.body == first.body
    assert gw.calls_since(mark) == []


async def test_the_cache_tells_callers_queries_and_endpoints_apart(gw: Gateway) -> None:
    await ask(gw, "team")
    for login, endpoint, query in (
        ("bob", "team", {}),
        ("alice", "analytics", {}),
        ("alice", "team", {"project_slug": "mobile"}),
        ("alice", "team", {"period": "last-7-days"}),
    ):
        mark = gw.mark()
        assert (await ask(gw, endpoint, login, **query)).status == 200
        assert any(c.raw_path.startswith("/time_entries.json") for c in gw.calls_since(mark))


async def test_the_same_range_named_otherwise_is_a_hit(gw: Gateway) -> None:
    await ask(gw, "team", period="last-7-days")
    mark = gw.mark()
    reply = await ask(gw, "team", start=day(-6).isoformat(), end=TODAY.isoformat())
    assert reply.status == 200
    assert gw.calls_since(mark) == []


async def test_answers_expire_with_the_ttl(make_gateway: GatewayFactory) -> None:
    gw = await make_gateway(analytics_cache_ttl_s=0)
    seed(gw.redmine.state)
    await ask(gw, "analytics")
    mark = gw.mark()
    await ask(gw, "analytics")
    assert any(c.raw_path.startswith("/time_entries.json") for c in gw.calls_since(mark))


async def test_a_start_through_the_gateway_drops_the_callers_answers(gw: Gateway) -> None:
    assert timeline_items((await ask(gw, "timeline")).data)
    running = await gw.start(task_uuid="2")
    items = timeline_items((await ask(gw, "timeline")).data)
    assert items[-1]["id"] == running["id"]


async def test_a_stop_through_the_gateway_drops_the_callers_answers(gw: Gateway) -> None:
    running = await gw.start(task_uuid="2")
    gw.clock.advance(minutes=30)
    before = (await ask(gw, "analytics")).data["total_hours"]
    await gw.stop(running["id"])
    after = (await ask(gw, "analytics")).data["total_hours"]
    assert after == before + 0.5


async def test_a_delete_through_the_gateway_drops_the_callers_answers(gw: Gateway) -> None:
    assert (await ask(gw, "analytics")).data["total_hours"] == 5.25
    reply = await gw.request("DELETE", "/time-trackings/1")  # alice's 2 h, logged in Redmine
    assert reply.status == 204, reply.body
    assert (await ask(gw, "analytics")).data["total_hours"] == 3.25


async def test_a_manual_entry_drops_the_callers_answers(gw: Gateway) -> None:
    assert (await ask(gw, "analytics")).data["total_hours"] == 5.25
    start = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC)
    await gw.start(
        task_uuid="1",
        started_at=start.isoformat(),
        ended_at=(start + dt.timedelta(hours=1)).isoformat(),
    )
    assert (await ask(gw, "analytics")).data["total_hours"] == 6.25


# -- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"period": "fortnight"}, "period"),
        ({"start": "2026-02-30"}, "start"),
        ({"start": "yesterday"}, "start"),
        ({"start": "2026-03-02", "end": "2026-03-01"}, "end"),
        ({"end": "2026-03-01"}, "start"),
        ({"start": "2024-01-01", "end": "2026-01-01"}, "end"),
        ({"report_type": "by_mood"}, "report_type"),
        ({"hourly_rate": "-1"}, "hourly_rate"),
        ({"format": "xml"}, "format"),
    ],
)
async def test_a_bad_query_is_422(gw: Gateway, query: dict[str, str], field: str) -> None:
    mark = gw.mark()
    reply = await ask(gw, "reports", **query)
    assert_error(reply, 422, "VALIDATION_FAILED", field)
    assert all("/time_entries.json" not in c.raw_path for c in gw.calls_since(mark))


# -- CSV ------------------------------------------------------------------------------------------


async def test_format_csv_answers_text_csv(gw: Gateway) -> None:
    reply = await ask_text(gw, "reports", format="csv", report_type="by_user", hourly_rate=100)
    assert reply.status == 200
    assert reply.content_type == "text/csv"
    assert reply.text.split("\r\n") == [
        "username,name,hours,entries,amount",
        "alice,Alice Tester,3.75,4,375.00",
        "bob,Bob Tester,1.5,1,150.00",
        "",
    ]


async def test_accept_text_csv_answers_text_csv(gw: Gateway) -> None:
    reply = await ask_text(gw, "reports", {"Accept": "text/csv"}, report_type="by_day")
    assert reply.status == 200 and reply.content_type == "text/csv"
    assert reply.text.startswith("date,hours,entries\r\n")
    assert reply.headers["Content-Disposition"].startswith("attachment;")
    # An explicit format wins over Accept, and the two answers are cached apart.
    as_json = await ask_text(
        gw, "reports", {"Accept": "text/csv"}, report_type="by_day", format="json"
    )
    assert as_json.content_type == "application/json"
    assert json.loads(as_json.text)["data"]["report_type"] == "by_day"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("application/json, text/csv;q=0.5", "text/csv"),
        ("TEXT/CSV", "text/csv"),
        ("text/csv;q=0", "application/json"),
        ("text/*", "application/json"),
        ("application/json", "application/json"),
    ],
)
async def test_accept_is_read_with_its_quality(gw: Gateway, accept: str, expected: str) -> None:
    reply = await ask_text(gw, "reports", {"Accept": accept})
    assert reply.status == 200 and reply.content_type == expected


async def test_other_endpoints_ignore_accept_csv(gw: Gateway) -> None:
    reply = await ask_text(gw, "team", {"Accept": "text/csv"})
    assert reply.status == 200 and reply.content_type == "application/json"


async def test_a_paused_running_timer_counts_its_time_worked_in_the_timeline(gw: Gateway) -> None:
    running = await gw.start(task_uuid="3")
    gw.clock.advance(minutes=30)
    await gw.request("POST", f"/time-trackings/{running['id']}/pause")
    gw.clock.advance(minutes=90)
    last = (await ask(gw, "timeline")).data["days"][-1]["entries"][-1]
    assert (last["id"], last["is_running"], last["hours"]) == (running["id"], True, 0.5)


async def test_a_running_timer_on_a_project_is_in_the_timeline_without_an_issue(
    gw: Gateway,
) -> None:
    running = await gw.start(task_uuid=None, project_slug="web-app")
    gw.clock.advance(minutes=30)
    last = (await ask(gw, "timeline")).data["days"][-1]["entries"][-1]
    assert (last["id"], last["is_running"], last["hours"]) == (running["id"], True, 0.5)
    assert last["subject"] is None
