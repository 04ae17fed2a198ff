"""The analytics endpoints over a fixed week in the real Redmine, checked against sums by hand.

The week (analytics_week.PLAN) holds entries logged in Redmine directly (D*) and manual entries
made through the gateway (G*), which carry their start and end. Every number below is worked
out from that table; the arithmetic is in the comments.
"""

import datetime as dt
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any
from urllib.parse import urlencode

import pytest

from .analytics_week import Week, week_in_redmine
from .endpoints import Answer, Call, Endpoints, api_key
from .harness import Account, Harness
from .time_trackings import TimeTrackings, bearer, data_of

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("week")]

WEEK = {"start": "2018-06-04", "end": "2018-06-10", "project_slug": "web-app"}
ENDPOINTS = ("analytics", "team", "reports", "productivity", "timeline")
REPORT_TYPES = ("summary", "by_user", "by_task", "by_activity", "by_day", "by_week")
RATE = "12.345"
JSON_TYPE = "application/json; charset=utf-8"
CSV_TYPE = "text/csv; charset=utf-8"
ALICE = {"username": "alice", "name": "Alice Tester"}
BOB = {"username": "bob", "name": "Bob Tester"}


@pytest.fixture(scope="module")
def week(redmine: Harness, gateway_url: str) -> Iterator[Week]:
    with week_in_redmine(redmine, gateway_url) as made:
        yield made


@pytest.fixture
async def tracker(endpoints: Endpoints, redmine: Harness) -> str:
    """The tracker of issues 1..3, as Redmine itself names it."""
    names: set[str] = set()
    for issue in redmine.issues:
        answer = await endpoints.redmine.send(
            Call("GET", f"/issues/{issue.id}.json", api_key(redmine.admin.api_key))
        )
        assert answer.status == 200, answer.body
        names.add(answer.json()["issue"]["tracker"]["name"])
    assert len(names) == 1, f"the sums below expect one tracker for issues 1..3, not {names}"
    return names.pop()


@pytest.fixture
async def timers(endpoints: Endpoints) -> AsyncIterator[TimeTrackings]:
    api = TimeTrackings(endpoints.gateway)
    yield api
    await api.discard_all()


async def ask(
    endpoints: Endpoints,
    caller: Account,
    endpoint: str,
    query: Mapping[str, str],
    headers: Mapping[str, str] | None = None,
) -> Answer:
    target = f"/time-trackings/{endpoint}?{urlencode(query)}"
    return await endpoints.gateway.send(
        Call("GET", target, {**bearer(caller.api_key), **(headers or {})})
    )


async def data(
    endpoints: Endpoints, caller: Account, endpoint: str, query: Mapping[str, str]
) -> Any:
    answer = await ask(endpoints, caller, endpoint, query)
    assert (answer.status, answer.content_type) == (200, JSON_TYPE), answer.body
    return answer.json()["data"]


def moment(text: str | None) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(text)


async def test_analytics_sums_the_week(
    endpoints: Endpoints, redmine: Harness, tracker: str
) -> None:
    assert await data(endpoints, redmine.alice, "analytics", WEEK) == {
        # D1..D5: 1.5 + 0.75 + 2.25 + 1.0 + 0.5 = 6.0; G1..G5: 0.75 + 0.5 + 0.25 + 1.0 + 0.25 = 2.75
        "total_hours": 8.75,
        # Mon..Thu have time: 8.75 / 4 = 2.1875, half up to cents
        "average_daily_hours": 2.19,
        "top_contributors": [
            {**BOB, "hours": 4.5},  # D3 2.25 + D4 1.0 + G4 1.0 + G5 0.25
            {**ALICE, "hours": 4.25},  # D1 1.5 + D2 0.75 + D5 0.5 + G1 0.75 + G2 0.5 + G3 0.25
        ],
        "by_task_type": [
            {"name": tracker, "hours": 8.25},  # every entry but D5: 8.75 - 0.5
            {"name": "(no issue)", "hours": 0.5},  # D5
        ],
        "by_activity": [
            {"name": "Development", "hours": 5.25},  # D1 1.5 + D3 2.25 + G1 .75 + G2 .5 + G5 .25
            # A tie at 1.75, by name: D2 0.75 + G4 1.0, then D4 1.0 + D5 0.5 + G3 0.25.
            {"name": "Design", "hours": 1.75},
            {"name": "Testing", "hours": 1.75},
        ],
        "trend": [
            {"date": "2018-06-04", "hours": 3.75},  # D1 1.5 + D3 2.25
            {"date": "2018-06-05", "hours": 1.5},  # G1 0.75 + G2 0.5 + G3 0.25
            {"date": "2018-06-06", "hours": 3.0},  # D2 0.75 + D4 1.0 + G4 1.0 + G5 0.25
            {"date": "2018-06-07", "hours": 0.5},  # D5
            {"date": "2018-06-08", "hours": 0.0},
            {"date": "2018-06-09", "hours": 0.0},
            {"date": "2018-06-10", "hours": 0.0},
        ],
    }


