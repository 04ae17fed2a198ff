"""A fixed week of time entries for the analytics tests, made in Redmine and through the gateway.

Mon 2018-06-04 .. Sun 2018-06-10, in project web-app, plus three entries the usual query leaves
out. No other test logs time in June 2018, so these are the only entries those days hold.

| label | who   | issue | day              | activity    | hours | made                          |
|-------|-------|-------|------------------|-------------|-------|-------------------------------|
| D1    | alice | 1     | Mon 06-04        | Development | 1.5   | Redmine                       |
| D2    | alice | 2     | Wed 06-06        | Design      | 0.75  | Redmine                       |
| D3    | bob   | 2     | Mon 06-04        | Development | 2.25  | Redmine                       |
| D4    | bob   | 3     | Wed 06-06        | Testing     | 1.0   | Redmine                       |
| D5    | alice | none  | Thu 06-07        | Testing     | 0.5   | Redmine (project-level entry) |
| G1    | alice | 1     | Tue 09:00-09:50  | Development | 0.75  | gateway (50 min, nearest 15)  |
| G2    | alice | 1     | Tue 09:50:30-10:20:30 | Development | 0.5 | gateway (30 min)          |
| G3    | alice | 3     | Tue 13:00-13:20  | Testing     | 0.25  | gateway (20 min)              |
| G4    | bob   | 3     | Wed 14:00-15:00  | Design      | 1.0   | gateway (60 min)              |
| G5    | bob   | 2     | Wed 15:30-15:40  | Development | 0.25  | gateway (10 min, raised)      |
| X1    | alice | 1     | Mon 06-11        | Development | 4.0   | Redmine (the week after)      |
| X2    | bob   | 2     | Sun 06-03        | Design      | 3.0   | Redmine (the week before)     |
| OPS   | admin | none  | Tue 06-05        | Development | 2.0   | Redmine, project ops          |
"""

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest

from .harness import Account, Harness

# Every entry made here carries this in its comments, so a crashed run's leftovers are known.
MARK = "e2e-analytics"
# The days the entries below use, the week before and after included.
FIRST_DAY, LAST_DAY = "2018-06-03", "2018-06-11"
DESIGN, DEVELOPMENT, TESTING = 8, 9, 10
CREATED, DELETED, GONE = 201, 204, 404
TIMEOUT_S = 30


@dataclass(frozen=True)
class Planned:
    label: str
    who: str  # "alice", "bob" or "admin"
    issue_id: int | None  # None: logged on the project itself
    activity_id: int
    day: str
    hours: float | None = None  # logged in Redmine directly
    span: tuple[str, str] | None = None  # "HH:MM:SS" start and end (UTC), made by the gateway
    project: str = "web-app"


PLAN = (
    Planned("D1", "alice", 1, DEVELOPMENT, "2018-06-04", hours=1.5),
    Planned("D2", "alice", 2, DESIGN, "2018-06-06", hours=0.75),
    Planned("D3", "bob", 2, DEVELOPMENT, "2018-06-04", hours=2.25),
    Planned("D4", "bob", 3, TESTING, "2018-06-06", hours=1.0),
    Planned("D5", "alice", None, TESTING, "2018-06-07", hours=0.5),
    Planned("G1", "alice", 1, DEVELOPMENT, "2018-06-05", span=("09:00:00", "09:50:00")),
    Planned("G2", "alice", 1, DEVELOPMENT, "2018-06-05", span=("09:50:30", "10:20:30")),
    Planned("G3", "alice", 3, TESTING, "2018-06-05", span=("13:00:00", "13:20:00")),
    Planned("G4", "bob", 3, DESIGN, "2018-06-06", span=("14:00:00", "15:00:00")),
    Planned("G5", "bob", 2, DEVELOPMENT, "2018-06-06", span=("15:30:00", "15:40:00")),
    Planned("X1", "alice", 1, DEVELOPMENT, "2018-06-11", hours=4.0),
    Planned("X2", "bob", 2, DESIGN, "2018-06-03", hours=3.0),
    Planned("OPS", "admin", None, DEVELOPMENT, "2018-06-05", hours=2.0, project="ops"),
)


@dataclass(frozen=True)
class Made:
    plan: Planned
    entry_id: int  # the Redmine time entry
    timer_id: int | None  # the gateway's id, for the entries made through it


