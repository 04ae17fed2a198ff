"""The analytics query: parsing, every period on fixed days, and each refusal with its field."""

import datetime as dt
from decimal import Decimal

import pytest
from multidict import MultiDict, MultiDictProxy
from pydantic import ValidationError

from gateway.analytics.query import AnalyticsQuery, date_range
from gateway.analytics.records import DateRange
from gateway.errors import ValidationFailed, field_errors_from

WEDNESDAY = dt.date(2026, 3, 4)  # ISO week 10 runs Mon 03-02 .. Sun 03-08; 2026 is not leap
D = dt.date


def q(**params: str) -> AnalyticsQuery:
    return AnalyticsQuery.model_validate(params)


def refused(query: AnalyticsQuery, today: dt.date = WEDNESDAY) -> dict[str, list[str]]:
    with pytest.raises(ValidationFailed) as caught:
        date_range(query, today)
    assert caught.value.status == 422
    return {name: list(messages) for name, messages in caught.value.field_errors.items()}


@pytest.mark.parametrize(
    ("period", "start", "end"),
    [
        ("today", D(2026, 3, 4), D(2026, 3, 4)),
        ("yesterday", D(2026, 3, 3), D(2026, 3, 3)),
        ("this-week", D(2026, 3, 2), D(2026, 3, 4)),  # Monday of the week .. today
        ("week", D(2026, 3, 2), D(2026, 3, 4)),
        ("last-7-days", D(2026, 2, 26), D(2026, 3, 4)),  # 26,27,28 Feb + 1..4 Mar = 7 days
        ("last-14-days", D(2026, 2, 19), D(2026, 3, 4)),  # 10 days of Feb (19..28) + 4
        ("last-30-days", D(2026, 2, 3), D(2026, 3, 4)),  # 26 days of Feb (3..28) + 4
        ("this-month", D(2026, 3, 1), D(2026, 3, 4)),
        ("last-month", D(2026, 2, 1), D(2026, 2, 28)),
    ],
)
def test_periods_on_a_wednesday(period: str, start: dt.date, end: dt.date) -> None:
    assert date_range(q(period=period), WEDNESDAY) == DateRange(start, end)


@pytest.mark.parametrize(
    ("today", "period", "start", "end"),
    [
        # Sunday 1 March: the week began in February, the month today.
        (D(2026, 3, 1), "yesterday", D(2026, 2, 28), D(2026, 2, 28)),
        (D(2026, 3, 1), "this-week", D(2026, 2, 23), D(2026, 3, 1)),
        (D(2026, 3, 1), "this-month", D(2026, 3, 1), D(2026, 3, 1)),
        (D(2026, 3, 1), "last-month", D(2026, 2, 1), D(2026, 2, 28)),
        (D(2026, 3, 1), "last-7-days", D(2026, 2, 23), D(2026, 3, 1)),
        # A Monday's week is that day alone.
        (D(2026, 3, 2), "week", D(2026, 3, 2), D(2026, 3, 2)),
        # Thursday 1 January: the week and last month lie in the year before.
        (D(2026, 1, 1), "yesterday", D(2025, 12, 31), D(2025, 12, 31)),
        (D(2026, 1, 1), "this-week", D(2025, 12, 29), D(2026, 1, 1)),
        (D(2026, 1, 1), "last-month", D(2025, 12, 1), D(2025, 12, 31)),
        (D(2026, 1, 1), "last-30-days", D(2025, 12, 3), D(2026, 1, 1)),  # 29 Dec days + 1
        # A leap February; and last month from the 31st of a month.
        (D(2024, 3, 15), "last-month", D(2024, 2, 1), D(2024, 2, 29)),
        (D(2024, 3, 1), "last-7-days", D(2024, 2, 24), D(2024, 3, 1)),  # 24..29 Feb + 1 Mar
        (D(2026, 5, 31), "last-month", D(2026, 4, 1), D(2026, 4, 30)),
    ],
)
def test_periods_at_boundaries(today: dt.date, period: str, start: dt.date, end: dt.date) -> None:
    assert date_range(q(period=period), today) == DateRange(start, end)


def test_the_default_period_is_the_last_30_days() -> None:
    assert date_range(q(), WEDNESDAY) == DateRange(D(2026, 2, 3), D(2026, 3, 4))
    assert date_range(q(period="  "), WEDNESDAY) == DateRange(D(2026, 2, 3), D(2026, 3, 4))


@pytest.mark.parametrize(
    ("params", "start", "end"),
    [
        ({"start": "2026-02-01", "end": "2026-02-10"}, D(2026, 2, 1), D(2026, 2, 10)),
        ({"from": "2026-02-01", "to": "2026-02-10"}, D(2026, 2, 1), D(2026, 2, 10)),
        ({"start": "2026-02-01", "to": "2026-02-10"}, D(2026, 2, 1), D(2026, 2, 10)),
        ({"start": "2026-03-04", "end": "2026-03-04"}, D(2026, 3, 4), D(2026, 3, 4)),
        # start/end win over a period.
        (
            {"period": "today", "start": "2026-01-05", "end": "2026-01-06"},
            D(2026, 1, 5),
            D(2026, 1, 6),
        ),
        # start alone runs through today; a blank end is no end.
        ({"start": "2026-02-20"}, D(2026, 2, 20), D(2026, 3, 4)),
        ({"start": "2026-02-20", "end": ""}, D(2026, 2, 20), D(2026, 3, 4)),
        ({"start": "2026-03-04"}, D(2026, 3, 4), D(2026, 3, 4)),
        # A range in the future is a valid (empty) range.
        ({"start": "2026-04-01", "end": "2026-04-30"}, D(2026, 4, 1), D(2026, 4, 30)),
        (
            {"start": " 2026-02-01 ", "end": "2026-02-02", "period": "week"},
            D(2026, 2, 1),
            D(2026, 2, 2),
        ),
    ],
)
def test_explicit_dates(params: dict[str, str], start: dt.date, end: dt.date) -> None:
    assert date_range(q(**params), WEDNESDAY) == DateRange(start, end)


