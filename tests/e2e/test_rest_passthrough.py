"""Redmine's REST API through the gateway answers exactly as Redmine does directly."""

import base64
import os
from collections.abc import Callable
from urllib.parse import quote

import pytest

from tests.gateway_process import GatewayProcess

from .answers import PER_RECORD_FIELDS, assert_same_answer
from .cleanup import Cleanup
from .endpoints import Answer, Call, Endpoint, Endpoints, api_key, json_call, xml_call
from .harness import Harness

pytestmark = pytest.mark.e2e

# A fixed day keeps the gateway's and the direct entry identical even across midnight.
SPENT_ON = "2024-02-29"
# Above the proxy's 256 KiB buffering limit, so both directions take the streaming path.
UPLOAD_SIZE_BYTES = 600 * 1024


def time_entry_call(fmt: str, method: str, path: str, key: str, fields: dict[str, object]) -> Call:
    target = f"{path}.{fmt}"
    if fmt == "json":
        return json_call(method, target, key, {"time_entry": fields})
    elements = "".join(f"<{name}>{value}</{name}>" for name, value in fields.items())
    return xml_call(method, target, key, f"<time_entry>{elements}</time_entry>")


def record_field(answer: Answer, name: str) -> str:
    """A field of the one record a JSON or XML body holds, as text."""
    if answer.content_type and "xml" in answer.content_type:
        value = answer.xml().findtext(name)
        assert value is not None, answer.body
        return value
    (record,) = answer.json().values()
    return str(record[name])


def created_time_entry(answer: Answer, cleanup: Cleanup) -> int:
    """The id of the entry `answer` created, queued for deletion before anything else can fail."""
    assert answer.status == 201, answer.body
    entry_id = int(record_field(answer, "id"))
    cleanup.delete_later(f"/time_entries/{entry_id}.json")
    return entry_id


def new_entry_fields(redmine: Harness, **overrides: object) -> dict[str, object]:
    return {
        "issue_id": redmine.issues[0].id,
        "hours": 1.5,
        "comments": "e2e pass-through",
        "spent_on": SPENT_ON,
        **overrides,
    }


async def time_entry_lifecycle(
    endpoint: Endpoint, fmt: str, redmine: Harness, cleanup: Cleanup
) -> list[Answer]:
    """Create, read, update, read, delete, read: every answer, in order."""
    key = redmine.alice.api_key
    created = await endpoint.send(
        time_entry_call(fmt, "POST", "/time_entries", key, new_entry_fields(redmine))
    )
    path = f"/time_entries/{created_time_entry(created, cleanup)}"
    read = Call("GET", f"{path}.{fmt}", api_key(key))
    update = time_entry_call(fmt, "PUT", path, key, {"hours": 2.25, "comments": "e2e updated"})
    answers = [created]
    for call in (read, update, read, Call("DELETE", f"{path}.{fmt}", api_key(key)), read):
        answers.append(await endpoint.send(call))
    return answers


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_time_entry_crud_matches_redmine(
    endpoints: Endpoints, redmine: Harness, cleanup: Cleanup, gateway_url: str, fmt: str
) -> None:
    via_gateway = await time_entry_lifecycle(endpoints.gateway, fmt, redmine, cleanup)
    direct = await time_entry_lifecycle(endpoints.redmine, fmt, redmine, cleanup)

    assert [answer.status for answer in via_gateway] == [201, 200, 204, 200, 204, 404]
    for gateway_answer, redmine_answer in zip(via_gateway, direct, strict=True):
        assert_same_answer(gateway_answer, redmine_answer, ignored=PER_RECORD_FIELDS)
    created, _, updated, reread, deleted, _ = via_gateway
    assert record_field(reread, "hours") == "2.25"
    assert record_field(reread, "comments") == "e2e updated"
    assert updated.body == deleted.body == b""
    # Redmine builds Location from the Host header, which the gateway keeps: clients stay on it.
    entry_id = record_field(created, "id")
    assert created.headers["Location"] == f"{gateway_url}/time_entries/{entry_id}"


async def issue_ids(endpoints: Endpoints, key: str, query: str) -> list[int]:
    """Ids the issue filter `query` finds, after checking the gateway's answer is Redmine's."""
    call = Call("GET", f"/issues.json?{query}&limit=100", api_key(key))
    via_gateway, direct = await endpoints.send_both(call)
    assert via_gateway.status == 200, via_gateway.body
    assert_same_answer(via_gateway, direct)
    return [issue["id"] for issue in via_gateway.json()["issues"]]


@pytest.mark.parametrize("separator", ["|", "%7C"])
async def test_issue_date_filter_with_encoded_operator(
    endpoints: Endpoints, redmine: Harness, separator: str
) -> None:
    key = redmine.admin.api_key
    # %3E%3C is "><" (between): a mangled operator would make Redmine drop or reject the filter.
    every_year = f"created_on=%3E%3C2000-01-01{separator}2099-12-31&status_id=*"
    one_past_year = f"created_on=%3E%3C2000-01-01{separator}2000-12-31&status_id=*"

    assert {issue.id for issue in redmine.issues} <= set(
        await issue_ids(endpoints, key, every_year)
    )
    assert await issue_ids(endpoints, key, one_past_year) == []


