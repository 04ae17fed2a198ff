"""The stateful fake Redmine behaves like Redmine 5.0.4 as seeded by ../shared/redmine."""

import asyncio
import base64
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

from gateway.redmine.client import RedmineClient
from tests.fakes.redmine import Canned
from tests.fakes.redmine_api import FakeRedmineApi
from tests.fakes.redmine_state import UsersVisibility

Client = TestClient[web.Request, web.Application]
START = datetime(2024, 5, 6, 9, 30, tzinfo=UTC)
UUID_2 = "6f1c2a9e-0002-4b7a-9c1d-000000000002"
JSON = "application/json"


class FakeClock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def tick(self, seconds: float = 1.0) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(clock: FakeClock) -> FakeRedmineApi:
    return FakeRedmineApi(clock=clock)


@pytest.fixture
async def http(aiohttp_client: AiohttpClient, fake: FakeRedmineApi) -> Client:
    return await aiohttp_client(fake.app)


def key(fake: FakeRedmineApi, login: str) -> dict[str, str]:
    return {"X-Redmine-API-Key": fake.api_key_of(login)}


async def call(
    http: Client,
    fake: FakeRedmineApi,
    method: str,
    path: str,
    login: str = "alice",
    body: object = None,
) -> tuple[int, Any]:
    """One request as `login`; the body comes back parsed, or None when it is empty."""
    async with http.request(method, path, headers=key(fake, login), json=body) as response:
        text = await response.text()
        return response.status, json.loads(text) if text else None


async def log_time(
    http: Client, fake: FakeRedmineApi, login: str = "alice", /, **attributes: object
) -> tuple[int, Any]:
    entry = {"issue_id": 1, "hours": 1, "spent_on": "2024-05-01", **attributes}
    return await call(http, fake, "POST", "/time_entries.json", login, {"time_entry": entry})


async def entry_ids(
    http: Client, fake: FakeRedmineApi, query: str, login: str = "alice"
) -> list[int]:
    status, body = await call(http, fake, "GET", f"/time_entries.json?{query}", login)
    assert status == 200, body
    ids: list[int] = [entry["id"] for entry in body["time_entries"]]
    return ids


# -- authentication ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Redmine-API-Key": "0" * 40},
        {"Authorization": "Basic " + base64.b64encode(b"alice:wrong").decode()},
    ],
)
async def test_a_missing_or_wrong_credential_is_401_with_an_empty_body(
    http: Client, headers: dict[str, str]
) -> None:
    async with http.get("/users/current.json", headers=headers) as response:
        assert response.status == 401
        assert await response.read() == b""
        assert response.headers["WWW-Authenticate"] == 'Basic realm="Redmine API"'


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/users/current.json?key={key}", {}),
        ("/users/current.json", {"X-Redmine-API-Key": "{key}"}),
        ("/users/current.json", {"Authorization": "Basic {password}"}),
        ("/users/current.json", {"Authorization": "Basic {key_as_login}"}),
        ("/users/current.json?key={key}", {"X-Redmine-API-Key": "{other}"}),  # ?key= wins
    ],
)
async def test_every_documented_credential_identifies_the_caller(
    http: Client, fake: FakeRedmineApi, path: str, headers: dict[str, str]
) -> None:
    values = {
        "key": fake.api_key_of("bob"),
        "other": fake.api_key_of("alice"),
        "password": base64.b64encode(b"bob:bob-password").decode(),
        "key_as_login": base64.b64encode(f"{fake.api_key_of('bob')}:x".encode()).decode(),
    }
    filled = {name: value.format(**values) for name, value in headers.items()}
    async with http.get(path.format(**values), headers=filled) as response:
        assert (await response.json())["user"]["login"] == "bob"


