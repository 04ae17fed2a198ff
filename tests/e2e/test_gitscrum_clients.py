"""The GitScrum CLI's and MCP server's requests, replayed byte for byte against the real Redmine;
and Redmine's own search, which shares /search with GitScrum's, unchanged through the gateway."""

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import pytest_asyncio

from tests.gateway_process import GatewayProcess
from tests.gitscrum_wire import (
    ACTIVE,
    REPORT,
    RESOLVED,
    STOP_ALL,
    Answer,
    exchange,
    go_cli_request,
    go_decode,
    mcp_request,
)

from .cleanup import Cleanup
from .endpoints import Call, Endpoints, api_key
from .harness import Harness
from .served_gateway import serve_gateway
from .time_trackings import TimeTrackings

pytestmark = pytest.mark.e2e


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def task_field_gateway(
    redmine: Harness, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[GatewayProcess]:
    """A gateway that also resolves codes through the seeded "Task UUID" custom field."""
    field_id = redmine.task_uuid_param.removeprefix("cf_")
    log_path = tmp_path_factory.mktemp("gateway-gitscrum") / "gateway.log"
    async with serve_gateway(
        redmine.base_url, log_path, extra_env={"GATEWAY_TASK_FIELD_ID": field_id}
    ) as running:
        yield running


class Wire:
    """Raw requests to one gateway process, as the clients write them."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        assert parts.hostname is not None and parts.port is not None
        self.hostname, self.port = parts.hostname, parts.port
        self.host = f"{parts.hostname}:{parts.port}"

    async def cli(self, method: str, path: str, key: str, body: Any = None) -> Answer:
        raw = go_cli_request(self.host, method, path, key, body)
        return await exchange(self.hostname, self.port, raw)

    async def mcp(self, endpoint: str, key: str, params: list[tuple[str, str | int]]) -> Answer:
        raw = mcp_request(self.host, "GET", endpoint, key, params)
        return await exchange(self.hostname, self.port, raw)


@pytest.fixture
async def timers(endpoints: Endpoints) -> AsyncIterator[TimeTrackings]:
    api = TimeTrackings(endpoints.gateway)
    yield api
    await api.discard_all()


def marker(label: str) -> str:
    return f"e2e gitscrum {label} {uuid.uuid4().hex[:12]}"


async def test_resolve_task_against_redmine(
    gateway_url: str, task_field_gateway: GatewayProcess, redmine: Harness, cleanup: Cleanup
) -> None:
    wire, alice, issue = Wire(gateway_url), redmine.alice.api_key, redmine.issues[0]
    for code in (str(issue.id), f"%23{issue.id}"):
        answer = await wire.cli("GET", f"/time-trackings/resolve-task/{code}", alice)
        assert answer.status == 200, answer.body
        go_decode(answer.json(), RESOLVED)
        assert answer.json()["data"] == {
            "uuid": str(issue.id),
            "code": f"#{issue.id}",
            "issue_id": issue.id,
            "title": issue.subject,
            "project_slug": redmine.project_identifier,
        }
    by_field = await Wire(task_field_gateway.url).cli(
        "GET", f"/time-trackings/resolve-task/{redmine.issues[1].task_uuid}", alice
    )
    assert by_field.status == 200, by_field.body
    assert by_field.json()["data"]["uuid"] == by_field.json()["data"]["code"]
    assert by_field.json()["data"]["issue_id"] == redmine.issues[1].id
    # An issue in a project alice is no member of: Redmine says 403, the gateway 404.
    created = await exchange_json(
        redmine, "POST", "/issues.json", {"issue": {"project_id": "ops", "subject": marker("x")}}
    )
    hidden = created["issue"]["id"]
    cleanup.delete_later(f"/issues/{hidden}.json")
    for code in (str(hidden), "999999999"):
        answer = await wire.cli("GET", f"/time-trackings/resolve-task/{code}", alice)
        assert answer.status == 404, answer.body
        assert answer.json()["error_code"] == "NOT_FOUND"


async def exchange_json(redmine: Harness, method: str, path: str, payload: Any) -> Any:
    """A call to Redmine itself with the admin key (to set up what a test needs)."""
    parts = urlsplit(redmine.base_url)
    assert parts.hostname is not None and parts.port is not None
    body = json.dumps(payload).encode()
    raw = (
        f"{method} {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"X-Redmine-API-Key: {redmine.admin.api_key}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body
    answer = await exchange(parts.hostname, parts.port, raw)
    assert answer.status in (200, 201), answer.body
    return answer.json()


async def test_the_cli_starts_shows_and_stops_a_timer(
    gateway_url: str, redmine: Harness, timers: TimeTrackings, endpoints: Endpoints
) -> None:
    wire, alice, issue = Wire(gateway_url), redmine.alice.api_key, redmine.issues[0]
    note = marker("cli")
    started = await wire.cli(
        "POST", "/time-trackings/start", alice, {"task_uuid": str(issue.id), "comment": note}
    )
    assert started.status == 201, started.body
    timer_id = started.json()["data"]["id"]
    timers.started.append((alice, timer_id))

    active = await wire.cli("GET", "/time-trackings/active?company_slug=redmine", alice)
    go_decode(active.json(), ACTIVE)
    [item] = active.json()["data"]
    assert (item["uuid"], item["comment"]) == (str(timer_id), note)
    assert item["issue"] == {"uuid": str(issue.id), "number": issue.id, "title": issue.subject}
    # Anyone else (no GitScrum-CLI User-Agent) reads the documented object.
    assert (await timers.active(alice) or {}).get("id") == timer_id

    stopped = await wire.cli("POST", "/time-trackings/stop-all", alice, {"company_slug": "redmine"})
    assert stopped.status == 200, stopped.body
    go_decode(stopped.json(), STOP_ALL)
    assert stopped.json()["stopped"] == 1
    [done] = stopped.json()["data"]
    assert (done["task_code"], done["task_title"]) == (f"#{issue.id}", issue.subject)
    assert done["status"] == "recorded" and done["hours"] == 0.25
    assert (await wire.cli("GET", "/time-trackings/active?company_slug=", alice)).json() == {
        "data": []
    }
    shown = await endpoints.gateway.send(
        Call("GET", f"/time-trackings/{timer_id}", {"Authorization": f"Bearer {alice}"})
    )
    entry_id = shown.json()["data"]["redmine_time_entry_id"]
    direct = await endpoints.redmine.send(
        Call("GET", f"/time_entries/{entry_id}.json", api_key(redmine.admin.api_key))
    )
    assert direct.json()["time_entry"]["comments"] == note

    report = await wire.cli("GET", "/time-trackings/reports?company_slug=&period=today", alice)
    assert report.status == 200, report.body
    go_decode(report.json(), REPORT)
    assert [
        e["task_code"] for e in report.json()["data"]["entries"] if e["description"] == note
    ] == [f"#{issue.id}"]


async def test_the_mcp_server_finds_its_workspace_and_project(
    gateway_url: str, redmine: Harness, endpoints: Endpoints
) -> None:
    wire, alice = Wire(gateway_url), redmine.alice.api_key
    workspaces = await wire.mcp("workspaces", alice, [("per_page", 1)])
    assert workspaces.status == 200, workspaces.body
    [workspace] = workspaces.json()["data"]
    visible = await endpoints.redmine.send(Call("GET", "/projects.json?limit=1", api_key(alice)))
    assert workspace == {
        "slug": "redmine",
        "name": "redmine",
        "projects_count": visible.json()["total_count"],
    }
    params: list[tuple[str, str | int]] = [
        ("q", redmine.project_identifier),
        ("categories", "projects"),
        ("limit", 5),
    ]
    found = await wire.mcp("search", alice, params)
    assert found.status == 200, found.body
    routes = [p["route"] for p in found.json()["data"]["projects"]["items"]]
    assert routes[0] == f"/redmine/projects/{redmine.project_identifier}"
    hidden = await wire.mcp("search", alice, [("q", "ops"), ("categories", "projects")])
    assert "/redmine/projects/ops" not in [
        p["route"] for p in hidden.json()["data"]["projects"]["items"]
    ]


@pytest.mark.parametrize(
    "target",
    [
        "/search.json?q=Login&issues=1&titles_only=1",
        "/search.json?q=Login&issues=1&categories=projects",
        "/search.xml?q=Login&issues=1",
        "/projects/web-app/search.json?q=Login&categories=projects",
    ],
)
async def test_redmines_search_is_unchanged_through_the_gateway(
    endpoints: Endpoints, redmine: Harness, target: str
) -> None:
    # Redmine writes result URLs for the Host it is asked as, which the gateway passes on.
    host = {"Host": urlsplit(redmine.base_url).netloc}
    call = Call("GET", target, api_key(redmine.alice.api_key) | host)
    via_gateway, direct = await endpoints.send_both(call)
    assert via_gateway.status == direct.status == 200, via_gateway.body
    assert via_gateway.content_type == direct.content_type
    assert via_gateway.body == direct.body


async def test_redmines_search_page_is_redmines(endpoints: Endpoints, redmine: Harness) -> None:
    # The HTML page ignores API keys; with login required Redmine sends the visitor to log in.
    call = Call("GET", "/search?q=Login", api_key(redmine.alice.api_key))
    via_gateway, direct = await endpoints.send_both(call)
    assert via_gateway.status == direct.status
    assert via_gateway.content_type == direct.content_type
    location = via_gateway.headers.get("Location", "")
    assert urlsplit(location).path == urlsplit(direct.headers.get("Location", "")).path


async def test_gitscrum_search_with_a_bad_category_is_the_gateways_422(
    endpoints: Endpoints, redmine: Harness
) -> None:
    call = Call("GET", "/search?q=Login&categories=planets", api_key(redmine.alice.api_key))
    answer = await endpoints.gateway.send(call)
    assert answer.status == 422 and answer.json()["error_code"] == "VALIDATION_FAILED"
