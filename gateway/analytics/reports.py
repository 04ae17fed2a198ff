"""Time reports: recorded hours grouped one way per report type, as rows or CSV (pure)."""

import csv
import datetime as dt
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from gateway.analytics.compute import (
    by_person,
    group_by,
    half_up,
    name_order,
    recorded_within,
    total_hours,
)
from gateway.analytics.query import ReportType
from gateway.analytics.records import NO_ISSUE, DateRange, Entry
from gateway.timers.models import JsonHours


class _Measured(BaseModel):
    """Base of rows and totals."""

    model_config = ConfigDict(frozen=True)


def _is_absent(value: object) -> bool:
    return value is None


# `amount` is left out entirely when no hourly rate was given. A field-level rule rather than a
# model serializer, so that the answer's JSON schema still lists every field (the contract).
Amount = Annotated[JsonHours | None, Field(exclude_if=_is_absent)]


# Each row lists its key columns first, then the measures: that is also the CSV column order.
class SummaryRow(_Measured):
    label: Literal["total"]
    hours: JsonHours
    entries: int
    amount: Amount = None


class UserRow(_Measured):
    username: str | None
    name: str
    hours: JsonHours
    entries: int
    amount: Amount = None


class TaskRow(_Measured):
    issue_id: int | None
    subject: str | None
    tracker: str
    hours: JsonHours
    entries: int
    amount: Amount = None


class ActivityRow(_Measured):
    activity: str
    hours: JsonHours
    entries: int
    amount: Amount = None


class DayRow(_Measured):
    date: dt.date
    hours: JsonHours
    entries: int
    amount: Amount = None


class WeekRow(_Measured):
    week_start: dt.date
    hours: JsonHours
    entries: int
    amount: Amount = None


class ReportTotals(_Measured):
    hours: JsonHours
    entries: int
    amount: Amount = None


ReportRow = SummaryRow | UserRow | TaskRow | ActivityRow | DayRow | WeekRow


class Report(BaseModel):
    """GET /time-trackings/reports."""

    model_config = ConfigDict(frozen=True)

    report_type: ReportType
    rows: list[ReportRow]
    totals: ReportTotals


@dataclass(frozen=True)
class _Tally:
    hours: Decimal
    entries: int
    amount: Decimal | None


def _tally(group: Sequence[Entry], rate: Decimal | None) -> _Tally:
    hours = total_hours(group)
    return _Tally(hours, len(group), None if rate is None else half_up(hours * rate, 2))


Builder = Callable[[Sequence[Entry], Decimal | None], list[ReportRow]]


def _summary(entries: Sequence[Entry], rate: Decimal | None) -> list[ReportRow]:
    t = _tally(entries, rate)
    return [SummaryRow(label="total", hours=t.hours, entries=t.entries, amount=t.amount)]


def _by_user(entries: Sequence[Entry], rate: Decimal | None) -> list[ReportRow]:
    rows: list[ReportRow] = []
    for group in by_person(entries):
        t = _tally(group, rate)
        person = group[0].user
        rows.append(
            UserRow(
                username=person.username,
                name=person.name,
                hours=t.hours,
                entries=t.entries,
                amount=t.amount,
            )
        )
    return rows


def _by_task(entries: Sequence[Entry], rate: Decimal | None) -> list[ReportRow]:
    rows: list[TaskRow] = []
    for issue_id, group in group_by(entries, lambda e: e.issue_id).items():
        t = _tally(group, rate)
        first = group[0]
        rows.append(
            TaskRow(
                issue_id=issue_id,
                subject=NO_ISSUE if issue_id is None else first.issue_subject,
                tracker=first.tracker,
                hours=t.hours,
                entries=t.entries,
                amount=t.amount,
            )
        )
    # Most hours first; on a tie the lower issue number, and the "(no issue)" row last.
    rows.sort(key=lambda r: (-r.hours, r.issue_id is None, r.issue_id or 0))
    return list(rows)