async def test_issue_custom_field_filter(endpoints: Endpoints, redmine: Harness) -> None:
    for issue in redmine.issues:
        query = f"{redmine.task_uuid_param}={issue.task_uuid}&status_id=*"
        assert await issue_ids(endpoints, redmine.alice.api_key, query) == [issue.id]


@pytest.fixture
async def three_entries(endpoints: Endpoints, redmine: Harness, cleanup: Cleanup) -> None:
    """Enough entries on the first issue for a page in the middle, whatever else exists."""
    for _ in range(3):
        call = time_entry_call(
            "json", "POST", "/time_entries", redmine.alice.api_key, new_entry_fields(redmine)
        )
        created_time_entry(await endpoints.redmine.send(call), cleanup)


@pytest.mark.usefixtures("three_entries")
@pytest.mark.parametrize(
    ("query", "headers", "has_meta"),
    [
        ("offset=1&limit=2", {}, True),
        ("offset=1&limit=2&nometa=1", {}, False),
        ("offset=1&limit=2", {"X-Redmine-Nometa": "1"}, False),
    ],
    ids=["meta", "nometa-param", "nometa-header"],
)
async def test_time_entry_pagination(
    endpoints: Endpoints,
    redmine: Harness,
    query: str,
    headers: dict[str, str],
    has_meta: bool,
) -> None:
    key = redmine.alice.api_key
    # Narrowed to the day the fixture logs on, so entries other suites add cannot shift the page.
    target = f"/time_entries.json?issue_id={redmine.issues[0].id}&spent_on={SPENT_ON}"
    first_three = await endpoints.redmine.send(Call("GET", f"{target}&limit=3", api_key(key)))
    page = Call("GET", f"{target}&{query}", api_key(key)).with_headers(headers)

    via_gateway, direct = await endpoints.send_both(page)

    assert_same_answer(via_gateway, direct)
    body = via_gateway.json()
    assert [e["id"] for e in body["time_entries"]] == [
        e["id"] for e in first_three.json()["time_entries"][1:3]
    ]
    if has_meta:
        assert (body["offset"], body["limit"]) == (1, 2)
        assert body["total_count"] >= 3
    else:
        assert set(body) == {"time_entries"}


@pytest.mark.parametrize(
    "call",
    [
        Call("GET", "/time_entries.json"),
        Call("GET", "/time_entries.xml"),
        Call("GET", "/issues.json", api_key("0" * 40)),
        Call("POST", "/time_entries.json", {"Content-Type": "application/json"}, b"{}"),
    ],
    ids=["json", "xml", "wrong-key", "post"],
)
async def test_unauthenticated_gets_empty_401(endpoints: Endpoints, call: Call) -> None:
    via_gateway, direct = await endpoints.send_both(call)

    assert (via_gateway.status, via_gateway.body) == (401, b"")
    assert_same_answer(via_gateway, direct)
    assert via_gateway.headers["WWW-Authenticate"] == direct.headers["WWW-Authenticate"]


Overrides = Callable[[Harness], dict[str, object]]


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        (lambda _: {"hours": 0}, ["Hours is invalid"]),
        (lambda _: {"hours": ""}, ["Hours cannot be blank"]),
        (lambda _: {"hours": "abc"}, ["Hours is invalid", "Hours is invalid"]),
        (
            lambda redmine: {"activity_id": redmine.inactive_activity_id},
            ["Activity is not included in the list"],
        ),
        (
            lambda _: {"spent_on": "2024-13-45"},
            ["Date cannot be blank", "Date is not a valid date"],
        ),
    ],
    ids=["zero-hours", "blank-hours", "text-hours", "inactive-activity", "bad-date"],
)
async def test_invalid_time_entry_gets_redmines_422(
    endpoints: Endpoints, redmine: Harness, fmt: str, overrides: Overrides, errors: list[str]
) -> None:
    fields = new_entry_fields(redmine, **overrides(redmine))
    call = time_entry_call(fmt, "POST", "/time_entries", redmine.alice.api_key, fields)

    via_gateway, direct = await endpoints.send_both(call)

    assert via_gateway.status == 422
    assert_same_answer(via_gateway, direct)  # byte for byte: no gateway error shape here
    if fmt == "json":
        assert via_gateway.json() == {"errors": errors}
    else:
        assert [error.text for error in via_gateway.xml().iter("error")] == errors


async def test_key_query_parameter_authenticates_and_stays_out_of_logs(
    endpoints: Endpoints, redmine: Harness, gateway: GatewayProcess
) -> None:
    call = Call("GET", f"/users/current.json?key={redmine.alice.api_key}")

    via_gateway, direct = await endpoints.send_both(call)

    assert via_gateway.status == 200
    assert via_gateway.json()["user"]["login"] == redmine.alice.login
    assert_same_answer(via_gateway, direct)
    log = await gateway.wait_for_log("/users/current.json?key=[REDACTED]")
    assert redmine.alice.api_key not in log


