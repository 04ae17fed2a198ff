"""Every report type over the fixed dataset, with and without a rate, and its CSV."""

from dataclasses import replace
from decimal import Decimal
from typing import Any, get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.analytics.query import ReportType
from gateway.analytics.records import Entry
from gateway.analytics.reports import report, report_csv
from tests.analytics.dataset import DATASET, EMPTY_RANGE, RANGE
from tests.analytics.strategies import entries_in

RATE = Decimal("10.10")  # hours in quarters x 10.10 lands on half cents: half up shows
REPORT_TYPES: tuple[ReportType, ...] = get_args(ReportType)

# Rows of each type over DATASET in 03-02..03-10 (entries 1-14), with the amounts at RATE.
ROWS: dict[ReportType, list[dict[str, Any]]] = {
    "summary": [
        # 22.5 h x 10.10 = 227.25
        {"label": "total", "hours": 22.5, "entries": 14, "amount": 227.25},
    ],
    "by_user": [
        # 10.25 x 10.10 = 103.525 -> 103.53
        {"username": "bob", "name": "Bob Baker", "hours": 10.25, "entries": 5, "amount": 103.53},
        # 6.25 x 10.10 = 63.125 -> 63.13
        {"username": "alice", "name": "Alice Archer", "hours": 6.25, "entries": 5, "amount": 63.13},
        {"username": None, "name": "Carol Clark", "hours": 6.0, "entries": 4, "amount": 60.6},
    ],
    "by_task": [
        # #103: 0.5 + 2.5 + 4 (entries 5, 10, 14)
        {
            "issue_id": 103,
            "subject": "Write docs",
            "tracker": "Support",
            "hours": 7.0,
            "entries": 3,
            "amount": 70.7,
        },
        # #101: 2 + 3 + 1 (entries 1, 3, 9)
        {
            "issue_id": 101,
            "subject": "Login page",
            "tracker": "Feature",
            "hours": 6.0,
            "entries": 3,
            "amount": 60.6,
        },
        # #102: 1.5 + 2.25 + 1.25 (entries 2, 6, 12)
        {
            "issue_id": 102,
            "subject": 'Crash on "Save", twice',
            "tracker": "Bug",
            "hours": 5.0,
            "entries": 3,
            "amount": 50.5,
        },
        # no issue: 1 + 0.75 + 0.75 (entries 4, 8, 13); 2.5 x 10.10 = 25.25
        {
            "issue_id": None,
            "subject": "(no issue)",
            "tracker": "(no issue)",
            "hours": 2.5,
            "entries": 3,
            "amount": 25.25,
        },
        # #104: 1.75 + 0.25 (entries 7, 11)
        {
            "issue_id": 104,
            "subject": "Fix typo",
            "tracker": "Bug",
            "hours": 2.0,
            "entries": 2,
            "amount": 20.2,
        },
    ],
    "by_activity": [
        # 2 + 1.5 + 2.25 + 1.75 + 1 + 0.25 + 4 = 12.75; x 10.10 = 128.775 -> 128.78
        {"activity": "Development", "hours": 12.75, "entries": 7, "amount": 128.78},
        # 3 + 2.5 + 1.25 = 6.75; x 10.10 = 68.175 -> 68.18
        {"activity": "Design", "hours": 6.75, "entries": 3, "amount": 68.18},
        # 1 + 0.5 + 0.75 + 0.75
        {"activity": "Meeting", "hours": 3.0, "entries": 4, "amount": 30.3},
    ],
    "by_day": [
        # Only days with entries, in date order.
        {"date": "2026-03-02", "hours": 7.5, "entries": 4, "amount": 75.75},
        # 5.25 x 10.10 = 53.025 -> 53.03
        {"date": "2026-03-03", "hours": 5.25, "entries": 4, "amount": 53.03},
        # 3.75 x 10.10 = 37.875 -> 37.88
        {"date": "2026-03-04", "hours": 3.75, "entries": 3, "amount": 37.88},
        {"date": "2026-03-09", "hours": 6.0, "entries": 3, "amount": 60.6},
    ],
    "by_week": [
        # Week of Monday 03-02: 7.5 + 5.25 + 3.75 = 16.5 h; x 10.10 = 166.65
        {"week_start": "2026-03-02", "hours": 16.5, "entries": 11, "amount": 166.65},
        # Week of Monday 03-09: entries 12, 13, 14
        {"week_start": "2026-03-09", "hours": 6.0, "entries": 3, "amount": 60.6},
    ],
}
# The totals' amount adds up the rounded rows, so it can differ from 22.5 x 10.10 = 227.25.
AMOUNT_TOTALS: dict[ReportType, float] = {
    "summary": 227.25,
    "by_user": 227.26,  # 103.53 + 63.13 + 60.60
    "by_task": 227.25,  # 70.70 + 60.60 + 50.50 + 25.25 + 20.20
    "by_activity": 227.26,  # 128.78 + 68.18 + 30.30
    "by_day": 227.26,  # 75.75 + 53.03 + 37.88 + 60.60
    "by_week": 227.25,  # 166.65 + 60.60
}


def without_amount(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if k != "amount"} for row in rows]


@pytest.mark.parametrize("report_type", REPORT_TYPES)
def test_each_report_type_without_a_rate(report_type: ReportType) -> None:
    assert report(DATASET, RANGE, report_type, None).model_dump(mode="json") == {
        "report_type": report_type,
        "rows": without_amount(ROWS[report_type]),
        "totals": {"hours": 22.5, "entries": 14},
    }