def _by_activity(entries: Sequence[Entry], rate: Decimal | None) -> list[ReportRow]:
    rows: list[ActivityRow] = []
    for activity, group in group_by(entries, lambda e: e.activity).items():
        t = _tally(group, rate)
        rows.append(
            ActivityRow(activity=activity, hours=t.hours, entries=t.entries, amount=t.amount)
        )
    rows.sort(key=lambda r: (-r.hours, *name_order(r.activity)))
    return list(rows)


def _by_day(entries: Sequence[Entry], rate: Decimal | None) -> list[ReportRow]:
    # Chronological, and only days with entries: the analytics trend is where zeros show.
    rows: list[ReportRow] = []
    groups = group_by(entries, lambda e: e.spent_on)
    for day in sorted(groups):
        t = _tally(groups[day], rate)
        rows.append(DayRow(date=day, hours=t.hours, entries=t.entries, amount=t.amount))
    return rows


def _by_week(entries: Sequence[Entry], rate: Decimal | None) -> list[ReportRow]:
    # ISO weeks, named by their Monday, chronological, only weeks with entries.
    rows: list[ReportRow] = []
    groups = group_by(entries, lambda e: e.spent_on - dt.timedelta(days=e.spent_on.weekday()))
    for monday in sorted(groups):
        t = _tally(groups[monday], rate)
        rows.append(WeekRow(week_start=monday, hours=t.hours, entries=t.entries, amount=t.amount))
    return rows


_BUILDERS: Mapping[ReportType, Builder] = {
    "summary": _summary,
    "by_user": _by_user,
    "by_task": _by_task,
    "by_activity": _by_activity,
    "by_day": _by_day,
    "by_week": _by_week,
}
_ROW_TYPES: Mapping[ReportType, type[_Measured]] = {
    "summary": SummaryRow,
    "by_user": UserRow,
    "by_task": TaskRow,
    "by_activity": ActivityRow,
    "by_day": DayRow,
    "by_week": WeekRow,
}


def report(
    entries: Sequence[Entry], days: DateRange, report_type: ReportType, hourly_rate: Decimal | None
) -> Report:
    """The recorded entries of the range, one row per group of `report_type`, and totals.

    summary: one row labelled "total" (even for an empty range); by_user: per person, most
    hours first, then by name; by_task: per issue, most hours first, then by issue number,
    entries without an issue in one "(no issue)" row; by_activity: most hours first, then by
    name; by_day and by_week (named by its Monday): in date order, only those with entries.
    `amount` = hours x hourly_rate, rounded half up to cents, in rows and totals only when a
    rate is given; the totals' amount is the sum of the rows' amounts, so a report adds up.
    """
    counted = recorded_within(entries, days)
    rows = _BUILDERS[report_type](counted, hourly_rate)
    amount = (
        None if hourly_rate is None else sum((r.amount or Decimal(0) for r in rows), Decimal(0))
    )
    totals = ReportTotals(hours=total_hours(counted), entries=len(counted), amount=amount)
    return Report(report_type=report_type, rows=rows, totals=totals)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def report_csv(report: Report) -> str:
    """The report's rows as CSV (RFC 4180: CRLF, minimal quoting) under a header line.

    The columns are the rows' JSON members, in order; numbers are plain decimals (hours without
    trailing zeros, amounts with two decimals), dates ISO, and an absent value an empty cell.
    """
    columns = [
        name
        for name in _ROW_TYPES[report.report_type].model_fields
        if name != "amount" or report.totals.amount is not None
    ]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in report.rows:
        writer.writerow(_cell(name, getattr(row, name)) for name in columns)
    return out.getvalue()


def _cell(name: str, value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        # normalize() drops trailing zeros but may leave an exponent (1E+1): "f" writes it out.
        return format(value if name == "amount" else value.normalize(), "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    # A subject or name starting like a formula would run as one in a spreadsheet (OWASP).
    return "'" + text if text.startswith(FORMULA_STARTS) else text