async def test_team_has_one_row_per_person(endpoints: Endpoints, redmine: Harness) -> None:
    assert await data(endpoints, redmine.alice, "team", WEEK) == {
        "team_members": [
            # D3 (issue 2), D4 (3), G4 (3), G5 (2): 2.25 + 1.0 + 1.0 + 0.25; last on Wed
            {
                **BOB,
                "total_hours": 4.5,
                "tasks_tracked": 2,
                "entries": 4,
                "last_entry_on": "2018-06-06",
            },
            # D1 (1), D2 (2), D5 (none), G1 (1), G2 (1), G3 (3); D5 on Thu is the last
            {
                **ALICE,
                "total_hours": 4.25,
                "tasks_tracked": 3,
                "entries": 6,
                "last_entry_on": "2018-06-07",
            },
        ]
    }


def expected_reports(redmine: Harness, tracker: str) -> dict[str, Any]:
    """Per report type: (row, amount at RATE) pairs and the totals (hours, entries, amount).

    Amounts are hours x 12.345 rounded half up per row; the total amount is the rows' sum.
    """
    subject = {issue.id: issue.subject for issue in redmine.issues}
    return {
        "summary": (
            [({"label": "total", "hours": 8.75, "entries": 10}, 108.02)],  # 108.01875
            (8.75, 10, 108.02),
        ),
        "by_user": (
            [
                ({**BOB, "hours": 4.5, "entries": 4}, 55.55),  # 55.5525
                ({**ALICE, "hours": 4.25, "entries": 6}, 52.47),  # 52.46625
            ],
            (8.75, 10, 108.02),  # 55.55 + 52.47
        ),
        "by_task": (
            [
                # issue 2: D2 0.75 + D3 2.25 + G5 0.25 -> 40.12125
                (task_row(2, subject[2], tracker, 3.25, 3), 40.12),
                # issue 1: D1 1.5 + G1 0.75 + G2 0.5 -> 33.94875
                (task_row(1, subject[1], tracker, 2.75, 3), 33.95),
                # issue 3: D4 1.0 + G3 0.25 + G4 1.0 -> 27.77625
                (task_row(3, subject[3], tracker, 2.25, 3), 27.78),
                (task_row(None, "(no issue)", "(no issue)", 0.5, 1), 6.17),  # D5 -> 6.1725
            ],
            (8.75, 10, 108.02),  # 40.12 + 33.95 + 27.78 + 6.17
        ),
        "by_activity": (
            [
                ({"activity": "Development", "hours": 5.25, "entries": 5}, 64.81),  # 64.81125
                ({"activity": "Design", "hours": 1.75, "entries": 2}, 21.60),  # 21.60375
                ({"activity": "Testing", "hours": 1.75, "entries": 3}, 21.60),
            ],
            # 64.81 + 21.60 + 21.60: a cent less than 8.75 x 12.345, so the rows add up
            (8.75, 10, 108.01),
        ),
        "by_day": (
            [
                ({"date": "2018-06-04", "hours": 3.75, "entries": 2}, 46.29),  # 46.29375
                ({"date": "2018-06-05", "hours": 1.5, "entries": 3}, 18.52),  # 18.5175
                ({"date": "2018-06-06", "hours": 3.0, "entries": 4}, 37.04),  # 37.035 exactly
                ({"date": "2018-06-07", "hours": 0.5, "entries": 1}, 6.17),  # 6.1725
            ],
            (8.75, 10, 108.02),  # 46.29 + 18.52 + 37.04 + 6.17
        ),
        "by_week": (
            [({"week_start": "2018-06-04", "hours": 8.75, "entries": 10}, 108.02)],
            (8.75, 10, 108.02),
        ),
    }