async def test_only_an_admin_key_may_switch_user(http: Client, fake: FakeRedmineApi) -> None:
    async def login_of(caller: str, switch_to: str) -> tuple[int, str]:
        headers = {**key(fake, caller), "X-Redmine-Switch-User": switch_to}
        async with http.get("/users/current.json", headers=headers) as response:
            return response.status, (await response.json())["user"]["login"] if response.ok else ""

    assert await login_of("admin", "alice") == (200, "alice")
    assert await login_of("alice", "bob") == (200, "alice")  # silently ignored
    assert await login_of("admin", "nobody") == (412, "")


# -- users, projects, issues, activities ---------------------------------------------------------


async def test_current_user_shows_the_key_and_other_users_do_not(
    http: Client, fake: FakeRedmineApi
) -> None:
    _, me = await call(http, fake, "GET", "/users/current.json")
    _, bob = await call(http, fake, "GET", "/users/6.json")
    _, bob_for_admin = await call(http, fake, "GET", "/users/6.json", "admin")
    common = ["id", "login", "firstname", "lastname", "created_on", "updated_on"]
    common += ["last_login_on", "passwd_changed_on"]
    assert sorted(me["user"]) == sorted([*common, "admin", "twofa_scheme", "api_key"])
    assert me["user"]["api_key"] == fake.api_key_of("alice")
    assert sorted(bob["user"]) == sorted(common)
    assert bob_for_admin["user"]["api_key"] == fake.api_key_of("bob")
    assert {"mail", "status", "admin"} <= set(bob_for_admin["user"])


async def test_users_are_visible_to_everyone_unless_the_role_restricts_it(
    aiohttp_client: AiohttpClient,
) -> None:
    cases: tuple[tuple[UsersVisibility, int], ...] = (
        ("all", 200),
        ("members_of_visible_projects", 404),
    )
    for visibility, admin_status in cases:
        fake = FakeRedmineApi(users_visibility=visibility)
        http = await aiohttp_client(fake.app)
        assert (await call(http, fake, "GET", "/users/1.json"))[0] == admin_status
        assert (await call(http, fake, "GET", "/users/6.json"))[0] == 200
        assert (await call(http, fake, "GET", "/users/999.json"))[0] == 404


@pytest.mark.parametrize(
    ("path", "login", "status"),
    [
        ("/projects/web-app.json", "alice", 200),
        ("/projects/1.json", "alice", 200),
        ("/projects/ops.json", "alice", 403),
        ("/projects/ops.json", "admin", 200),
        ("/projects/999.json", "alice", 404),
        ("/projects/1abc.json", "alice", 404),
    ],
)
async def test_private_projects_are_403_to_non_members(
    http: Client, fake: FakeRedmineApi, path: str, login: str, status: int
) -> None:
    got, body = await call(http, fake, "GET", path, login)
    assert got == status
    assert body is None or body["project"]["is_public"] is False


async def test_an_issue_shows_its_task_uuid_and_is_403_outside_ones_projects(
    http: Client, fake: FakeRedmineApi
) -> None:
    secret = fake.state.add_issue(2, "Rotate keys")
    status, body = await call(http, fake, "GET", "/issues/2.json")
    assert status == 200
    assert body["issue"]["custom_fields"] == [{"id": 1, "name": "Task UUID", "value": UUID_2}]
    assert body["issue"]["status"] == {"id": 1, "name": "New", "is_closed": False}
    assert (await call(http, fake, "GET", f"/issues/{secret.id}.json"))[0] == 403
    assert (await call(http, fake, "GET", "/issues/999.json"))[0] == 404


async def test_issue_search_defaults_to_open_issues(http: Client, fake: FakeRedmineApi) -> None:
    fake.state.issues[2].status = fake.state.statuses[5]
    query = f"/issues.json?cf_1={UUID_2}"
    found = {
        status_id: [
            i["id"] for i in (await call(http, fake, "GET", query + status_id))[1]["issues"]
        ]
        for status_id in ("", "&status_id=*", "&status_id=closed", "&status_id=open")
    }
    assert found == {"": [], "&status_id=*": [2], "&status_id=closed": [2], "&status_id=open": []}


