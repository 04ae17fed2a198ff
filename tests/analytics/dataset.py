"""A fixed week and a half of time entries, with hand-computed sums in the tests that use it.

Berlin is UTC+1 throughout (summer time starts 2026-03-29). Range: Mon 2026-03-02 .. Tue 03-10.

| id | user  | issue | tracker   | activity    | hours | spent_on | timer (UTC)               |
|----|-------|-------|-----------|-------------|-------|----------|---------------------------|
|  1 | alice | 101   | Feature   | Development | 2     | 03-02    | 08:00-10:00               |
|  2 | alice | 102 c | Bug       | Development | 1.5   | 03-02    | 10:00-11:30               |
|  3 | bob   | 101   | Feature   | Design      | 3     | 03-02    | -                         |
|  4 | carol | -     | (no issue)| Meeting     | 1     | 03-02    | -                         |
|  5 | alice | 103   | Support   | Meeting     | 0.5   | 03-03    | 09:00-09:30               |
|  6 | bob   | 102 c | Bug       | Development | 2.25  | 03-03    | 13:00-15:15               |
|  7 | carol | 104 c | Bug       | Development | 1.75  | 03-03    | -                         |
|  8 | bob   | -     | (no issue)| Meeting     | 0.75  | 03-03    | -                         |
|  9 | alice | 101   | Feature   | Development | 1     | 03-04    | 03-03 23:30-03-04 00:30   |
| 10 | carol | 103   | Support   | Design      | 2.5   | 03-04    | -                         |
| 11 | bob   | 104 c | Bug       | Development | 0.25  | 03-04    | 10:00-10:12 (rounded up)  |
| 12 | alice | 102 c | Bug       | Design      | 1.25  | 03-09    | -                         |
| 13 | carol | -     | (no issue)| Meeting     | 0.75  | 03-09    | -                         |
| 14 | bob   | 103   | Support   | Development | 4     | 03-09    | 07:00-11:00               |
| 15 | alice | 101   | Feature   | Development | 8     | 03-11    | -  (after the range)      |
| 16 | bob   | 101   | Feature   | Design      | 3     | 03-01    | -  (before the range)     |
| 17 | alice | 103   | Support   | Development | 0.4   | 03-10    | 09:00- running            |

"c" marks a closed issue. Carol's login is hidden (username None). Entry 9 starts at 23:30 UTC,
which is 00:30 on 03-04 in Berlin.
"""

import datetime as dt
from decimal import Decimal

from gateway.analytics.records import NO_ISSUE, DateRange, Entry, Person

BERLIN_ZONE = "Europe/Berlin"
RANGE = DateRange(dt.date(2026, 3, 2), dt.date(2026, 3, 10))
EMPTY_RANGE = DateRange(dt.date(2026, 3, 5), dt.date(2026, 3, 8))

ALICE = Person(user_id=1, username="alice", name="Alice Archer")
BOB = Person(user_id=2, username="bob", name="Bob Baker")
CAROL = Person(user_id=3, username=None, name="Carol Clark")

# issue id -> (subject, tracker, closed)
ISSUES: dict[int | None, tuple[str | None, str, bool]] = {
    101: ("Login page", "Feature", False),
    102: ('Crash on "Save", twice', "Bug", True),
    103: ("Write docs", "Support", False),
    104: ("Fix typo", "Bug", True),
    None: (None, NO_ISSUE, False),
}


def utc(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment in March 2026, in UTC."""
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=dt.UTC)


def entry(
    entry_id: int,
    user: Person,
    issue_id: int | None,
    activity: str,
    hours: str,
    day: int,
    timer: tuple[dt.datetime, dt.datetime | None] | None = None,
    *,
    is_running: bool = False,
    month: int = 3,
) -> Entry:
    subject, tracker, closed = ISSUES[issue_id]
    return Entry(
        entry_id=entry_id,
        user=user,
        issue_id=issue_id,
        issue_subject=subject,
        tracker=tracker,
        issue_closed=closed,
        activity=activity,
        hours=Decimal(hours),
        spent_on=dt.date(2026, month, day),
        comments=f"entry {entry_id}",
        started_at=timer[0] if timer else None,
        ended_at=timer[1] if timer else None,
        is_running=is_running,
    )


DEV, DESIGN, MEETING = "Development", "Design", "Meeting"

IN_RANGE: list[Entry] = [
    entry(1, ALICE, 101, DEV, "2", 2, (utc(2, 8), utc(2, 10))),
    entry(2, ALICE, 102, DEV, "1.5", 2, (utc(2, 10), utc(2, 11, 30))),
    entry(3, BOB, 101, DESIGN, "3", 2),
    entry(4, CAROL, None, MEETING, "1", 2),
    entry(5, ALICE, 103, MEETING, "0.5", 3, (utc(3, 9), utc(3, 9, 30))),
    entry(6, BOB, 102, DEV, "2.25", 3, (utc(3, 13), utc(3, 15, 15))),
    entry(7, CAROL, 104, DEV, "1.75", 3),
    entry(8, BOB, None, MEETING, "0.75", 3),
    entry(9, ALICE, 101, DEV, "1", 4, (utc(3, 23, 30), utc(4, 0, 30))),
    entry(10, CAROL, 103, DESIGN, "2.5", 4),
    entry(11, BOB, 104, DEV, "0.25", 4, (utc(4, 10), utc(4, 10, 12))),
    entry(12, ALICE, 102, DESIGN, "1.25", 9),
    entry(13, CAROL, None, MEETING, "0.75", 9),
    entry(14, BOB, 103, DEV, "4", 9, (utc(9, 7), utc(9, 11))),
]
OUT_OF_RANGE: list[Entry] = [
    entry(15, ALICE, 101, DEV, "8", 11),
    entry(16, BOB, 101, DESIGN, "3", 1),
]
RUNNING = entry(17, ALICE, 103, DEV, "0.4", 10, (utc(10, 9), None), is_running=True)
DATASET: list[Entry] = [*IN_RANGE, *OUT_OF_RANGE, RUNNING]
