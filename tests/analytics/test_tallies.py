"""The running tallies the aggregates are summed in, page by page, against the list-based
formulas they replaced (tests/analytics/oracle.py): the same answers, whatever the order."""

from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.analytics import compute, productivity, reports
from gateway.analytics.query import ReportType
from gateway.analytics.records import Entry
from tests.analytics import oracle
from tests.analytics.dataset import DATASET, RANGE
from tests.analytics.strategies import entries_in

ZONES = [ZoneInfo("UTC"), ZoneInfo("Europe/Berlin")]
REPORT_TYPES: list[ReportType] = [
    "summary",
    "by_user",
    "by_task",
    "by_activity",
    "by_day",
    "by_week",
]
# Entries in any order: the source hands them on as pages and issue lookups come in.
shuffled = entries_in(RANGE).flatmap(st.permutations)


@given(shuffled)
def test_summary_and_team_as_before(entries: list[Entry]) -> None:
    assert compute.analytics_summary(entries, RANGE) == oracle.analytics_summary(
        sorted(entries, key=lambda e: e.entry_id), RANGE
    )
    assert compute.team_summary(entries) == oracle.team_summary(
        sorted(entries, key=lambda e: e.entry_id)
    )


@given(shuffled, st.sampled_from(REPORT_TYPES), st.sampled_from([None, Decimal("37.5")]))
def test_reports_as_before(entries: list[Entry], kind: ReportType, rate: Decimal | None) -> None:
    ordered = sorted(entries, key=lambda e: e.entry_id)
    assert reports.report(entries, RANGE, kind, rate) == oracle.report(ordered, RANGE, kind, rate)


@given(shuffled, st.sampled_from(ZONES), st.sampled_from([1, 25, 60]))
def test_productivity_as_before(entries: list[Entry], zone: ZoneInfo, focus_min: int) -> None:
    ordered = sorted(entries, key=lambda e: e.entry_id)
    assert productivity.productivity(entries, RANGE, focus_min, zone) == oracle.productivity(
        ordered, RANGE, focus_min, zone
    )


@pytest.mark.parametrize("kind", REPORT_TYPES)
def test_the_dataset_reversed_reports_the_same(kind: ReportType) -> None:
    assert reports.report(reversed(DATASET), RANGE, kind, None) == oracle.report(
        DATASET, RANGE, kind, None
    )