@pytest.mark.parametrize(
    ("query", "ids"),
    [
        ("", [3, 2, 1]),
        ("issue_id=3,1,99", [3, 1]),
        ("cf_1=6F1C2A9E-0002-4b7a-9c1d-000000000002", []),  # exact, case-sensitive
        ("project_id=web-app&limit=1&offset=1", [2]),
        ("status_id=1%7C5&page=2&limit=2", [1]),
        ("cf_99=x", [3, 2, 1]),  # an unknown custom field is ignored
    ],
)
async def test_issue_filters_and_paging(
    http: Client, fake: FakeRedmineApi, query: str, ids: list[int]
) -> None:
    status, body = await call(http, fake, "GET", f"/issues.json?{query}")
    assert status == 200
    assert [issue["id"] for issue in body["issues"]] == ids


@pytest.mark.parametrize(
    ("query", "status", "errors"),
    [
        ("issue_id=abc", 422, ["Issue is invalid"]),
        ("issue_id=abc&cf_1=", 422, ["Task UUID cannot be blank", "Issue is invalid"]),
        ("status_id=", 422, ["Status cannot be blank"]),
        ("project_id=ops", 403, None),
        ("project_id=999", 404, None),
    ],
)
async def test_issue_search_refusals(
    http: Client, fake: FakeRedmineApi, query: str, status: int, errors: list[str] | None
) -> None:
    got, body = await call(http, fake, "GET", f"/issues.json?{query}")
    assert (got, body) == (status, errors and {"errors": errors})


async def test_activities_include_the_inactive_one(http: Client, fake: FakeRedmineApi) -> None:
    _, body = await call(http, fake, "GET", "/enumerations/time_entry_activities.json", "bob")
    assert body["time_entry_activities"][1:] == [
        {"id": 9, "name": "Development", "is_default": True, "active": True},
        {"id": 10, "name": "Testing", "is_default": False, "active": True},
        {"id": 11, "name": "Legacy (inactive)", "is_default": False, "active": False},
    ]


# -- listing time entries ------------------------------------------------------------------------


async def test_entries_are_listed_by_date_then_newest_first_then_lowest_id(
    http: Client, fake: FakeRedmineApi, clock: FakeClock
) -> None:
    add = fake.state.add_entry
    older = add(user_id=5, issue_id=1, hours=1, spent_on=date(2024, 5, 2))
    clock.tick()
    tie_a = add(user_id=6, issue_id=1, hours=1, spent_on=date(2024, 5, 2))
    tie_b = add(user_id=5, issue_id=2, hours=1, spent_on=date(2024, 5, 2))
    earlier_day = add(user_id=5, issue_id=1, hours=1, spent_on=date(2024, 5, 1))
    later_day = add(user_id=5, issue_id=1, hours=1, spent_on=date(2024, 5, 3))
    expected = [later_day, tie_a, tie_b, older, earlier_day]
    assert await entry_ids(http, fake, "") == [e.id for e in expected]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("user_id=me", ["a1", "a2", "a3"]),
        ("user_id=6", ["b1"]),
        ("user_id=!5", ["b1"]),
        ("user_id=5%7C6", ["a1", "a2", "b1", "a3"]),
        ("from=2024-05-02&to=2024-05-03", ["a1", "a2", "b1"]),
        ("from=2024-05-02", ["a1", "a2", "b1"]),
        ("to=2024-05-01", ["a3"]),
        ("spent_on=2024-05-02", ["a2", "b1"]),
        ("spent_on=%3E%3C2024-05-01%7C2024-05-02", ["a2", "b1", "a3"]),
        ("issue_id=2,1", ["a2"]),  # Redmine reads only the leading number
        ("issue_id=!*", ["a3"]),
        ("activity_id=8", ["a1"]),
        ("project_id=web-app&user_id=6", ["b1"]),
        # one invalid filter and Redmine silently drops every filter
        ("user_id=6&from=bad", ["a1", "a2", "b1", "a3"]),
        ("user_id=6&spent_on=2024-5-2", ["a1", "a2", "b1", "a3"]),
        ("user_id=", ["a1", "a2", "b1", "a3"]),
    ],
)
async def test_entry_filters(
    http: Client, fake: FakeRedmineApi, clock: FakeClock, query: str, expected: list[str]
) -> None:
    add = fake.state.add_entry
    entries = {
        "a3": add(user_id=5, project_id=1, hours=1, spent_on=date(2024, 5, 1)),
        "a2": add(user_id=5, issue_id=2, hours=1, spent_on=date(2024, 5, 2)),
        "b1": add(user_id=6, issue_id=1, hours=1, spent_on=date(2024, 5, 2)),
        "a1": add(user_id=5, issue_id=1, hours=1, spent_on=date(2024, 5, 3), activity_id=8),
    }
    assert await entry_ids(http, fake, query) == [entries[name].id for name in expected]


