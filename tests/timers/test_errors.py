"""One JSON error shape for every gateway error, the right status for each, and never a 500."""

import pytest

from gateway.timers.models import TIMER_ID_BASE
from tests.timers.conftest import Gateway, assert_error

TIMER = f"/time-trackings/{TIMER_ID_BASE + 1}"


@pytest.mark.parametrize(("method", "path"), [("POST", "/time-trackings"), ("PUT", TIMER)])
@pytest.mark.parametrize("raw", [b"{", b'{"task_uuid": "1",}', b"\xff\xfe", b"{'a': 1}"])
async def test_malformed_json_is_400(gw: Gateway, method: str, path: str, raw: bytes) -> None:
    if method == "PUT":
        await gw.start()
    assert_error(await gw.request(method, path, raw=raw), 400, "BAD_REQUEST", "body")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"task_uuid": 5}, "task_uuid"),
        ({}, "task_uuid"),
        ({"task_uuid": ""}, "task_uuid"),
        ({"task_uuid": None}, "task_uuid"),
        ({"task_uuid": "1", "activity_id": "x"}, "activity_id"),
        ({"task_uuid": "1", "activity_id": 0}, "activity_id"),
        ({"task_uuid": "1", "activity_id": 1.5}, "activity_id"),
        ({"task_uuid": "1", "started_at": "yesterday", "ended_at": "today"}, "started_at"),
        ({"task_uuid": "1", "description": ["a"]}, "description"),
        ({"task_uuid": "1", "project_slug": 7}, "project_slug"),
        ({"task_uuid": "1", "company_slug": {}}, "company_slug"),
        ([{"task_uuid": "1"}], "body"),
        ("task", "body"),
        (None, "body"),
    ],
)
async def test_wrong_types_at_start_are_422_naming_the_field(
    gw: Gateway, body: object, field: str
) -> None:
    raw = b"null" if body is None else None
    reply = await gw.request("POST", "/time-trackings", body=body, raw=raw)
    assert_error(reply, 422, "VALIDATION_FAILED", field)
    assert (await gw.request("GET", "/time-trackings/active")).body == {"data": None}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"end": "soon"}, "end"),
        ({"ended_at": 1.5e400}, "ended_at"),
        ({"activity_id": "x"}, "activity_id"),
        ({"description": "x" * 1025}, "description"),
        ([], "body"),
    ],
)
async def test_wrong_types_at_stop_are_422_naming_the_field(
    gw: Gateway, body: object, field: str
) -> None:
    started = await gw.start()
    reply = await gw.request("PUT", f"/time-trackings/{started['id']}", body=body)
    assert_error(reply, 422, "VALIDATION_FAILED", field)
    assert (await gw.show(started["id"])).data["status"] == "running"


@pytest.mark.parametrize(
    "query",
    ["page=0", "per_page=0", "per_page=101", "page=x", "from=yesterday", "to=2026-13-01"],
)
async def test_wrong_list_queries_are_422(gw: Gateway, query: str) -> None:
    name = query.split("=")[0]
    field = "from" if name == "from" else name
    reply = await gw.request("GET", f"/time-trackings?{query}")
    assert_error(reply, 422, "VALIDATION_FAILED", field)


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
@pytest.mark.parametrize("item_id", [TIMER_ID_BASE + 5, 5, 999_999_999_999_999_999])
async def test_unknown_ids_are_404(gw: Gateway, method: str, item_id: int) -> None:
    reply = await gw.request(method, f"/time-trackings/{item_id}", body={})
    assert_error(reply, 404, "NOT_FOUND")


@pytest.mark.parametrize(
    "path",
    [
        "/time-trackings/",
        "/time-trackings/abc",
        "/time-trackings/-1",
        "/time-trackings/1000000000001/stop",
        "/time-trackings/active/extra",
        "/time-trackings/1234567890123456789012",
        "/time-trackings/%2e%2e/issues.json",
        "/time-trackings/%0A",
        "/time-trackings/x%0Ay/z",
    ],
)
@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE", "PATCH"])
async def test_unknown_paths_are_404_json_and_never_reach_redmine(
    gw: Gateway, path: str, method: str
) -> None:
    reply = await gw.request(method, path, body={})
    assert_error(reply, 404, "NOT_FOUND")
    assert gw.redmine.calls == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PATCH", "/time-trackings"),
        ("DELETE", "/time-trackings"),
        ("PUT", "/time-trackings"),
        ("POST", "/time-trackings/active"),
        ("DELETE", "/time-trackings/active"),
        ("POST", TIMER),
        ("PATCH", TIMER),
    ],
)
async def test_wrong_methods_are_405_json(gw: Gateway, method: str, path: str) -> None:
    reply = await gw.request(method, path, body={})
    assert_error(reply, 405, "METHOD_NOT_ALLOWED")
    assert gw.redmine.calls == []


@pytest.mark.parametrize(
    "body",
    [
        {
            "task_uuid": "1",
            "started_at": "0001-01-01T00:30:00+01:00",
            "ended_at": "0001-01-01T01:00:00+01:00",
        },
        {
            "task_uuid": "1",
            "started_at": "9999-12-31T23:00:00-01:00",
            "ended_at": "9999-12-31T23:30:00-01:00",
        },
        {"task_uuid": "1", "started_at": 10**30, "ended_at": 10**30 + 60},
        {"task_uuid": "1", "started_at": float("nan"), "ended_at": 1},
        {"task_uuid": "1", "activity_id": 10**40},
        {"task_uuid": "1", "activity_id": float("inf")},
        {"task_uuid": "#" * 300},
        {"task_uuid": "9" * 19},
        {"task_uuid": "\u0000"},
        {"task_uuid": "1", "project_slug": "x" * 256},
        {"task_uuid": "1", "description": "\ud800"},
    ],
)
async def test_odd_starts_never_get_a_500(gw: Gateway, body: dict[str, object]) -> None:
    reply = await gw.request("POST", "/time-trackings", body=body)
    assert reply.status < 500, reply.body
    assert reply.status in (201, 400, 404, 422), reply.body
    if reply.status != 201:
        assert_error(reply, reply.status, reply.body["error_code"])


@pytest.mark.parametrize(
    "body",
    [
        {"end": "0001-01-01T00:00:00+01:00"},
        {"end": "9999-12-31T23:59:59-01:00"},
        {"end": 10**30},
        {"activity_id": 10**40},
        {"project_slug": ""},
    ],
)
async def test_odd_stops_never_get_a_500(gw: Gateway, body: dict[str, object]) -> None:
    started = await gw.start()
    reply = await gw.request("PUT", f"/time-trackings/{started['id']}", body=body)
    assert reply.status in (200, 422), reply.body
    if reply.status != 200:
        assert_error(reply, reply.status, reply.body["error_code"])


@pytest.mark.parametrize(
    "query",
    [
        "user=%00",
        "task_uuid=abc",
        "project_slug=%20",
        "per_page=10000000000000000000000",
        "from=0001-01-01",
    ],
)
async def test_odd_list_queries_never_get_a_500(gw: Gateway, query: str) -> None:
    reply = await gw.request("GET", f"/time-trackings?{query}")
    assert reply.status in (200, 404, 422), reply.body
