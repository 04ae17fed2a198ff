"""Analytics and team summaries over the fixed dataset, every number worked out by hand."""

import datetime as dt
from decimal import Decimal

from hypothesis import given

from gateway.analytics.compute import analytics_summary, half_up, team_summary
from gateway.analytics.records import DateRange, Entry, Person
from tests.analytics.dataset import (
    ALICE,
    BOB,
    CAROL,
    DATASET,
    DEV,
    EMPTY_RANGE,
    IN_RANGE,
    RANGE,
    RUNNING,
    entry,
)
from tests.analytics.strategies import entries_in


def test_analytics_summary_over_the_dataset() -> None:
    # Entries 15 (03-11), 16 (03-01) lie outside 03-02..03-10 and 17 is running: none count.
    summary = analytics_summary(DATASET, RANGE)
    assert summary.model_dump(mode="json") == {
        # 2 + 1.5 + 3 + 1 + 0.5 + 2.25 + 1.75 + 0.75 + 1 + 2.5 + 0.25 + 1.25 + 0.75 + 4
        "total_hours": 22.5,
        # 22.5 h over 4 days with entries (03-02, 03-03, 03-04, 03-09) = 5.625 -> 5.63 (half up;
        # half-even would give 5.62)
        "average_daily_hours": 5.63,
        "top_contributors": [
            # bob: 3 + 2.25 + 0.75 + 0.25 + 4
            {"username": "bob", "name": "Bob Baker", "hours": 10.25},
            # alice: 2 + 1.5 + 0.5 + 1 + 1.25
            {"username": "alice", "name": "Alice Archer", "hours": 6.25},
            # carol: 1 + 1.75 + 2.5 + 0.75
            {"username": None, "name": "Carol Clark", "hours": 6.0},
        ],
        "by_task_type": [
            # Bug = #102 (1.5 + 2.25 + 1.25) + #104 (1.75 + 0.25); ties Support, wins by name
            {"name": "Bug", "hours": 7.0},
            {"name": "Support", "hours": 7.0},  # #103: 0.5 + 2.5 + 4
            {"name": "Feature", "hours": 6.0},  # #101: 2 + 3 + 1
            {"name": "(no issue)", "hours": 2.5},  # 1 + 0.75 + 0.75
        ],
        "by_activity": [
            {"name": "Development", "hours": 12.75},  # 2 + 1.5 + 2.25 + 1.75 + 1 + 0.25 + 4
            {"name": "Design", "hours": 6.75},  # 3 + 2.5 + 1.25
            {"name": "Meeting", "hours": 3.0},  # 1 + 0.5 + 0.75 + 0.75
        ],
        "trend": [
            {"date": "2026-03-02", "hours": 7.5},  # 2 + 1.5 + 3 + 1
            {"date": "2026-03-03", "hours": 5.25},  # 0.5 + 2.25 + 1.75 + 0.75
            {"date": "2026-03-04", "hours": 3.75},  # 1 + 2.5 + 0.25
            {"date": "2026-03-05", "hours": 0.0},
            {"date": "2026-03-06", "hours": 0.0},
            {"date": "2026-03-07", "hours": 0.0},
            {"date": "2026-03-08", "hours": 0.0},
            {"date": "2026-03-09", "hours": 6.0},  # 1.25 + 0.75 + 4
            {"date": "2026-03-10", "hours": 0.0},  # only the running timer
        ],
    }


def test_analytics_summary_keeps_exact_decimals_inside() -> None:
    summary = analytics_summary(IN_RANGE, RANGE)
    assert summary.total_hours == Decimal("22.50")
    assert summary.average_daily_hours == Decimal("5.63")


def test_analytics_summary_of_an_empty_period() -> None:
    # 03-05 .. 03-08: no entries at all.
    assert analytics_summary(DATASET, EMPTY_RANGE).model_dump(mode="json") == {
        "total_hours": 0.0,
        "average_daily_hours": 0.0,
        "top_contributors": [],
        "by_task_type": [],
        "by_activity": [],
        "trend": [
            {"date": "2026-03-05", "hours": 0.0},
            {"date": "2026-03-06", "hours": 0.0},
            {"date": "2026-03-07", "hours": 0.0},
            {"date": "2026-03-08", "hours": 0.0},
        ],
    }


def test_analytics_summary_of_one_day() -> None:
    day = DateRange(dt.date(2026, 3, 4), dt.date(2026, 3, 4))
    summary = analytics_summary(DATASET, day)
    assert summary.total_hours == Decimal("3.75")  # entries 9, 10, 11
    assert summary.average_daily_hours == Decimal("3.75")
    assert [c.name for c in summary.top_contributors] == [
        "Carol Clark",  # 2.5
        "Alice Archer",  # 1
        "Bob Baker",  # 0.25
    ]


def test_contributors_with_equal_hours_sort_by_name_and_hidden_logins_stay_apart() -> None:
    twin = Person(user_id=4, username=None, name="Carol Clark")
    entries = [
        entry(1, CAROL, None, DEV, "2", 2),
        entry(2, twin, None, DEV, "2", 2),
        entry(3, ALICE, None, DEV, "2", 2),
        entry(4, BOB, None, DEV, "1", 2),
    ]
    summary = analytics_summary(entries, RANGE)
    assert [(c.username, c.name, c.hours) for c in summary.top_contributors] == [
        ("alice", "Alice Archer", Decimal(2)),
        (None, "Carol Clark", Decimal(2)),  # user 3 before user 4: same name, lower id
        (None, "Carol Clark", Decimal(2)),
        ("bob", "Bob Baker", Decimal(1)),
    ]