async def test_entries_are_visible_only_in_projects_where_one_may_view_them(
    http: Client, fake: FakeRedmineApi
) -> None:
    ops = fake.state.add_entry(user_id=1, project_id=2, hours=2, spent_on=date(2024, 5, 1))
    bobs = fake.state.add_entry(user_id=6, issue_id=1, hours=1, spent_on=date(2024, 5, 1))
    assert await entry_ids(http, fake, "") == [bobs.id]
    assert await entry_ids(http, fake, "", "admin") == [ops.id, bobs.id]
    assert (await call(http, fake, "GET", f"/time_entries/{bobs.id}.json"))[0] == 200
    assert (await call(http, fake, "GET", f"/time_entries/{ops.id}.json"))[0] == 403
    assert (await call(http, fake, "GET", "/time_entries/999.json"))[0] == 404
    assert (await call(http, fake, "GET", "/time_entries.json?project_id=ops"))[0] == 403
    assert (await call(http, fake, "GET", "/time_entries.json?project_id=999"))[0] == 404


@pytest.mark.parametrize(
    ("stored", "query", "count", "offset", "limit"),
    [
        (100, "limit=100", 100, 0, 100),
        (100, "limit=100&offset=100", 0, 100, 100),
        (101, "limit=100", 100, 0, 100),
        (101, "limit=100&offset=100", 1, 100, 100),
        (101, "limit=1000", 100, 0, 100),  # capped
        (101, "limit=0", 25, 0, 25),  # below 1: the default
        (101, "limit=abc&offset=-5", 25, 0, 25),
        (101, "limit=50&page=3", 1, 100, 50),
        (101, "offset=101", 0, 101, 25),
    ],
)
async def test_pages_at_the_100_entry_edge(
    http: Client, fake: FakeRedmineApi, stored: int, query: str, count: int, offset: int, limit: int
) -> None:
    for day in range(stored):
        fake.state.add_entry(
            user_id=5, issue_id=1, hours=1, spent_on=date(2024, 1, 1) + timedelta(day)
        )
    _, body = await call(http, fake, "GET", f"/time_entries.json?{query}")
    assert (len(body["time_entries"]), body["offset"], body["limit"]) == (count, offset, limit)
    assert body["total_count"] == stored


def add_entries(fake: FakeRedmineApi, count: int) -> None:
    fake.state.add_entries(
        {
            "user_id": 5 + n % 2,
            "issue_id": 1 + n % 3,
            "hours": "0.25",
            "spent_on": date(2024, 1, 1) + timedelta(n % 366),
        }
        for n in range(count)
    )


