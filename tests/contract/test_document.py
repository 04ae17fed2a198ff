"""The OpenAPI document: valid 3.1, every route of the table, the error shape on every error."""

import json
from collections.abc import Sequence
from typing import Any

import pytest
from aiohttp import hdrs, web
from openapi_spec_validator import validate
from openapi_spec_validator.validation import OpenAPIV31SpecValidator

from gateway import app as app_module
from gateway import health, routes
from gateway.app import create_app
from gateway.appkeys import OPENAPI
from gateway.contract.document import (
    PAGE_FILES,
    UndescribedRoute,
    document_bytes,
    openapi_document,
    openapi_path,
)
from gateway.contract.operations import OPERATIONS
from gateway.errors import ErrorBody
from gateway.page.api import is_behind_session
from gateway.proxy.answers import LIVENESS_BODY
from gateway.settings import Settings
from tests.conftest import GatewayClient, ServedGateway
from tests.fakes.redmine import FakeRedmine
from tests.metrics.test_admin_port import admin_url

METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi_document(routes.TABLE)


def operations_of(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    name = schema["$ref"].removeprefix("#/components/schemas/")
    found: dict[str, Any] = document["components"]["schemas"][name]
    return found


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"] == "3.1.0"
    validate(document, cls=OpenAPIV31SpecValidator)


def test_every_route_but_the_catch_alls_is_in_the_document(document: dict[str, Any]) -> None:
    """The page's files and its mirror of /time-trackings (the same operations, behind its
    session: the description says so) are not operations of their own."""
    expected = {
        (openapi_path(route.path), route.method.lower())
        for route in routes.TABLE
        if route.method != hdrs.METH_ANY
        and route.handler not in PAGE_FILES
        and not is_behind_session(route.handler)
    }
    assert {(path, method) for path, method, _ in operations_of(document)} == expected
    # The ones the issue names, spelled out once so that a route dropped from both fails here.
    assert {path for path, _ in expected} == {
        "/-/healthz",
        "/-/readyz",
        "/-/metrics",
        "/-/openapi.json",
        "/time-trackings",
        "/time-trackings/active",
        "/time-trackings/start",
        "/time-trackings/stop-all",
        "/time-trackings/resolve-task/{code}",
        "/workspaces",
        "/search",
        "/time-trackings/analytics",
        "/time-trackings/team",
        "/time-trackings/reports",
        "/time-trackings/productivity",
        "/time-trackings/timeline",
        "/time-trackings/{timer_id}",
        "/-/app/api/session",
        "/-/app/api/issues",
        "/time-trackings/{timer_id}/pause",
        "/time-trackings/{timer_id}/resume",
    }
    assert "/-/app/api/time-trackings" in document["info"]["description"]


def test_a_route_without_an_operation_fails_the_build() -> None:
    async def undocumented(request: web.Request) -> web.Response:
        return web.Response()

    with pytest.raises(UndescribedRoute, match="GET /time-trackings/new-thing"):
        openapi_document([*routes.TABLE, web.get("/time-trackings/new-thing", undocumented)])


def test_an_operation_without_a_route_fails_the_build() -> None:
    table = [route for route in routes.TABLE if route.path != "/time-trackings/team"]
    with pytest.raises(UndescribedRoute, match="team"):
        openapi_document(table)


def test_every_error_answer_has_the_error_shape(document: dict[str, Any]) -> None:
    shape = ErrorBody.model_json_schema(mode="serialization")
    checked = 0
    for path, method, operation in operations_of(document):
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            schema = response["content"]["application/json"]["schema"]
            model = resolve(document, schema)
            assert set(shape["required"]) <= set(model["required"]), (path, method, status)
            for name in shape["required"]:
                assert model["properties"][name] == shape["properties"][name], (path, status)
            checked += 1
    assert checked > 50


def test_every_time_tracking_operation_needs_the_api_key(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["redmineApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-Redmine-API-Key",
        "description": "The caller's Redmine API key.",
    }
    assert schemes["bearer"]["scheme"] == "bearer"
    for path, method, operation in operations_of(document):
        if path.startswith("/-/app/api/"):
            signing_in = (path, method) == ("/-/app/api/session", "post")
            assert operation["security"] == ([] if signing_in else [{"pageSession": []}])
            assert "401" in operation["responses"]
        elif path.startswith("/-/"):
            assert operation["security"] == []
        else:
            assert operation["security"] == [{"redmineApiKey": []}, {"bearer": []}]
            assert "401" in operation["responses"]


def test_statuses_the_issue_names_are_declared(document: dict[str, Any]) -> None:
    responses = document["paths"]["/time-trackings"]["post"]["responses"]
    assert {"201", "202", "401", "404", "409", "422", "503"} <= set(responses)
    assert responses["409"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TimerError"
    }
    assert responses["503"]["headers"]["Retry-After"]["required"] is True
    stop = document["paths"]["/time-trackings/{timer_id}"]["put"]["responses"]
    assert {"200", "202", "404", "409", "422"} <= set(stop)
    assert set(document["paths"]["/time-trackings/{timer_id}"]["delete"]["responses"]) >= {"204"}


def test_schemas_come_from_the_models_the_views_use(document: dict[str, Any]) -> None:
    start = document["paths"]["/time-trackings"]["post"]
    body = start["requestBody"]["content"]["application/json"]["schema"]
    # A task_uuid, or a project_slug alone for time on the project: neither is required alone.
    start_schema = resolve(document, body)
    assert "required" not in start_schema
    assert {"task_uuid", "project_slug", "duration", "date", "stop_running"} <= set(
        start_schema["properties"]
    )
    page = resolve(
        document,
        document["paths"]["/time-trackings"]["get"]["responses"]["200"]["content"][
            "application/json"
        ]["schema"],
    )
    assert set(page["properties"]) == {"data", "meta"}
    # Report rows list their members, amount included (a wrap serializer would make them {}).
    user_row = document["components"]["schemas"]["UserRow"]
    assert set(user_row["properties"]) == {"username", "name", "hours", "entries", "amount"}
    assert user_row["properties"]["hours"] == {"title": "Hours", "type": "number"}
    reports = document["paths"]["/time-trackings/reports"]["get"]["responses"]["200"]["content"]
    assert set(reports) == {"application/json", "text/csv"}
    metrics = document["paths"]["/-/metrics"]["get"]["responses"]["200"]["content"]
    assert set(metrics) == {"text/plain"}


def test_query_and_path_parameters_come_from_the_models(document: dict[str, Any]) -> None:
    listing = {p["name"]: p for p in document["paths"]["/time-trackings"]["get"]["parameters"]}
    assert set(listing) == {
        "project_slug",
        "company_slug",
        "from",
        "to",
        "start",
        "end",
        "user",
        "users",
        "task_uuid",
        "billable",
        "page",
        "per_page",
    }
    assert listing["users"]["explode"] is False
    assert listing["start"]["schema"] == {"format": "date", "type": "string"}
    assert listing["per_page"]["schema"] == {
        "default": 25,
        "maximum": 100,
        "minimum": 1,
        "type": "integer",
    }
    assert all(p["in"] == "query" and p["required"] is False for p in listing.values())
    analytics = {
        p["name"]: p for p in document["paths"]["/time-trackings/analytics"]["get"]["parameters"]
    }
    assert analytics["users"]["explode"] is False
    assert analytics["period"]["schema"]["enum"][0] == "today"
    [timer_id] = document["paths"]["/time-trackings/{timer_id}"]["get"]["parameters"]
    assert timer_id["in"] == "path" and timer_id["required"] is True
    assert timer_id["schema"]["maximum"] == 10**18 - 1


def test_operation_ids_are_unique(document: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _, _, operation in operations_of(document)]
    assert len(ids) == len(set(ids)) == len(OPERATIONS)


def test_the_fronts_own_liveness_answer_is_the_documented_one() -> None:
    assert health.Liveness.model_validate_json(LIVENESS_BODY).status == "ok"


async def test_served_at_openapi_json_as_built_once_at_start_up(
    served_gateway: ServedGateway, redmine: FakeRedmine, monkeypatch: pytest.MonkeyPatch
) -> None:
    builds: list[bytes] = []

    def counted(table: Sequence[web.RouteDef]) -> bytes:
        builds.append(document_bytes(table))
        return builds[-1]

    monkeypatch.setattr(app_module, "document_bytes", counted)
    client = await served_gateway(Settings(redmine_url=redmine.url))
    answers = [await client.get("/-/openapi.json") for _ in range(2)]
    assert [a.status for a in answers] == [200, 200]
    assert {a.content_type for a in answers} == {"application/json"}
    bodies = {await a.read() for a in answers}
    assert bodies == set(builds) and len(builds) == 1
    assert json.loads(builds[0]) == openapi_document(routes.TABLE)
    assert redmine.calls == []


async def test_only_on_the_admin_port_when_there_is_one(
    served_gateway: ServedGateway, redmine: FakeRedmine
) -> None:
    gateway: GatewayClient = await served_gateway(Settings(redmine_url=redmine.url, admin_port=0))
    public = await gateway.get("/-/openapi.json")
    assert public.status == 404
    assert (await public.json())["error_code"] == "NOT_FOUND"
    async with gateway.session.get(admin_url(gateway, "/-/openapi.json")) as admin:
        assert admin.status == 200
        assert (await admin.json())["openapi"] == "3.1.0"


def test_create_app_builds_no_document_until_it_starts() -> None:
    app = create_app(Settings(redmine_url="http://127.0.0.1:9/"))
    assert OPENAPI not in app