def test_average_daily_hours_rounds_half_up_to_two_decimals() -> None:
    # Three days: 1 + 1 + 0.01 = 2.01 h -> 0.67 exactly; 1 + 1 + 0.02 -> 0.67333.. -> 0.67;
    # 0.01 + 0.01 + 0.005 over 2 days: 0.025 / 2 = 0.0125 -> 0.01.
    def average(hours: list[tuple[str, int]]) -> Decimal:
        entries = [entry(n, ALICE, None, DEV, h, day) for n, (h, day) in enumerate(hours)]
        return analytics_summary(entries, RANGE).average_daily_hours

    assert average([("1", 2), ("1", 3), ("0.01", 4)]) == Decimal("0.67")
    assert average([("1", 2), ("1", 3), ("0.02", 4)]) == Decimal("0.67")
    assert average([("0.01", 2), ("0.01", 2), ("0.005", 3)]) == Decimal("0.01")
    assert average([("0.125", 2)]) == Decimal("0.13")  # half up, not half even (0.12)
    assert average([("0.135", 2)]) == Decimal("0.14")


def test_half_up() -> None:
    assert half_up(Decimal("2.345"), 2) == Decimal("2.35")
    assert half_up(Decimal("2.3449"), 2) == Decimal("2.34")
    assert half_up(Decimal("103.525"), 2) == Decimal("103.53")
    assert half_up(Decimal(0), 2) == Decimal("0.00")
    assert str(half_up(Decimal("70.7"), 2)) == "70.70"


def test_team_summary_over_the_range() -> None:
    # The running timer (alice, 03-10) is no recorded time: alice's last entry stays 03-09.
    team = team_summary([*IN_RANGE, RUNNING])
    assert team.model_dump(mode="json") == {
        "team_members": [
            {
                "username": "bob",
                "name": "Bob Baker",
                "total_hours": 10.25,  # 3 + 2.25 + 0.75 + 0.25 + 4
                "tasks_tracked": 4,  # 101, 102, 104, 103 (entry 8 has no issue)
                "entries": 5,  # 3, 6, 8, 11, 14
                "last_entry_on": "2026-03-09",
            },
            {
                "username": "alice",
                "name": "Alice Archer",
                "total_hours": 6.25,  # 2 + 1.5 + 0.5 + 1 + 1.25
                "tasks_tracked": 3,  # 101 (1, 9), 102 (2, 12), 103 (5)
                "entries": 5,  # 1, 2, 5, 9, 12
                "last_entry_on": "2026-03-09",
            },
            {
                "username": None,
                "name": "Carol Clark",
                "total_hours": 6.0,  # 1 + 1.75 + 2.5 + 0.75
                "tasks_tracked": 2,  # 104, 103 (4 and 13 have no issue)
                "entries": 4,  # 4, 7, 10, 13
                "last_entry_on": "2026-03-09",
            },
        ]
    }


def test_team_summary_counts_every_recorded_entry_given() -> None:
    # It has no range of its own: the caller passes the period's entries. Given all of them,
    # alice gains entry 15 (8 h, 03-11) and bob entry 16 (3 h, 03-01, issue 101 again).
    members = {m.name: m for m in team_summary(DATASET).team_members}
    assert members["Alice Archer"].total_hours == Decimal("14.25")  # 6.25 + 8
    assert members["Alice Archer"].last_entry_on == dt.date(2026, 3, 11)
    assert members["Alice Archer"].entries == 6
    assert members["Bob Baker"].total_hours == Decimal("13.25")  # 10.25 + 3
    assert members["Bob Baker"].tasks_tracked == 4
    assert [m.name for m in team_summary(DATASET).team_members] == [
        "Alice Archer",
        "Bob Baker",
        "Carol Clark",
    ]


def test_team_summary_of_nothing() -> None:
    assert team_summary([]).model_dump(mode="json") == {"team_members": []}
    assert team_summary([RUNNING]).team_members == []


@given(entries_in(RANGE))
def test_trend_and_breakdowns_sum_to_the_total(entries: list[Entry]) -> None:
    summary = analytics_summary(entries, RANGE)
    total = summary.total_hours
    assert sum((p.hours for p in summary.trend), Decimal(0)) == total
    assert sum((c.hours for c in summary.top_contributors), Decimal(0)) == total
    assert sum((t.hours for t in summary.by_task_type), Decimal(0)) == total
    assert sum((a.hours for a in summary.by_activity), Decimal(0)) == total
    assert [p.date for p in summary.trend] == RANGE.days
    hours = [c.hours for c in summary.top_contributors]
    assert hours == sorted(hours, reverse=True)


@given(entries_in(RANGE))
def test_team_totals_match_the_analytics_total(entries: list[Entry]) -> None:
    team = team_summary(entries).team_members
    recorded = [e for e in entries if not e.is_running]
    assert sum((m.total_hours for m in team), Decimal(0)) == sum(
        (e.hours for e in recorded), Decimal(0)
    )
    assert sum(m.entries for m in team) == len(recorded)
