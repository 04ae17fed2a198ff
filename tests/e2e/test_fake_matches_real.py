"""The stateful fake Redmine answers like the real Redmine 5.0.4 that the e2e suite starts."""

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import aiohttp
import pytest

from tests.fakes.redmine_api import FakeRedmineApi
from tests.test_fake_redmine_api import JSON, UUID_2

from .harness import Harness


@dataclass(frozen=True)
class Probe:
    method: str
    path: str
    login: str | None = "alice"
    body: bytes | None = None
    accept: str = "application/json"  # what the gateway's RedmineClient sends


_MASKED = {"created_on", "updated_on", "last_login_on", "passwd_changed_on"}
_MASKED |= {"spent_hours", "total_spent_hours"}  # other suites log time on the real one


def _masked(value: Any) -> Any:
    """The body with the values that differ between two databases replaced by a marker."""
    if isinstance(value, Mapping):
        return {k: "<masked>" if k in _MASKED else _masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(item) for item in value]
    return value


def _entry_body(**attributes: object) -> bytes:
    entry = {"issue_id": 1, "spent_on": "2001-01-01", **attributes}
    return json.dumps({"time_entry": entry}).encode()


PROBES = [
    Probe("GET", "/users/current.json"),
    Probe("GET", "/users/current.json", login=None),
    Probe("GET", "/users/6.json"),
    Probe("GET", "/projects/ops.json"),
    Probe("GET", "/projects/999.json"),
    Probe("GET", "/projects.json"),
    Probe("GET", "/projects.json?limit=1&offset=0", login="bob"),
    Probe("GET", f"/issues.json?cf_1={UUID_2}&status_id=*&limit=2"),
    Probe("GET", "/issues.json?issue_id=abc&cf_1="),
    Probe("GET", "/issues/1.json", login="bob"),
    Probe("GET", "/enumerations/time_entry_activities.json"),
    Probe("GET", "/time_entries.json?project_id=ops"),
    Probe("GET", "/time_entries/99999999.json"),
    Probe("GET", "/nothing.json"),
    Probe("GET", "/nothing.json", accept="*/*"),
    Probe("POST", "/time_entries.json", body=_entry_body(hours=0)),
    Probe("POST", "/time_entries.json", body=_entry_body(hours="abc", activity_id=11)),
    Probe("POST", "/time_entries.json", body=_entry_body(issue_id=999, hours=1, spent_on="x")),
    Probe("POST", "/time_entries.json", body=_entry_body(hours=1, user_id=6, comments="x" * 1025)),
    Probe("POST", "/time_entries.json", body=_entry_body(hours=1, project_id=2, issue_id=None)),
    Probe("POST", "/time_entries.json", body=b"{bad"),
    Probe("POST", "/time_entries.json", body=b"{bad", accept="*/*"),
]


class Endpoint:
    def __init__(self, session: aiohttp.ClientSession, base: str, keys: Mapping[str, str]) -> None:
        self.session, self.base, self.keys = session, base, keys

    async def answer(self, probe: Probe) -> tuple[int, str, Any]:
        headers = {"Content-Type": "application/json", "Accept": probe.accept}
        if probe.login is not None:
            headers["X-Redmine-API-Key"] = self.keys[probe.login]
        url = self.base + probe.path
        async with self.session.request(
            probe.method, url, data=probe.body, headers=headers
        ) as response:
            text = await response.text()
            parsed = json.loads(text) if response.content_type == JSON and text else None
            return response.status, response.content_type, parsed


def _comparable(answer: tuple[int, str, Any], masked: str = "") -> tuple[int, str, Any]:
    status, content_type, body = answer
    if masked and body:
        body = {name: {**value, masked: None} for name, value in body.items()}
    return status, content_type, _masked(body)


@pytest.mark.e2e
async def test_the_fake_answers_like_the_real_redmine(
    redmine_api: FakeRedmineApi, redmine: Harness
) -> None:
    fake = redmine_api  # the shared fixture from tests/conftest.py, served on a local port
    fake.state.time_entry_fields.update(
        {field_id: name for name, field_id in redmine.time_entry_fields.items()}
    )
    keys = {login: fake.api_key_of(login) for login in ("admin", "alice", "bob")}
    assert keys["alice"] == redmine.alice.api_key
    created: list[str] = []
    async with aiohttp.ClientSession() as session:
        real = Endpoint(session, redmine.base_url, keys)
        mine = Endpoint(session, fake.url.rstrip("/"), keys)
        try:
            for probe in PROBES:
                expected = await real.answer(probe)
                if expected[0] == 201:  # should not happen; never leave it behind
                    created.append(f"/time_entries/{expected[2]['time_entry']['id']}.json")
                assert _comparable(await mine.answer(probe)) == _comparable(expected), probe
            post = Probe("POST", "/time_entries.json", body=_entry_body(hours=1.005, comments="é"))
            expected = await real.answer(post)
            created.append(f"/time_entries/{expected[2]['time_entry']['id']}.json")
            answer = await mine.answer(post)
            assert _comparable(answer, masked="id") == _comparable(expected, masked="id")
            own = f"/time_entries/{answer[2]['time_entry']['id']}.json"
            for method in ("PUT", "DELETE", "GET"):
                probe = Probe(method, created[-1], body=_entry_body(hours="1:30"))
                expected = await real.answer(probe)
                assert await mine.answer(replace(probe, path=own)) == expected
            # Time on a project without an issue, with the boolean "Billable" field: a value is
            # kept as sent, unvalidated (true as "true"), null as "".
            billable = redmine.time_entry_fields["Billable"]
            for value in ("1", "0", True, None):
                fields = [{"id": billable, "value": value}]
                entry = _entry_body(hours=1, project_id=1, issue_id=None, custom_fields=fields)
                probe = Probe("POST", "/time_entries.json", body=entry)
                expected = await real.answer(probe)
                created.append(f"/time_entries/{expected[2]['time_entry']['id']}.json")
                got = await mine.answer(probe)
                assert _comparable(got, masked="id") == _comparable(expected, masked="id"), value
        finally:
            for path in created:
                await real.answer(Probe("DELETE", path, login="admin"))