@dataclass(frozen=True)
class Week:
    made: dict[str, Made]

    def entry_id(self, label: str) -> int:
        return self.made[label].entry_id

    def tracking_id(self, label: str) -> int:
        """The id /time-trackings shows: the timer's for entries made through the gateway."""
        made = self.made[label]
        return made.timer_id if made.timer_id is not None else made.entry_id


@contextmanager
def week_in_redmine(redmine: Harness, gateway_url: str) -> Iterator[Week]:
    """Makes every planned entry, and deletes them all again on exit."""
    _remove_leftovers(redmine)
    made: dict[str, Made] = {}
    try:
        for plan in PLAN:
            made[plan.label] = _make(plan, redmine, gateway_url)
        yield Week(made)
    finally:
        for item in reversed(made.values()):
            _remove(item, redmine, gateway_url)


def account(redmine: Harness, who: str) -> Account:
    return {"alice": redmine.alice, "bob": redmine.bob, "admin": redmine.admin}[who]


def _make(plan: Planned, redmine: Harness, gateway_url: str) -> Made:
    key = account(redmine, plan.who).api_key
    comments = f"{MARK} {plan.label}"
    if plan.span is None:
        fields: dict[str, Any] = {
            "hours": plan.hours,
            "spent_on": plan.day,
            "activity_id": plan.activity_id,
            "comments": comments,
        }
        if plan.issue_id is None:
            path = f"/projects/{plan.project}/time_entries.json"
        else:
            path, fields["issue_id"] = "/time_entries.json", plan.issue_id
        status, body = _send("POST", redmine.base_url + path, key, {"time_entry": fields})
        assert status == CREATED, f"{plan.label}: {status} {body}"
        return Made(plan, int(body["time_entry"]["id"]), None)
    start, end = plan.span
    payload = {
        "task_uuid": str(plan.issue_id),
        "project_slug": plan.project,
        "activity_id": plan.activity_id,
        "description": comments,
        "started_at": f"{plan.day}T{start}Z",
        "ended_at": f"{plan.day}T{end}Z",
    }
    status, body = _send("POST", f"{gateway_url}/time-trackings", key, payload)
    assert status == CREATED, f"{plan.label}: {status} {body}"
    item = body["data"]
    assert item["status"] == "recorded", f"{plan.label}: {item}"
    return Made(plan, int(item["redmine_time_entry_id"]), int(item["id"]))


def _remove(item: Made, redmine: Harness, gateway_url: str) -> None:
    if item.timer_id is not None:
        key = account(redmine, item.plan.who).api_key
        status, _ = _send("DELETE", f"{gateway_url}/time-trackings/{item.timer_id}", key)
        if status == DELETED:
            return  # its Redmine entry went with it
    _delete_entry(redmine, item.entry_id)


def _remove_leftovers(redmine: Harness) -> None:
    """Deletes what a crashed run left; any other entry on these days would falsify the sums."""
    query = urlencode({"from": FIRST_DAY, "to": LAST_DAY, "limit": 100})
    status, body = _send(
        "GET", f"{redmine.base_url}/time_entries.json?{query}", redmine.admin.api_key
    )
    assert status == 200, body
    foreign = []
    for entry in body["time_entries"]:
        if (entry.get("comments") or "").startswith(MARK):
            _delete_entry(redmine, int(entry["id"]))
        else:
            foreign.append(entry)
    if foreign:
        pytest.fail(f"{FIRST_DAY}..{LAST_DAY} must hold only this suite's entries: {foreign}")


def _delete_entry(redmine: Harness, entry_id: int) -> None:
    url = f"{redmine.base_url}/time_entries/{entry_id}.json"
    status, body = _send("DELETE", url, redmine.admin.api_key)
    assert status in (DELETED, GONE), f"DELETE entry {entry_id}: {status} {body}"


def _send(method: str, url: str, key: str, payload: Any = None) -> tuple[int, Any]:
    """One blocking call (setup and teardown only): the status and the JSON body, if any."""
    headers = {"X-Redmine-API-Key": key}
    data = None
    if payload is not None:
        headers["Content-Type"] = "application/json"
        data = json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
        exc.close()
    try:
        return status, json.loads(raw) if raw.strip() else None
    except ValueError:
        return status, raw.decode(errors="replace")