async def test_500_pages_of_50000_entries_are_filtered_and_sorted_once(
    http: Client, fake: FakeRedmineApi
) -> None:
    add_entries(fake, 50_000)
    gate = asyncio.Semaphore(8)

    async def page(offset: int) -> list[int]:
        async with gate:
            return await entry_ids(http, fake, f"project_id=web-app&limit=100&offset={offset}")

    pages = await asyncio.gather(*(page(offset) for offset in range(0, 50_000, 100)))
    ids = [entry_id for ids in pages for entry_id in ids]
    assert sorted(ids) == list(range(1, 50_001))
    assert fake.state.listings_built == 1
    add_entries(fake, 1)  # a change invalidates the cached listing
    assert len(await entry_ids(http, fake, "project_id=web-app&limit=100&offset=50000")) == 1
    assert fake.state.listings_built == 2


async def test_the_gateway_client_reads_every_page(http: Client, fake: FakeRedmineApi) -> None:
    add_entries(fake, 250)
    async with aiohttp.ClientSession() as session:
        client = RedmineClient(session, str(http.make_url("")).rstrip("/"), page_concurrency=2)
        entries = await client.time_entries(fake.api_key_of("bob"), {"user_id": "me"})
    assert [e.id for e in entries] == [e.id for e in fake.entries_for(6)][::-1]
    assert {e.hours for e in entries} == {Decimal("0.25")}


# -- creating, changing and deleting time entries ------------------------------------------------


async def test_a_created_entry_is_answered_in_full(http: Client, fake: FakeRedmineApi) -> None:
    body = {"time_entry": {"issue_id": 2, "hours": 1.3333, "comments": "pairing"}}
    async with http.post("/time_entries.json", headers=key(fake, "bob"), json=body) as response:
        assert response.status == 201
        assert response.headers["Location"].endswith("/time_entries/1")
        created = await response.json()
    assert created == {
        "time_entry": {
            "id": 1,
            "project": {"id": 1, "name": "Web App"},
            "issue": {"id": 2},
            "user": {"id": 6, "name": "Bob Tester"},
            "activity": {"id": 9, "name": "Development"},
            "hours": 1.33,
            "comments": "pairing",
            "spent_on": START.date().isoformat(),
            "created_on": "2024-05-06T09:30:00Z",
            "updated_on": "2024-05-06T09:30:00Z",
        }
    }
    assert fake.entries[1].hours == Decimal("1.3333")
    assert fake.entries_for(6) == [fake.entries[1]]


async def test_an_entry_on_a_project_has_no_issue_key(http: Client, fake: FakeRedmineApi) -> None:
    status, body = await log_time(http, fake, issue_id=None, project_id=1)
    assert status == 201
    assert "issue" not in body["time_entry"]
    assert body["time_entry"]["comments"] is None


@pytest.mark.parametrize(
    ("hours", "shown"),
    [
        *((1.005, 1.01), (2.675, 2.68), (0.125, 0.13), (0.005, 0.01), (25, 25.0)),
        *(("1:30", 1.5), ("1h30", 1.5), ("1,5", 1.5), ("30m", 0.5), (" 2.5 ", 2.5)),
        ("1e2", 100.0),
    ],
)
async def test_hours_are_shown_rounded_like_ruby(
    http: Client, fake: FakeRedmineApi, hours: object, shown: float
) -> None:
    status, body = await log_time(http, fake, hours=hours)
    assert (status, body["time_entry"]["hours"]) == (201, shown)


