"""The GitScrum MCP server's `time` tool without slugs, replayed byte for byte through the front.

gitscrum-core/mcp-server: src/tools/timeTracking.ts (active, start, stop, logs),
src/utils/resolveProject.ts and src/client/GitScrumClient.ts (getWorkspaces, getActiveTimer,
findProjectByName, getTimeLogs, startTimer, stopTimer).
"""

import datetime as dt
import re
from typing import Any

import pytest
from fakeredis import FakeAsyncRedis
from pytest_aiohttp import AiohttpClient

from tests.clock import ManualClock
from tests.fakes.redmine_api import FakeRedmineApi
from tests.gitscrum_served import Served, serve_gitscrum
from tests.timers.conftest import ALICE, BOB

# findProjectByName's parseRoute.
ROUTE = re.compile(r"^/([^/]+)/projects/([^/]+)$")


@pytest.fixture
async def served(
    aiohttp_client: AiohttpClient,
    redmine_api: FakeRedmineApi,
    redis: FakeAsyncRedis,
    clock: ManualClock,
) -> Served:
    return await serve_gitscrum(aiohttp_client, redmine_api, redis, clock)


async def active_tool(served: Served, login: str = "alice") -> Any:
    """activeTimer.handle({}): the first workspace's slug, then its active timer."""
    workspaces = await served.mcp("GET", "workspaces", [("per_page", 1)], login=login)
    assert workspaces.status == 200, workspaces.body
    listed = workspaces.json()["data"]
    assert isinstance(listed, list) and len(listed) > 0
    company_slug = listed[0]["slug"]
    answer = await served.mcp(
        "GET", "time-trackings/active", [("company_slug", company_slug)], login=login
    )
    assert answer.status == 200, answer.body
    return answer.json()["data"] or {"active": False}


async def find_project_by_name(served: Served, name: str, login: str = "alice") -> Any:
    """GitScrumClient.findProjectByName(name) without a company: search, then parseRoute."""
    answer = await served.mcp(
        "GET", "search", [("q", name), ("categories", "projects"), ("limit", 5)], login=login
    )
    assert answer.status == 200, answer.body
    projects = (answer.json()["data"].get("projects") or {}).get("items")
    if not projects:
        return None
    exact = next((p for p in projects if p["title"].lower() == name.lower()), None)
    project = exact or projects[0]
    match = ROUTE.match(project["route"])
    if match is None:
        return None
    return {"company_slug": match.group(1), "project_slug": match.group(2)}


async def logs_tool(served: Served, project_slug: str, login: str = "alice") -> Any:
    """timeLogs.handle({project_slug}): resolveProjectContext, then getTimeLogs."""
    resolved = await find_project_by_name(served, project_slug, login)
    assert resolved is not None, f"no project {project_slug!r}"
    answer = await served.mcp(
        "GET",
        "time-trackings",
        [("project_slug", resolved["project_slug"]), ("company_slug", resolved["company_slug"])],
        login=login,
    )
    assert answer.status == 200, answer.body
    data = answer.json()["data"]
    assert isinstance(data, list)
    return data


async def test_active_without_a_company_finds_the_workspace(served: Served) -> None:
    assert await active_tool(served) == {"active": False}
    started = await served.mcp(
        "POST", "time-trackings", body={"task_uuid": "1", "work_description": "via mcp"}
    )
    assert started.status == 201, started.body
    served.clock.advance(minutes=20)
    timer = await active_tool(served)
    assert timer["id"] == started.json()["data"]["id"]
    assert timer["description"] == "via mcp" and timer["duration_minutes"] == 20
    # time.stop with the id from time.active: PUT {end: new Date().toISOString()}.
    end = served.clock.now().isoformat(timespec="milliseconds").replace("+00:00", "Z")
    stopped = await served.mcp("PUT", f"time-trackings/{timer['id']}", body={"end": end})
    assert stopped.status == 200, stopped.body
    assert stopped.json()["data"]["status"] == "recorded"
    assert await active_tool(served) == {"active": False}


async def test_the_workspace_is_named_by_the_setting(
    aiohttp_client: AiohttpClient,
    redmine_api: FakeRedmineApi,
    redis: FakeAsyncRedis,
    clock: ManualClock,
) -> None:
    served = await serve_gitscrum(aiohttp_client, redmine_api, redis, clock, company_slug="acme")
    answer = await served.mcp("GET", "workspaces", [("per_page", 1)])
    assert answer.json() == {
        "data": [{"slug": "acme", "name": "acme", "projects_count": 1}],
        "meta": {"total": 1, "per_page": 1, "current_page": 1, "last_page": 1},
    }
    assert await find_project_by_name(served, "web-app") == {
        "company_slug": "acme",
        "project_slug": "web-app",
    }