@pytest.mark.parametrize("report_type", REPORT_TYPES)
def test_each_report_type_with_a_rate(report_type: ReportType) -> None:
    assert report(DATASET, RANGE, report_type, RATE).model_dump(mode="json") == {
        "report_type": report_type,
        "rows": ROWS[report_type],
        "totals": {"hours": 22.5, "entries": 14, "amount": AMOUNT_TOTALS[report_type]},
    }


def test_amounts_are_exact_two_decimal_values() -> None:
    rows = report(DATASET, RANGE, "by_user", RATE).rows
    assert [r.amount for r in rows] == [Decimal("103.53"), Decimal("63.13"), Decimal("60.60")]


def test_a_rate_of_zero_still_shows_amounts() -> None:
    got = report(DATASET, RANGE, "by_week", Decimal(0)).model_dump(mode="json")
    assert [r["amount"] for r in got["rows"]] == [0.0, 0.0]
    assert got["totals"]["amount"] == 0.0


@pytest.mark.parametrize("report_type", REPORT_TYPES)
def test_an_empty_period(report_type: ReportType) -> None:
    # The summary always has its one row; the grouped reports have none.
    rows = {"summary": [{"label": "total", "hours": 0.0, "entries": 0, "amount": 0.0}]}
    assert report(DATASET, EMPTY_RANGE, report_type, RATE).model_dump(mode="json") == {
        "report_type": report_type,
        "rows": rows.get(report_type, []),
        "totals": {"hours": 0.0, "entries": 0, "amount": 0.0},
    }


def test_csv_by_task_with_a_rate() -> None:
    assert report_csv(report(DATASET, RANGE, "by_task", RATE)) == (
        "issue_id,subject,tracker,hours,entries,amount\r\n"
        "103,Write docs,Support,7,3,70.70\r\n"
        "101,Login page,Feature,6,3,60.60\r\n"
        '102,"Crash on ""Save"", twice",Bug,5,3,50.50\r\n'
        ",(no issue),(no issue),2.5,3,25.25\r\n"
        "104,Fix typo,Bug,2,2,20.20\r\n"
    )


def test_csv_by_user_without_a_rate() -> None:
    assert report_csv(report(DATASET, RANGE, "by_user", None)) == (
        "username,name,hours,entries\r\n"
        "bob,Bob Baker,10.25,5\r\n"
        "alice,Alice Archer,6.25,5\r\n"
        ",Carol Clark,6,4\r\n"
    )


@pytest.mark.parametrize(
    ("report_type", "rate", "text"),
    [
        ("summary", None, "label,hours,entries\r\ntotal,22.5,14\r\n"),
        ("summary", RATE, "label,hours,entries,amount\r\ntotal,22.5,14,227.25\r\n"),
        (
            "by_activity",
            RATE,
            "activity,hours,entries,amount\r\n"
            "Development,12.75,7,128.78\r\n"
            "Design,6.75,3,68.18\r\n"
            "Meeting,3,4,30.30\r\n",
        ),
        (
            "by_day",
            None,
            "date,hours,entries\r\n"
            "2026-03-02,7.5,4\r\n"
            "2026-03-03,5.25,4\r\n"
            "2026-03-04,3.75,3\r\n"
            "2026-03-09,6,3\r\n",
        ),
        (
            "by_week",
            RATE,
            "week_start,hours,entries,amount\r\n2026-03-02,16.5,11,166.65\r\n2026-03-09,6,3,60.60\r\n",
        ),
    ],
)
def test_csv_of_other_types(report_type: ReportType, rate: Decimal | None, text: str) -> None:
    assert report_csv(report(DATASET, RANGE, report_type, rate)) == text


def test_csv_of_an_empty_period_is_the_header_alone() -> None:
    assert report_csv(report(DATASET, EMPTY_RANGE, "by_day", None)) == "date,hours,entries\r\n"
    assert report_csv(report(DATASET, EMPTY_RANGE, "summary", RATE)) == (
        "label,hours,entries,amount\r\ntotal,0,0,0.00\r\n"
    )


def test_csv_writes_large_hours_without_an_exponent() -> None:
    # 40 + 60 = 100 normalizes to 1E+2; the CSV still says 100.
    many = [e for e in DATASET if e.entry_id in (1, 3)]
    bumped = [replace(e, hours=Decimal(h)) for e, h in zip(many, ["40", "60"], strict=True)]
    assert (
        report_csv(report(bumped, RANGE, "summary", None))
        == "label,hours,entries\r\ntotal,100,2\r\n"
    )


@given(entries_in(RANGE), st.sampled_from(REPORT_TYPES), st.sampled_from([None, RATE]))
def test_totals_are_the_sum_of_the_rows(
    entries: list[Entry], report_type: ReportType, rate: Decimal | None
) -> None:
    got = report(entries, RANGE, report_type, rate)
    assert sum((r.hours for r in got.rows), Decimal(0)) == got.totals.hours
    assert sum(r.entries for r in got.rows) == got.totals.entries
    if rate is None:
        assert got.totals.amount is None
        assert all(r.amount is None for r in got.rows)
    else:
        assert sum((r.amount or Decimal(0) for r in got.rows), Decimal(0)) == got.totals.amount
    lines = report_csv(got).split("\r\n")
    assert lines[-1] == ""
    # A header, one line per row (no subject here holds a line break).
    assert len(lines) == len(got.rows) + 2


def test_csv_defuses_cells_a_spreadsheet_would_run_as_formulas() -> None:
    [first, *_] = [e for e in DATASET if e.issue_id == 103]
    risky = [
        replace(first, issue_subject='=HYPERLINK("http://x")'),
        replace(first, entry_id=99, issue_id=105, issue_subject="@SUM(A1)"),
    ]
    text = report_csv(report(risky, RANGE, "by_task", None))
    assert "'=HYPERLINK" in text
    assert "'@SUM(A1)" in text
    assert ",=" not in text