@pytest.mark.parametrize(
    ("attributes", "errors"),
    [
        ({"hours": None}, ["Hours cannot be blank"]),
        ({"hours": ""}, ["Hours cannot be blank"]),
        ({"hours": 0}, ["Hours is invalid"]),
        ({"hours": -1}, ["Hours is invalid"]),
        ({"hours": 0.004}, ["Hours is invalid"]),
        ({"hours": "abc"}, ["Hours is invalid", "Hours is invalid"]),
        ({"hours": True}, ["Hours is invalid"]),
        ({"activity_id": 11}, ["Activity is not included in the list"]),
        ({"activity_id": 999}, ["Activity is not included in the list"]),
        ({"activity_id": None}, ["Activity cannot be blank"]),
        ({"issue_id": 999}, ["Project cannot be blank", "Project is invalid", "Issue is invalid"]),
        (
            {"issue_id": "abc"},
            ["Project cannot be blank", "Project is invalid", "Issue is invalid"],
        ),
        ({"issue_id": None, "project_id": "web-app"}, ["Project is invalid"]),
        ({"issue_id": None}, ["Project cannot be blank", "Project is invalid"]),
        ({"spent_on": "2024-02-30"}, ["Date cannot be blank", "Date is not a valid date"]),
        ({"spent_on": "bad"}, ["Date cannot be blank", "Date is not a valid date"]),
        ({"spent_on": "2024-1-5"}, ["Date is not a valid date"]),
        ({"spent_on": "2024-01-05T10:00:00Z"}, ["Date is not a valid date"]),
        ({"spent_on": ""}, ["Date cannot be blank"]),
        ({"user_id": 6}, ["User is invalid"]),
        ({"comments": "x" * 1025}, ["Comment is too long (maximum is 1024 characters)"]),
        (
            {"issue_id": 999, "hours": 0, "spent_on": "bad", "comments": "x" * 1025},
            [
                *("Project cannot be blank", "Date cannot be blank"),
                "Comment is too long (maximum is 1024 characters)",
                *("Date is not a valid date", "Hours is invalid", "Project is invalid"),
                "Issue is invalid",
            ],
        ),
    ],
)
async def test_validation_messages_match_redmine(
    http: Client, fake: FakeRedmineApi, attributes: dict[str, object], errors: list[str]
) -> None:
    assert await log_time(http, fake, **attributes) == (422, {"errors": errors})
    assert not fake.entries


async def test_accepted_edge_values(http: Client, fake: FakeRedmineApi) -> None:
    for attributes in (
        {"comments": "é" * 1024},
        {"spent_on": "2024-05-01 00:00:00"},
        {"issue_id": "1abc"},
        {"user_id": 5},
        {"hours": 25},
        {"spent_on": "2999-01-01"},
    ):
        assert (await log_time(http, fake, **attributes))[0] == 201, attributes


async def test_the_daily_cap_counts_the_stored_hours(http: Client, fake: FakeRedmineApi) -> None:
    assert (await log_time(http, fake, hours=54.95))[0] == 201
    assert await log_time(http, fake, hours=944.06) == (
        422,
        {
            "errors": [
                "Cannot log more than 999:00 hours on the same day"
                " (54:57 hours have already been logged)"
            ]
        },
    )
    assert (await log_time(http, fake, hours=944.05))[0] == 201
    assert (await log_time(http, fake, "bob", hours=999))[0] == 201  # per user


async def test_logging_for_someone_else_needs_the_permission(
    http: Client, fake: FakeRedmineApi
) -> None:
    status, body = await log_time(http, fake, "admin", user_id=6)
    assert (status, body["time_entry"]["user"]) == (201, {"id": 6, "name": "Bob Tester"})
    invalid = (422, {"errors": ["User is invalid"]})
    assert await log_time(http, fake, "admin", issue_id=None, project_id=2, user_id=5) == invalid
    assert await log_time(http, fake, "admin", user_id=999) == invalid
    fake.state.projects[1].members[5] |= {"log_time_for_other_users"}
    assert (await log_time(http, fake, "alice", user_id=6))[0] == 201


@pytest.mark.parametrize("attributes", [{"project_id": 2, "issue_id": None}, {"project_id": 2}])
async def test_a_non_member_is_refused_before_validation(
    http: Client, fake: FakeRedmineApi, attributes: dict[str, object]
) -> None:
    assert await log_time(http, fake, hours=0, **attributes) == (403, None)