def test_366_days_pass_and_367_do_not() -> None:
    # 2025-03-05 .. 2026-03-05: 365 days apart (no 29 February between), 366 counting both.
    assert date_range(q(start="2025-03-05", end="2026-03-05"), WEDNESDAY) == DateRange(
        D(2025, 3, 5), D(2026, 3, 5)
    )
    assert refused(q(start="2025-03-04", end="2026-03-05")) == {
        "end": ["The range may span at most 366 days."]
    }
    # Across a leap day: 2024-01-01 .. 2024-12-31 is exactly 366 days.
    assert date_range(q(start="2024-01-01", end="2024-12-31"), WEDNESDAY) == DateRange(
        D(2024, 1, 1), D(2024, 12, 31)
    )
    assert "end" in refused(q(start="2024-01-01", end="2025-01-01"))
    # start alone counts through today: 2025-03-04 .. 2026-03-04 is 366 days.
    assert date_range(q(start="2025-03-04"), WEDNESDAY).start == D(2025, 3, 4)
    assert refused(q(start="2025-03-03")) == {"start": ["The range may span at most 366 days."]}


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        (
            {"period": "fortnight"},
            {
                "period": [
                    "The period must be one of: today, yesterday, this-week, week, last-7-days,"
                    " last-14-days, last-30-days, this-month, last-month."
                ]
            },
        ),
        ({"period": "Today"}, {"period": ...}),
        # A bad period is refused even where start/end would win.
        ({"period": "month", "start": "2026-02-01", "end": "2026-02-02"}, {"period": ...}),
        (
            {"start": "2026-02-30", "end": "2026-03-01"},
            {"start": ["The start must be a valid date (YYYY-MM-DD)."]},
        ),
        ({"start": "03/02/2026"}, {"start": ...}),
        ({"start": "20260302"}, {"start": ...}),
        ({"start": "2026-W10-1"}, {"start": ...}),
        ({"start": "2026-03-02T10:00:00Z"}, {"start": ...}),
        (
            {"start": "2026-02-01", "end": "tomorrow"},
            {"end": ["The end must be a valid date (YYYY-MM-DD)."]},
        ),
        ({"from": "2026-02-01", "to": "2026-13-01"}, {"end": ...}),
        ({"start": "x", "end": "y"}, {"start": ..., "end": ...}),
        ({"end": "2026-03-01"}, {"start": ["The start is required when an end is given."]}),
        ({"to": "nope"}, {"start": ..., "end": ...}),
        (
            {"start": "2026-03-02", "end": "2026-03-01"},
            {"end": ["The end must be a date after or equal to start."]},
        ),
        (
            {"start": "2026-03-05"},
            {"start": ["The start may not be after today when no end is given."]},
        ),
        ({"period": "nope", "start": "bad"}, {"period": ..., "start": ...}),
    ],
)
def test_refusals_name_the_field(params: dict[str, str], errors: dict[str, object]) -> None:
    got = refused(q(**params))
    assert set(got) == set(errors)
    for name, messages in errors.items():
        if messages is not ...:
            assert got[name] == messages


def test_parameters_parse() -> None:
    query = AnalyticsQuery.model_validate(
        {
            "company_slug": " acme ",
            "project_slug": "web-app",
            "users": "alice, 7,,bob ,alice, ",
            "report_type": "by_week",
            "hourly_rate": "80.50",
            "format": "csv",
            "scope": "team",  # the CLI's; ignored
            "include": "",
        }
    )
    assert query.company_slug == "acme"
    assert query.project_slug == "web-app"
    assert query.users == ("alice", "7", "bob")
    assert query.report_type == "by_week"
    assert query.hourly_rate == Decimal("80.50")
    assert query.format == "csv"


def test_blank_values_are_absent_and_defaults_apply() -> None:
    query = q(project_slug="", users=" , ", report_type="", hourly_rate=" ", format="", start="")
    assert query == AnalyticsQuery()
    assert query.project_slug is None
    assert query.users == ()
    assert query.report_type == "summary"
    assert query.hourly_rate is None
    assert query.format is None
    assert query.start is None


def test_an_aiohttp_query_mapping_keeps_the_first_of_repeated_keys() -> None:
    raw = MultiDictProxy(
        MultiDict([("users", "a,b"), ("users", "c"), ("from", "2026-01-01"), ("to", "")])
    )
    query = AnalyticsQuery.model_validate(raw)
    assert query.users == ("a", "b")
    assert query.start == "2026-01-01"
    assert query.end is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"report_type": "by_month"}, "report_type"),
        ({"hourly_rate": "-1"}, "hourly_rate"),
        ({"hourly_rate": "ten"}, "hourly_rate"),
        ({"hourly_rate": "NaN"}, "hourly_rate"),
        ({"hourly_rate": "Infinity"}, "hourly_rate"),
        ({"hourly_rate": "1000000001"}, "hourly_rate"),
        ({"format": "xml"}, "format"),
    ],
)
def test_bad_values_are_pydantic_errors_on_their_field(params: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        AnalyticsQuery.model_validate(params)
    assert list(field_errors_from(caught.value)) == [field]


def test_a_rate_of_zero_is_allowed() -> None:
    assert q(hourly_rate="0").hourly_rate == Decimal(0)
