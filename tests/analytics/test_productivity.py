"""Productivity: focus threshold, merged sessions, switches per local day, the score."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.analytics.productivity import productivity, score
from gateway.analytics.records import DateRange, Entry, Person
from tests.analytics.dataset import (
    ALICE,
    BERLIN_ZONE,
    BOB,
    DATASET,
    DESIGN,
    DEV,
    EMPTY_RANGE,
    MEETING,
    RANGE,
    entry,
    utc,
)
from tests.analytics.strategies import entries_in

BERLIN = ZoneInfo(BERLIN_ZONE)
UTC = ZoneInfo("UTC")
FOCUS_MIN = 25


def of(
    entries: list[Entry], zone: ZoneInfo = BERLIN, focus_min: int = FOCUS_MIN
) -> dict[str, object]:
    return productivity(entries, RANGE, focus_min, zone).model_dump(mode="json")


def timed(
    entry_id: int,
    issue_id: int | None,
    start: dt.datetime,
    end: dt.datetime,
    *,
    user: Person = ALICE,
    activity: str = DEV,
    hours: str = "0.25",
) -> Entry:
    return entry(entry_id, user, issue_id, activity, hours, start.day, (start, end))


def test_the_dataset() -> None:
    assert of(DATASET) == {
        # Seconds per entry: timers by their measured length, direct entries by hours x 3600.
        # Entry 11's timer ran 12 min (720 s) but posted 0.25 h: 22.5 h x 3600 - 180 = 80820.
        "total_seconds": 80820,
        # Timers 1, 2, 5, 6, 9, 11, 14: 7200 + 5400 + 1800 + 8100 + 3600 + 720 + 14400
        "timed_seconds": 41220,
        # Every timer but entry 11 (12 min < 25) is a stretch on its own: 41220 - 720
        "focus_seconds": 40500,
        # Alice on 03-02: issue 101 (1) then 102 (2). Her 03-03 10:00 (5, #103) and the 00:30
        # of 03-04 (9, #101) are on different Berlin days; bob's timers are a day apart each.
        "context_switches": 1,
        # 100 x 40500 / (41220 + 1800 x 1) = 94.14 -> 94
        "productivity_score": 94,
        # 80820 s = 22.45 h over 4 days with entries = 5.6125 -> 5.61
        "avg_daily_hours": 5.61,
        # 03-02: 7200 + 5400 + 10800 + 3600 = 27000 s, ahead of 03-09 (4500 + 2700 + 14400)
        "most_productive_day": "2026-03-02",
        # Closed issues with time in the range: 102 (2, 6, 12) and 104 (7, 11)
        "tasks_completed": 2,
        "by_category": [
            # 7200 + 5400 + 8100 + 6300 + 3600 + 720 + 14400
            {"name": "Development", "seconds": 45720},
            {"name": "Design", "seconds": 24300},  # 10800 + 9000 + 4500
            {"name": "Meeting", "seconds": 10800},  # 3600 + 1800 + 2700 + 2700
        ],
    }


def test_the_dataset_in_utc_has_one_more_switch() -> None:
    # In UTC, entry 9 starts on 03-03 (23:30) after alice's #103 at 09:00: #103 -> #101.
    got = of(DATASET, zone=UTC)
    assert got["context_switches"] == 2
    assert got["productivity_score"] == 90  # 4050000 / (41220 + 3600) = 90.36


def test_an_empty_period() -> None:
    assert productivity(DATASET, EMPTY_RANGE, FOCUS_MIN, BERLIN).model_dump(mode="json") == {
        "total_seconds": 0,
        "timed_seconds": 0,
        "focus_seconds": 0,
        "context_switches": 0,
        "productivity_score": 0,
        "avg_daily_hours": 0.0,
        "most_productive_day": None,
        "tasks_completed": 0,
        "by_category": [],
    }


@pytest.mark.parametrize(
    ("minutes", "seconds", "focus"),
    [
        (25, 0, 1500),  # exactly the threshold counts
        (24, 59, 0),  # one second short does not
        (25, 1, 1501),
    ],
)
def test_the_focus_threshold(minutes: int, seconds: int, focus: int) -> None:
    start = utc(2, 9)
    got = of([timed(1, 101, start, start + dt.timedelta(minutes=minutes, seconds=seconds))])
    assert got["focus_seconds"] == focus
    assert got["total_seconds"] == minutes * 60 + seconds


def test_the_threshold_follows_the_setting() -> None:
    got = of([timed(1, 101, utc(2, 9), utc(2, 9, 12))], focus_min=10)
    assert got["focus_seconds"] == 720


@pytest.mark.parametrize(
    ("second_start", "second_issue", "focus", "switches"),
    [
        # 09:00-09:13 then 09:14-09:26 on one issue: 60 s apart, one stretch of 13 + 12 = 25 min
        # (the gap is not counted), so it just reaches the threshold.
        (utc(2, 9, 14), 101, 1500, 0),
        # 61 s apart: two stretches of 13 and 12 min, neither focused.
        (utc(2, 9, 14) + dt.timedelta(seconds=1), 101, 0, 0),
        # Back to back but on another issue: no merge, and a switch.
        (utc(2, 9, 13), 102, 0, 1),
    ],
)
def test_back_to_back_sessions_merge(
    second_start: dt.datetime, second_issue: int, focus: int, switches: int
) -> None:
    first = timed(1, 101, utc(2, 9), utc(2, 9, 13))
    second = timed(2, second_issue, second_start, second_start + dt.timedelta(minutes=12))
    got = of([second, first])
    assert (got["focus_seconds"], got["context_switches"]) == (focus, switches)
    assert got["timed_seconds"] == 1500


def test_a_stretch_runs_across_midnight() -> None:
    # A timer split at Berlin midnight (23:00 UTC) into two entries, 15 min on each day: one
    # 30-minute stretch. Split across days, it makes no switch either.
    before = timed(1, 101, utc(2, 22, 45), utc(2, 23))
    after = entry(2, ALICE, 101, DEV, "0.25", 3, (utc(2, 23), utc(2, 23, 15)))
    got = of([before, after])
    assert (got["focus_seconds"], got["context_switches"]) == (1800, 0)


def test_switches_across_days_or_people_do_not_count() -> None:
    entries = [
        # Alice: #101 late on 03-02 (Berlin), #102 early on 03-03 (Berlin): a new day.
        timed(1, 101, utc(2, 21), utc(2, 22)),
        entry(2, ALICE, 102, DEV, "1", 3, (utc(2, 23, 30), utc(3, 0, 30))),
        # Bob works on #103 between alice's two sessions on 03-04: not her switch.
        timed(3, 101, utc(4, 8), utc(4, 9)),
        timed(4, 103, utc(4, 9), utc(4, 10), user=BOB),
        timed(5, 101, utc(4, 10), utc(4, 11)),
    ]
    assert of(entries)["context_switches"] == 0


def test_switches_count_every_change_within_a_day() -> None:
    # 101 -> 102 -> 101 -> 101 (merged) -> 103: three switches.
    entries = [
        timed(1, 101, utc(2, 8), utc(2, 8, 30)),
        timed(2, 102, utc(2, 8, 30), utc(2, 9)),
        timed(3, 101, utc(2, 9), utc(2, 9, 10)),
        timed(4, 101, utc(2, 9, 10), utc(2, 9, 20)),
        timed(5, 103, utc(2, 10), utc(2, 10, 5)),
    ]
    got = of(entries)
    assert got["context_switches"] == 3
    # Stretches: 30, 30, 20 (10 + 10), 5 min; focused: the two 30s.
    assert got["focus_seconds"] == 3600
    assert got["timed_seconds"] == 5100  # 30 + 30 + 10 + 10 + 5 = 85 min
    # 100 x 3600 / (5100 + 1800 x 3) = 360000 / 10500 = 34.29 -> 34
    assert got["productivity_score"] == 34


def test_direct_entries_count_toward_totals_only() -> None:
    entries = [
        entry(1, ALICE, 101, MEETING, "2", 2),
        timed(2, 102, utc(2, 9), utc(2, 9, 30), activity=DESIGN, hours="0.5"),
        entry(3, BOB, 103, DEV, "1.333", 3),  # 4798.8 s -> 4799
    ]
    got = of(entries)
    assert got["total_seconds"] == 7200 + 1800 + 4799
    assert got["timed_seconds"] == 1800
    assert got["focus_seconds"] == 1800
    assert got["context_switches"] == 0
    assert got["productivity_score"] == 100  # all timed time was focused, no switches
    # 13799 s = 3.833 h over 2 days = 1.9165.. -> 1.92
    assert got["avg_daily_hours"] == 1.92
    assert got["most_productive_day"] == "2026-03-02"  # 9000 s vs 4799 s
    assert got["by_category"] == [
        {"name": "Meeting", "seconds": 7200},
        {"name": "Development", "seconds": 4799},
        {"name": "Design", "seconds": 1800},
    ]


def test_only_direct_entries_score_zero() -> None:
    got = of([entry(1, ALICE, 101, DEV, "8", 2)])
    assert (got["total_seconds"], got["timed_seconds"], got["productivity_score"]) == (28800, 0, 0)


def test_running_and_backwards_timers() -> None:
    running = entry(1, ALICE, 101, DEV, "1", 2, (utc(2, 9), None), is_running=True)
    # An end before the start is no session: it counts by its hours, like a direct entry.
    backwards = entry(2, ALICE, 101, DEV, "0.5", 2, (utc(2, 9), utc(2, 8)))
    got = of([running, backwards])
    assert (got["total_seconds"], got["timed_seconds"], got["focus_seconds"]) == (1800, 0, 0)


def test_the_most_productive_day_is_the_earliest_of_equals() -> None:
    entries = [entry(1, ALICE, None, DEV, "2", 4), entry(2, BOB, None, DEV, "2", 3)]
    assert of(entries)["most_productive_day"] == "2026-03-03"


def test_tasks_completed_counts_distinct_closed_issues() -> None:
    # Issues 102 and 104 are closed; 102 twice is one task; open 101 and no issue do not count.
    entries = [
        entry(1, ALICE, 102, DEV, "1", 2),
        entry(2, BOB, 102, DEV, "1", 3),
        entry(3, BOB, 104, DEV, "1", 3),
        entry(4, BOB, 101, DEV, "1", 3),
        entry(5, BOB, None, DEV, "1", 3),
    ]
    assert of(entries)["tasks_completed"] == 2


@pytest.mark.parametrize(
    ("focus", "timed_s", "switches", "expected"),
    [
        (0, 0, 0, 0),  # nothing timed
        (3600, 3600, 0, 100),
        (1800, 3600, 0, 50),
        (0, 3600, 0, 0),
        (3600, 3600, 2, 50),  # 360000 / (3600 + 3600)
        (5400, 7200, 1, 60),  # 540000 / 9000
        (1, 8, 0, 13),  # 12.5 rounds half up
        (1, 7, 0, 14),  # 14.28
        (14400, 14400, 1, 89),  # 1440000 / 16200 = 88.89
    ],
)
def test_score_examples(focus: int, timed_s: int, switches: int, expected: int) -> None:
    assert score(focus, timed_s, switches) == expected


@given(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 50), st.integers(1, 3600))
def test_score_is_bounded_and_monotone(focus: int, extra: int, switches: int, step: int) -> None:
    timed_s = focus + extra
    got = score(focus, timed_s, switches)
    assert 0 <= got <= 100
    assert score(focus, timed_s, switches + 1) <= got
    more_focus = min(focus + step, timed_s)
    assert score(more_focus, timed_s, switches) >= got


@given(entries_in(RANGE))
def test_focus_never_exceeds_timed_nor_timed_total(entries: list[Entry]) -> None:
    got = productivity(entries, RANGE, FOCUS_MIN, BERLIN)
    assert 0 <= got.focus_seconds <= got.timed_seconds <= got.total_seconds
    assert sum(c.seconds for c in got.by_category) == got.total_seconds
    assert 0 <= got.productivity_score <= 100
    if got.total_seconds == 0 and not got.by_category:
        assert got.avg_daily_hours == Decimal(0)


def test_a_range_filters_by_spent_on() -> None:
    day = DateRange(dt.date(2026, 3, 4), dt.date(2026, 3, 4))
    got = productivity(DATASET, day, FOCUS_MIN, BERLIN)
    # Entries 9 (3600 s timed), 10 (9000 s direct), 11 (720 s timed)
    assert (got.total_seconds, got.timed_seconds, got.focus_seconds) == (13320, 4320, 3600)
