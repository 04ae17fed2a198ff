"""The timeline: days, order within a day, the midnight edge and the running timer."""

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given

from gateway.analytics.records import Entry
from gateway.analytics.timeline import timeline
from tests.analytics.dataset import (
    BERLIN_ZONE,
    BOB,
    DEV,
    IN_RANGE,
    RANGE,
    RUNNING,
    entry,
    utc,
)
from tests.analytics.strategies import entries_in

BERLIN = ZoneInfo(BERLIN_ZONE)
# Bob's timer on 03-10 starts after alice's running one, yet the running one stays last.
LATER = entry(18, BOB, 101, DEV, "0.5", 10, (utc(10, 10), utc(10, 10, 30)))


def test_days_and_order() -> None:
    got = timeline([RUNNING, *reversed(IN_RANGE), LATER], BERLIN)
    assert [(d.date.isoformat(), [e.id for e in d.entries]) for d in got.days] == [
        # Direct entries (3, 4) first by id, then timers by start: 1 at 08:00, 2 at 10:00.
        ("2026-03-02", [3, 4, 1, 2]),
        ("2026-03-03", [7, 8, 5, 6]),
        # Entry 9 started 03-03 23:30 UTC, 00:30 on 03-04 in Berlin.
        ("2026-03-04", [10, 9, 11]),
        ("2026-03-09", [12, 13, 14]),
        # Alice's running timer (09:00) after bob's finished one (10:00).
        ("2026-03-10", [18, 17]),
    ]


def test_in_utc_the_midnight_entry_falls_on_the_day_before() -> None:
    got = timeline(IN_RANGE, ZoneInfo("UTC"))
    assert [e.id for e in got.days[1].entries] == [7, 8, 5, 6, 9]


def test_items() -> None:
    got = timeline([IN_RANGE[8], IN_RANGE[3], RUNNING], BERLIN).model_dump(mode="json")
    assert got == {
        "days": [
            {
                "date": "2026-03-02",
                "entries": [
                    {
                        "id": 4,
                        "task_uuid": None,
                        "issue_id": None,
                        "subject": None,
                        "user": {"username": None, "name": "Carol Clark"},
                        "activity": "Meeting",
                        "hours": 1.0,
                        "spent_on": "2026-03-02",
                        "description": "entry 4",
                        "started_at": None,
                        "ended_at": None,
                        "is_running": False,
                    }
                ],
            },
            {
                "date": "2026-03-04",
                "entries": [
                    {
                        "id": 9,
                        "task_uuid": "101",
                        "issue_id": 101,
                        "subject": "Login page",
                        "user": {"username": "alice", "name": "Alice Archer"},
                        "activity": "Development",
                        "hours": 1.0,
                        "spent_on": "2026-03-04",
                        "description": "entry 9",
                        "started_at": "2026-03-03T23:30:00Z",
                        "ended_at": "2026-03-04T00:30:00Z",
                        "is_running": False,
                    }
                ],
            },
            {
                "date": "2026-03-10",
                "entries": [
                    {
                        "id": 17,
                        "task_uuid": "103",
                        "issue_id": 103,
                        "subject": "Write docs",
                        "user": {"username": "alice", "name": "Alice Archer"},
                        "activity": "Development",
                        "hours": 0.4,
                        "spent_on": "2026-03-10",
                        "description": "entry 17",
                        "started_at": "2026-03-10T09:00:00Z",
                        "ended_at": None,
                        "is_running": True,
                    }
                ],
            },
        ]
    }


def test_an_empty_timeline() -> None:
    assert timeline([], BERLIN).model_dump(mode="json") == {"days": []}


@given(entries_in(RANGE))
def test_every_entry_appears_once_in_order(entries: list[Entry]) -> None:
    got = timeline(entries, BERLIN)
    ids = [e.id for d in got.days for e in d.entries]
    assert sorted(ids) == sorted(e.entry_id for e in entries)
    dates = [d.date for d in got.days]
    assert dates == sorted(set(dates))
    for day in got.days:
        running = [e.is_running for e in day.entries]
        assert running == sorted(running)  # running ones come last
        starts = [e.started_at for e in day.entries if not e.is_running and e.started_at]
        assert starts == sorted(starts)
        # A timed entry sits on its local start day.
        for item in day.entries:
            if item.started_at is not None:
                assert item.started_at.astimezone(BERLIN).date() == day.date
            else:
                assert item.spent_on == day.date
    assert all(isinstance(d.date, dt.date) for d in got.days)