async def test_projects_count_is_what_the_caller_can_see(served: Served) -> None:
    for login, count in (("alice", 1), ("admin", 2)):
        answer = await served.mcp("GET", "workspaces", login=login)
        assert answer.json()["data"][0]["projects_count"] == count


@pytest.mark.parametrize(
    "params",
    [[("search", "nothing-like-it")], [("page", 2)], [("search", "acme"), ("per_page", 5)]],
)
async def test_a_search_or_page_past_the_workspace_is_empty(
    served: Served, params: list[tuple[str, str | int]]
) -> None:
    answer = await served.mcp("GET", "workspaces", params)
    assert answer.status == 200
    assert answer.json()["data"] == [] and answer.json()["meta"]["total"] in (0, 1)


async def test_findworkspacebyname_finds_it(served: Served) -> None:
    answer = await served.mcp("GET", "workspaces", [("search", "Redmine"), ("per_page", 5)])
    assert [w["slug"] for w in answer.json()["data"]] == ["redmine"]


@pytest.mark.parametrize("name", ["web-app", "Web App", "WEB"])
async def test_logs_without_a_company_list_the_projects_entries(served: Served, name: str) -> None:
    on_web_app = served.redmine.state.add_entry(
        user_id=BOB, hours="1.5", spent_on=dt.date(2026, 3, 1), issue_id=2, comments="review"
    )
    await served.mcp("POST", "time-trackings", body={"task_uuid": "1", "work_description": "x"})
    items = await logs_tool(served, name)
    assert {item["id"] for item in items} >= {on_web_app.id}
    assert {item["project_slug"] for item in items} == {"web-app"}
    assert any(
        item["status"] == "running" and item["user"]["username"] == "alice" for item in items
    )


async def test_search_finds_only_projects_the_caller_can_see(served: Served) -> None:
    assert await find_project_by_name(served, "ops") is None
    assert await find_project_by_name(served, "ops", login="admin") == {
        "company_slug": "redmine",
        "project_slug": "ops",
    }


async def test_search_ranks_exact_matches_first_and_limits(served: Served) -> None:
    for identifier, name in (("web-shop", "Web"), ("webhooks", "Webhooks"), ("api", "API")):
        served.redmine.state.add_project(identifier, name, members=(ALICE,))
    answer = await served.mcp(
        "GET", "search", [("q", "web"), ("categories", "projects"), ("limit", 2)]
    )
    projects = answer.json()["data"]["projects"]
    assert projects["total"] == 3
    assert [p["slug"] for p in projects["items"]] == ["web-shop", "web-app"]
    assert projects["items"][0] == {
        "id": projects["items"][0]["id"],
        "title": "Web",
        "slug": "web-shop",
        "company_slug": "redmine",
        "route": "/redmine/projects/web-shop",
    }


async def test_categories_redmine_has_nothing_for_are_empty(served: Served) -> None:
    answer = await served.mcp("GET", "search", [("q", "web"), ("categories", "tasks,projects")])
    data = answer.json()["data"]
    assert set(data) == {"tasks", "projects"}
    assert data["tasks"] == {"items": [], "total": 0}


async def test_another_company_has_no_projects(served: Served) -> None:
    params: list[tuple[str, str | int]] = [
        ("q", "web"),
        ("company_slug", "elsewhere"),
        ("categories", "projects"),
    ]
    answer = await served.mcp("GET", "search", params)
    assert answer.json()["data"]["projects"] == {"items": [], "total": 0}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ([("q", "web"), ("categories", "planets")], "categories"),
        ([("categories", "projects")], "q"),
        ([("q", "web"), ("categories", "projects"), ("limit", 0)], "limit"),
    ],
)
async def test_bad_searches_are_422(
    served: Served, params: list[tuple[str, str | int]], field: str
) -> None:
    answer = await served.mcp("GET", "search", params)
    assert answer.status == 422, answer.body
    body = answer.json()
    assert body["error_code"] == "VALIDATION_FAILED" and field in body["errors"]


@pytest.mark.parametrize("endpoint", ["workspaces", "search?q=web&categories=projects"])
async def test_without_a_key_it_is_401(served: Served, endpoint: str) -> None:
    raw = f"GET /{endpoint} HTTP/1.1\r\nHost: {served.host}\r\nAccept: application/json\r\n\r\n"
    answer = await served.send(raw.encode())
    assert answer.status == 401 and answer.json()["error_code"] == "UNAUTHENTICATED"