def task_row(
    issue_id: int | None, subject: str, tracker: str, hours: float, entries: int
) -> dict[str, Any]:
    return {
        "issue_id": issue_id,
        "subject": subject,
        "tracker": tracker,
        "hours": hours,
        "entries": entries,
    }


@pytest.mark.parametrize("rate", [None, RATE], ids=["hours", "with-rate"])
@pytest.mark.parametrize("report_type", REPORT_TYPES)
async def test_reports_of_every_type(
    endpoints: Endpoints, redmine: Harness, tracker: str, report_type: str, rate: str | None
) -> None:
    query = {**WEEK, "report_type": report_type}
    if rate is not None:
        query["hourly_rate"] = rate
    got = await data(endpoints, redmine.alice, "reports", query)
    pairs, (hours, entries, amount) = expected_reports(redmine, tracker)[report_type]
    if rate is None:
        # No rate: no `amount` member at all, in rows or totals.
        rows = [row for row, _ in pairs]
        totals = {"hours": hours, "entries": entries}
    else:
        rows = [{**row, "amount": row_amount} for row, row_amount in pairs]
        totals = {"hours": hours, "entries": entries, "amount": amount}
    assert got == {"report_type": report_type, "rows": rows, "totals": totals}


def expected_csv(redmine: Harness, tracker: str) -> dict[str, str]:
    """The reports above at RATE as CSV: hours without trailing zeros, amounts with cents."""
    subject = {issue.id: issue.subject for issue in redmine.issues}
    return {
        "summary": "label,hours,entries,amount\r\ntotal,8.75,10,108.02\r\n",
        "by_user": (
            "username,name,hours,entries,amount\r\n"
            "bob,Bob Tester,4.5,4,55.55\r\n"
            "alice,Alice Tester,4.25,6,52.47\r\n"
        ),
        "by_task": (
            "issue_id,subject,tracker,hours,entries,amount\r\n"
            f"2,{subject[2]},{tracker},3.25,3,40.12\r\n"
            f"1,{subject[1]},{tracker},2.75,3,33.95\r\n"
            f"3,{subject[3]},{tracker},2.25,3,27.78\r\n"
            ",(no issue),(no issue),0.5,1,6.17\r\n"
        ),
        "by_activity": (
            "activity,hours,entries,amount\r\n"
            "Development,5.25,5,64.81\r\n"
            "Design,1.75,2,21.60\r\n"
            "Testing,1.75,3,21.60\r\n"
        ),
        "by_day": (
            "date,hours,entries,amount\r\n"
            "2018-06-04,3.75,2,46.29\r\n"
            "2018-06-05,1.5,3,18.52\r\n"
            "2018-06-06,3,4,37.04\r\n"
            "2018-06-07,0.5,1,6.17\r\n"
        ),
        "by_week": "week_start,hours,entries,amount\r\n2018-06-04,8.75,10,108.02\r\n",
    }