async def test_time_can_be_logged_on_a_closed_issue(http: Client, fake: FakeRedmineApi) -> None:
    fake.state.issues[3].status = fake.state.statuses[5]
    status, body = await log_time(http, fake, issue_id=3)
    assert (status, body["time_entry"]["issue"]) == (201, {"id": 3})


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", b'{"time_entry": {"issue_id": 1, "hours": 1}}'),  # not parsed at all
        ("application/json", b""),
        ("application/json", b'{"time_entry": "x"}'),
        ("application/json", b"[1]"),
    ],
)
async def test_a_body_without_a_json_time_entry_is_an_empty_entry(
    http: Client, fake: FakeRedmineApi, content_type: str, body: bytes
) -> None:
    headers = {**key(fake, "alice"), "Content-Type": content_type}
    async with http.post("/time_entries.json", data=body, headers=headers) as response:
        assert response.status == 422
        assert await response.json() == {
            "errors": ["Project cannot be blank", "Hours cannot be blank", "Project is invalid"]
        }


@pytest.mark.parametrize(
    ("accept", "content_type", "body"),
    [
        (None, "application/json", b'{"status":400,"error":"Bad Request"}'),
        ("application/json", "application/json", b'{"status":400,"error":"Bad Request"}'),
        ("*/*", "text/html", b""),  # curl's default, hence the README's "empty body"
    ],
)
@pytest.mark.parametrize("login", ["alice", None])  # parsed before authentication
async def test_malformed_json_is_400_in_the_negotiated_format(
    http: Client,
    fake: FakeRedmineApi,
    accept: str | None,
    content_type: str,
    body: bytes,
    login: str | None,
) -> None:
    headers = {"Content-Type": "application/json", **(key(fake, login) if login else {})}
    headers |= {"Accept": accept} if accept else {}
    async with http.post(
        "/time_entries.json", data=b"{bad", headers=headers, skip_auto_headers=["Accept"]
    ) as response:
        assert (response.status, response.content_type) == (400, content_type)
        assert await response.read() == body


async def test_deleting_the_newest_entry_frees_its_id(http: Client, fake: FakeRedmineApi) -> None:
    first = (await log_time(http, fake))[1]["time_entry"]["id"]
    second = (await log_time(http, fake))[1]["time_entry"]["id"]
    assert (await call(http, fake, "DELETE", f"/time_entries/{second}.json"))[0] == 204
    assert (await call(http, fake, "GET", f"/time_entries/{second}.json"))[0] == 404
    assert (await log_time(http, fake))[1]["time_entry"]["id"] == second == first + 1


async def test_an_update_changes_only_what_is_sent(
    http: Client, fake: FakeRedmineApi, clock: FakeClock
) -> None:
    entry_id = (await log_time(http, fake, comments="draft"))[1]["time_entry"]["id"]
    path = f"/time_entries/{entry_id}.json"
    clock.tick(60)
    assert await call(http, fake, "PUT", path, body={"time_entry": {}}) == (204, None)
    assert fake.entries[entry_id].updated_on == START  # nothing changed, nothing touched
    change = {"time_entry": {"hours": "2h", "activity_id": 8}}
    assert await call(http, fake, "PUT", path, body=change) == (204, None)
    _, body = await call(http, fake, "GET", path)
    assert body["time_entry"]["hours"] == 2.0
    assert body["time_entry"]["activity"] == {"id": 8, "name": "Design"}
    assert body["time_entry"]["comments"] == "draft"
    assert body["time_entry"]["updated_on"] == "2024-05-06T09:31:00Z"