async def test_basic_auth(endpoints: Endpoints, redmine: Harness) -> None:
    credentials = f"{redmine.alice.login}:{redmine.alice.password}".encode()
    authorization = f"Basic {base64.b64encode(credentials).decode()}"
    call = Call("GET", "/users/current.json", {"Authorization": authorization})

    via_gateway, direct = await endpoints.send_both(call)

    assert via_gateway.status == 200
    assert via_gateway.json()["user"]["id"] == redmine.alice.id
    # Every password login stamps last_login_on, so the two answers may be a second apart.
    assert_same_answer(via_gateway, direct, ignored=frozenset({"last_login_on"}))


async def test_switch_user_logs_time_as_alice(
    endpoints: Endpoints, redmine: Harness, cleanup: Cleanup
) -> None:
    as_admin = time_entry_call(
        "json", "POST", "/time_entries", redmine.admin.api_key, new_entry_fields(redmine)
    )
    switched = as_admin.with_headers({"X-Redmine-Switch-User": redmine.alice.login})

    via_gateway, direct = await endpoints.send_both(switched)

    for answer in (via_gateway, direct):
        created_time_entry(answer, cleanup)
    assert via_gateway.json()["time_entry"]["user"]["id"] == redmine.alice.id
    assert_same_answer(via_gateway, direct, ignored=PER_RECORD_FIELDS)


async def test_switch_to_unknown_user_gets_412(endpoints: Endpoints, redmine: Harness) -> None:
    call = Call("GET", "/time_entries.json", api_key(redmine.admin.api_key)).with_headers(
        {"X-Redmine-Switch-User": "no-such-login-e2e"}
    )

    via_gateway, direct = await endpoints.send_both(call)

    assert via_gateway.status == 412
    assert_same_answer(via_gateway, direct)


@pytest.fixture
async def scratch_issue(endpoints: Endpoints, redmine: Harness, cleanup: Cleanup) -> int:
    """A new issue (deleted afterwards with its attachments), so seeded issues gain no journal."""
    fields = {"project_id": redmine.project_id, "subject": "e2e attachment holder"}
    call = json_call("POST", "/issues.json", redmine.admin.api_key, {"issue": fields})
    created = await endpoints.redmine.send(call)
    assert created.status == 201, created.body
    issue_id = int(created.json()["issue"]["id"])
    cleanup.delete_later(f"/issues/{issue_id}.json")
    return issue_id


async def upload(endpoint: Endpoint, key: str, filename: str, content: bytes) -> str:
    headers = {**api_key(key), "Content-Type": "application/octet-stream"}
    answer = await endpoint.send(
        Call("POST", f"/uploads.json?filename={filename}", headers, content)
    )
    assert answer.status == 201, answer.body
    token: str = answer.json()["upload"]["token"]
    return token


async def test_attachment_upload_attach_download(
    endpoints: Endpoints, redmine: Harness, scratch_issue: int
) -> None:
    key = redmine.admin.api_key
    filename = "e2e-payload.bin"
    content = os.urandom(UPLOAD_SIZE_BYTES)

    token = await upload(endpoints.gateway, key, filename, content)
    uploads = [{"token": token, "filename": filename, "content_type": "application/octet-stream"}]
    attach = json_call("PUT", f"/issues/{scratch_issue}.json", key, {"issue": {"uploads": uploads}})
    assert (await endpoints.gateway.send(attach)).status == 204
    issue = await endpoints.gateway.send(
        Call("GET", f"/issues/{scratch_issue}.json?include=attachments", api_key(key))
    )
    (attachment,) = issue.json()["issue"]["attachments"]
    assert (attachment["filename"], attachment["filesize"]) == (filename, len(content))

    download = Call("GET", f"/attachments/download/{attachment['id']}/{filename}", api_key(key))
    via_gateway, direct = await endpoints.send_both(download)

    assert via_gateway.status == 200
    assert via_gateway.body == content
    assert_same_answer(via_gateway, direct)
    assert via_gateway.headers["Content-Disposition"] == direct.headers["Content-Disposition"]


def as_seen_through(url: str, redmine: Harness, gateway_url: str) -> str:
    """`url` with Redmine's origin replaced by the gateway's, plain and percent-encoded."""
    return url.replace(redmine.base_url, gateway_url).replace(
        quote(redmine.base_url, safe=""), quote(gateway_url, safe="")
    )


async def test_login_redirect_is_passed_on_not_followed(
    endpoints: Endpoints, redmine: Harness, gateway_url: str
) -> None:
    call = Call("GET", f"/projects/{redmine.project_identifier}/issues/new")

    via_gateway, direct = await endpoints.send_both(call)

    assert via_gateway.status == direct.status
    assert via_gateway.status in (301, 302, 303, 307, 308)
    location = via_gateway.headers["Location"]
    assert location.startswith(f"{gateway_url}/login")
    assert location == as_seen_through(direct.headers["Location"], redmine, gateway_url)
    assert redmine.base_url not in location