def assert_csv(answer: Answer, report_type: str, body: str) -> None:
    assert (answer.status, answer.content_type) == (200, CSV_TYPE), answer.body
    filename = f"time-report-{report_type}-2018-06-04-2018-06-10.csv"
    assert answer.headers["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert answer.body.decode() == body


@pytest.mark.parametrize("report_type", REPORT_TYPES)
async def test_reports_as_csv(
    endpoints: Endpoints, redmine: Harness, tracker: str, report_type: str
) -> None:
    query = {**WEEK, "report_type": report_type, "hourly_rate": RATE, "format": "csv"}
    answer = await ask(endpoints, redmine.alice, "reports", query)
    assert_csv(answer, report_type, expected_csv(redmine, tracker)[report_type])


async def test_accept_text_csv_asks_for_csv(endpoints: Endpoints, redmine: Harness) -> None:
    query = {**WEEK, "report_type": "by_user"}
    accept = {"Accept": "text/csv"}
    answer = await ask(endpoints, redmine.alice, "reports", query, accept)
    assert_csv(
        answer,
        "by_user",
        "username,name,hours,entries\r\nbob,Bob Tester,4.5,4\r\nalice,Alice Tester,4.25,6\r\n",
    )
    # An explicit format wins over Accept; endpoints other than reports answer JSON regardless.
    as_json = await ask(endpoints, redmine.alice, "reports", {**query, "format": "json"}, accept)
    assert (as_json.status, as_json.content_type) == (200, JSON_TYPE), as_json.body
    assert as_json.json()["data"]["totals"] == {"hours": 8.75, "entries": 10}
    summary = await ask(endpoints, redmine.alice, "analytics", WEEK, accept)
    assert (summary.status, summary.content_type) == (200, JSON_TYPE), summary.body


async def test_weeks_are_named_by_their_monday(endpoints: Endpoints, redmine: Harness) -> None:
    query = {**WEEK, "start": "2018-06-03", "end": "2018-06-11", "report_type": "by_week"}
    assert await data(endpoints, redmine.alice, "reports", query) == {
        "report_type": "by_week",
        "rows": [
            {"week_start": "2018-05-28", "hours": 3.0, "entries": 1},  # X2 on Sunday 06-03
            {"week_start": "2018-06-04", "hours": 8.75, "entries": 10},  # D1..D5, G1..G5
            {"week_start": "2018-06-11", "hours": 4.0, "entries": 1},  # X1 on Monday 06-11
        ],
        "totals": {"hours": 15.75, "entries": 12},  # 3.0 + 8.75 + 4.0
    }


async def test_productivity_times_only_the_gateways_entries(
    endpoints: Endpoints, redmine: Harness
) -> None:
    # Seconds: direct entries count hours x 3600 (D1 5400, D2 2700, D3 8100, D4 3600, D5 1800:
    # 21600); the gateway's count their measured span, not the rounded hours (G1 50 min 3000,
    # G2 1800, G3 1200, G4 3600, G5 600: 10200).
    assert await data(endpoints, redmine.alice, "productivity", WEEK) == {
        "total_seconds": 31800,  # 21600 + 10200
        "timed_seconds": 10200,
        # Focus (25 min or more on one issue, gaps up to 60 s joined): alice's G1 + G2 (30 s
        # apart, issue 1) = 4800; bob's G4 = 3600. G3 (1200) and G5 (600) are too short.
        "focus_seconds": 8400,
        # alice on Tue: issue 1, 1, 3 -> one switch; bob on Wed: issue 3, 2 -> one.
        "context_switches": 2,
        # 100 x 8400 / (10200 + 1800 x 2) = 60.87 -> 61
        "productivity_score": 61,
        # 31800 s over 4 days with time = 7950 s = 2.2083 h -> 2.21
        "avg_daily_hours": 2.21,
        # Mon 5400 + 8100 = 13500; Tue 6000; Wed 2700 + 3600 + 3600 + 600 = 10500; Thu 1800
        "most_productive_day": "2018-06-04",
        "tasks_completed": 0,  # no issue is closed
        "by_category": [
            {"name": "Development", "seconds": 18900},  # 5400 + 8100 + 3000 + 1800 + 600
            {"name": "Testing", "seconds": 6600},  # D4 3600 + D5 1800 + G3 1200
            {"name": "Design", "seconds": 6300},  # D2 2700 + G4 3600
        ],
    }


def brief(item: dict[str, Any]) -> tuple[Any, ...]:
    """A timeline item as (id, task_uuid, login, activity, hours, UTC span or None)."""
    started_at, ended_at = moment(item["started_at"]), moment(item["ended_at"])
    span = None
    if started_at is not None and ended_at is not None:
        start, end = started_at.astimezone(dt.UTC), ended_at.astimezone(dt.UTC)
        span = f"{start:%Y-%m-%d %H:%M:%S}-{end:%H:%M:%S}"
    else:
        assert started_at is ended_at is None, item
    return (
        item["id"],
        item["task_uuid"],
        item["user"]["username"],
        item["activity"],
        item["hours"],
        span,
    )


async def test_timeline_groups_the_week_by_day(
    endpoints: Endpoints, redmine: Harness, week: Week
) -> None:
    ids = week.tracking_id
    # Entries without a start come first in their day, by id: made in this order, so ascending.
    assert ids("D1") < ids("D3") and ids("D2") < ids("D4")
    got = await data(endpoints, redmine.alice, "timeline", WEEK)
    assert [day["date"] for day in got["days"]] == [
        "2018-06-04",
        "2018-06-05",
        "2018-06-06",
        "2018-06-07",
    ]
    assert [[brief(item) for item in day["entries"]] for day in got["days"]] == [
        [
            (ids("D1"), "1", "alice", "Development", 1.5, None),
            (ids("D3"), "2", "bob", "Development", 2.25, None),
        ],
        [
            (ids("G1"), "1", "alice", "Development", 0.75, "2018-06-05 09:00:00-09:50:00"),
            (ids("G2"), "1", "alice", "Development", 0.5, "2018-06-05 09:50:30-10:20:30"),
            (ids("G3"), "3", "alice", "Testing", 0.25, "2018-06-05 13:00:00-13:20:00"),
        ],
        [
            (ids("D2"), "2", "alice", "Design", 0.75, None),
            (ids("D4"), "3", "bob", "Testing", 1.0, None),
            (ids("G4"), "3", "bob", "Design", 1.0, "2018-06-06 14:00:00-15:00:00"),
            (ids("G5"), "2", "bob", "Development", 0.25, "2018-06-06 15:30:00-15:40:00"),
        ],
        [(ids("D5"), None, "alice", "Testing", 0.5, None)],
    ]
    by_id = {item["id"]: item for day in got["days"] for item in day["entries"]}
    assert by_id[ids("D5")] == {
        "id": ids("D5"),
        "task_uuid": None,
        "issue_id": None,
        "subject": None,
        "user": ALICE,
        "activity": "Testing",
        "hours": 0.5,
        "spent_on": "2018-06-07",
        "description": "e2e-analytics D5",
        "started_at": None,
        "ended_at": None,
        "is_running": False,
    }
    g4 = by_id[ids("G4")]
    assert (g4["issue_id"], g4["subject"], g4["user"]) == (3, redmine.issues[2].subject, BOB)
    assert (g4["spent_on"], g4["description"]) == ("2018-06-06", "e2e-analytics G4")
    assert not any(item["is_running"] for item in by_id.values())


async def test_running_timer_comes_last_in_todays_timeline(
    endpoints: Endpoints, redmine: Harness, timers: TimeTrackings
) -> None:
    alice, issue = redmine.alice, redmine.issues[0]
    today = {"period": "today", "project_slug": redmine.project_identifier}
    before = await data(endpoints, alice, "analytics", today)
    started = await timers.start(alice.api_key, {"task_uuid": str(issue.id)})
    assert started.status == 201, started.body
    timer = data_of(started)

    timeline = await data(endpoints, alice, "timeline", today)
    day = timeline["days"][-1]
    started_at = dt.datetime.fromisoformat(timer["started_at"])
    assert day["date"] == started_at.astimezone(dt.UTC).date().isoformat()  # the gateway's zone
    last = day["entries"][-1]
    assert (last["id"], last["is_running"], last["ended_at"]) == (timer["id"], True, None)
    assert moment(last["started_at"]) == started_at
    assert (last["issue_id"], last["subject"], last["user"]) == (issue.id, issue.subject, ALICE)
    # Sums count recorded time only: the running timer is not in Redmine yet.
    after = await data(endpoints, alice, "analytics", today)
    assert after["total_hours"] == before["total_hours"]
    # Nobody else sees it, and a range without today leaves it out.
    bobs = await data(endpoints, redmine.bob, "timeline", today)
    assert timer["id"] not in {item["id"] for d in bobs["days"] for item in d["entries"]}
    old = await data(endpoints, alice, "timeline", WEEK)
    assert timer["id"] not in {item["id"] for d in old["days"] for item in d["entries"]}

    deleted = await timers.delete(alice.api_key, timer["id"])
    assert deleted.status == 204, deleted.body
    gone = await data(endpoints, alice, "timeline", today)
    assert timer["id"] not in {item["id"] for d in gone["days"] for item in d["entries"]}


@pytest.mark.parametrize(
    ("caller", "users", "logins", "total"),
    [
        ("alice", "alice", ["alice"], 4.25),
        ("alice", "{bob}", ["bob"], 4.5),
        ("bob", "alice", ["alice"], 4.25),  # another's login: matched once entries name it
        ("bob", "me", ["bob"], 4.5),
        ("alice", "alice,{bob}", ["bob", "alice"], 8.75),
        ("alice", "nobody", [], 0.0),
    ],
)
async def test_users_filter(
    endpoints: Endpoints,
    redmine: Harness,
    caller: str,
    users: str,
    logins: list[str],
    total: float,
) -> None:
    account = redmine.alice if caller == "alice" else redmine.bob
    query = {**WEEK, "users": users.format(bob=redmine.bob.id)}
    team = await data(endpoints, account, "team", query)
    assert [row["username"] for row in team["team_members"]] == logins
    assert (await data(endpoints, account, "analytics", query))["total_hours"] == total


async def test_callers_see_what_redmine_shows_them(endpoints: Endpoints, redmine: Harness) -> None:
    # bob is no member of ops: Redmine refuses him its entries, and so does the gateway.
    direct = await endpoints.redmine.send(
        Call("GET", "/time_entries.json?project_id=ops", api_key(redmine.bob.api_key))
    )
    assert direct.status == 403, direct.body
    for endpoint in ENDPOINTS:
        refused = await ask(endpoints, redmine.bob, endpoint, {**WEEK, "project_slug": "ops"})
        assert refused.status == 403, (endpoint, refused.body)
        assert refused.json()["error_code"] == "FORBIDDEN", refused.body

    # Across every project each can see: alice sees web-app only; the admin sees OPS too.
    every_project = {"start": WEEK["start"], "end": WEEK["end"]}
    mine = await data(endpoints, redmine.alice, "analytics", every_project)
    assert mine["total_hours"] == 8.75
    admins = await data(endpoints, redmine.admin, "analytics", every_project)
    assert admins["total_hours"] == 10.75  # 8.75 + OPS 2.0
    assert admins["top_contributors"][-1] == {
        "username": "admin",
        "name": "Redmine Admin",
        "hours": 2.0,
    }
    ops = await data(endpoints, redmine.admin, "team", {**every_project, "project_slug": "ops"})
    assert ops == {
        "team_members": [
            {
                "username": "admin",
                "name": "Redmine Admin",
                "total_hours": 2.0,
                "tasks_tracked": 0,  # logged on the project, not an issue
                "entries": 1,
                "last_entry_on": "2018-06-05",
            }
        ]
    }


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"period": "fortnight"}, None),
        (
            {"start": "2018-06-10", "end": "2018-06-04"},
            {"end": ["The end must be a date after or equal to start."]},
        ),
        # 2018-01-01 .. 2019-01-02 counts 365 + 2 = 367 days, one more than allowed
        (
            {"start": "2018-01-01", "end": "2019-01-02"},
            {"end": ["The range may span at most 366 days."]},
        ),
    ],
    ids=["bad-period", "end-before-start", "367-days"],
)
async def test_bad_ranges_are_422(
    endpoints: Endpoints,
    redmine: Harness,
    endpoint: str,
    query: dict[str, str],
    errors: dict[str, list[str]] | None,
) -> None:
    answer = await ask(endpoints, redmine.alice, endpoint, query)
    assert (answer.status, answer.content_type) == (422, JSON_TYPE), answer.body
    body = answer.json()
    assert body["error_code"] == "VALIDATION_FAILED", body
    if errors is None:
        assert list(body["errors"]) == ["period"], body
        assert "today" in body["errors"]["period"][0], body
    else:
        assert body["errors"] == errors, body


async def test_366_days_pass(endpoints: Endpoints, redmine: Harness) -> None:
    # 2018-01-01 .. 2019-01-01: 365 days of 2018 and one of 2019.
    query = {"start": "2018-01-01", "end": "2019-01-01", "project_slug": "web-app"}
    trend = (await data(endpoints, redmine.alice, "analytics", query))["trend"]
    assert len(trend) == 366
    assert (trend[0]["date"], trend[-1]["date"]) == ("2018-01-01", "2019-01-01")
    by_day = {point["date"]: point["hours"] for point in trend}
    # X2, Monday's D1 + D3, X1: only this suite logs time on those days.
    assert (by_day["2018-06-03"], by_day["2018-06-04"], by_day["2018-06-11"]) == (3.0, 3.75, 4.0)