@pytest.mark.parametrize(
    ("attributes", "errors"),
    [
        ({"hours": 0}, ["Hours is invalid"]),
        ({"activity_id": 11}, ["Activity is not included in the list"]),
        ({"issue_id": 999}, ["Issue is invalid"]),
        ({"user_id": 6}, ["User is invalid"]),
        ({"project_id": 2}, ["Issue is invalid"]),
        (
            {"hours": 1000},
            [
                "Cannot log more than 999:00 hours on the same day"
                " (3:30 hours have already been logged)"
            ],
        ),
    ],
)
async def test_an_update_is_validated_like_a_creation(
    http: Client, fake: FakeRedmineApi, attributes: dict[str, object], errors: list[str]
) -> None:
    entry_id = (await log_time(http, fake))[1]["time_entry"]["id"]
    await log_time(http, fake, hours=3.5)
    path = f"/time_entries/{entry_id}.json"
    assert await call(http, fake, "PUT", path, body={"time_entry": attributes}) == (
        422,
        {"errors": errors},
    )


async def test_only_the_owner_or_an_admin_changes_an_entry(
    http: Client, fake: FakeRedmineApi
) -> None:
    entry_id = (await log_time(http, fake))[1]["time_entry"]["id"]
    path = f"/time_entries/{entry_id}.json"
    change = {"time_entry": {"comments": "bob was here"}}
    assert await call(http, fake, "PUT", path, "bob", change) == (403, None)
    assert await call(http, fake, "DELETE", path, "bob") == (403, None)
    assert await call(http, fake, "PUT", path, "admin", change) == (204, None)
    assert await call(http, fake, "DELETE", path, "admin") == (204, None)
    assert await call(http, fake, "DELETE", path, "admin") == (404, None)


# -- faults, recording and unmodelled requests ---------------------------------------------------


async def test_a_queued_canned_response_wins_and_changes_nothing(
    http: Client, fake: FakeRedmineApi
) -> None:
    fake.queue(Canned(status=503, body=b""))
    assert (await log_time(http, fake))[0] == 503
    assert (await log_time(http, fake))[0] == 201
    assert len(fake.entries) == 1
    assert [(c.method, c.raw_path) for c in fake.calls] == [("POST", "/time_entries.json")] * 2


async def test_a_lost_answer_still_stores_the_entry(http: Client, fake: FakeRedmineApi) -> None:
    fake.lose_answers_to_next_posts(1)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await log_time(http, fake, comments="timer 42")
    assert [e.comments for e in fake.entries_for(5)] == ["timer 42"]
    assert (await log_time(http, fake))[0] == 201
    assert json.loads(fake.calls[0].body) == {
        "time_entry": {"issue_id": 1, "hours": 1, "spent_on": "2024-05-01", "comments": "timer 42"}
    }


@pytest.mark.parametrize(
    ("path", "accept", "content_type"),
    [
        ("/nothing.json", "*/*", "text/html"),
        ("/nothing.json", None, "application/json"),
        ("/nothing", None, "text/html"),
        ("/nothing", "application/json", "application/json"),
        ("/issues.json", "*/*", "text/html"),  # POST: not modelled, so no route
    ],
)
async def test_an_unknown_route_is_404_before_authentication(
    http: Client, path: str, accept: str | None, content_type: str
) -> None:
    headers = {"Accept": accept} if accept else {}
    method = "POST" if path == "/issues.json" else "GET"
    async with http.request(
        method, path, headers=headers, skip_auto_headers=["Accept"]
    ) as response:
        assert (response.status, response.content_type) == (404, content_type)
        if content_type == JSON:
            assert await response.json() == {"status": 404, "error": "Not Found"}


@pytest.mark.parametrize(
    ("method", "target"),
    [
        ("GET", "/time_entries.json?spent_on=t"),
        ("GET", "/time_entries.json?sort=id"),
        ("GET", "/issues.json?issue_id=%3E%3D1"),
        ("POST", "/time_entries.json?project_id=web-app"),
    ],
)
async def test_an_unmodelled_request_fails_loudly(
    http: Client, fake: FakeRedmineApi, method: str, target: str
) -> None:
    async with http.request(method, target, headers=key(fake, "alice"), json={}) as response:
        assert response.status == 501
        assert "not modelled" in await response.text()
    assert not fake.entries
