"""Time reports: recorded hours grouped one way per report type, as rows or CSV (pure)."""

import csv
import datetime as dt
import io
from collections.abc import Callable, Hashable, Iterable, Mapping
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from gateway.analytics.compute import half_up, name_order
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


class _Group:
    """One row's running figures, and its first entry for the row's labels."""

    __slots__ = ("entries", "first", "hours")

    def __init__(self, first: Entry) -> None:
        self.first = first
        self.hours = Decimal(0)
        self.entries = 0


Groups = Mapping[Hashable, _Group]


def _amount(hours: Decimal, rate: Decimal | None) -> Decimal | None:
    return None if rate is None else half_up(hours * rate, 2)


def _by_user(groups: Groups, rate: Decimal | None) -> list[ReportRow]:
    ordered = sorted(
        groups.values(),
        key=lambda g: (-g.hours, *name_order(g.first.user.name), g.first.user.user_id),
    )
    return [
        UserRow(
            username=g.first.user.username,
            name=g.first.user.name,
            hours=g.hours,
            entries=g.entries,
            amount=_amount(g.hours, rate),
        )
        for g in ordered
    ]


def _by_task(groups: Groups, rate: Decimal | None) -> list[ReportRow]:
    rows = [
        TaskRow(
            issue_id=g.first.issue_id,
            subject=NO_ISSUE if g.first.issue_id is None else g.first.issue_subject,
            tracker=g.first.tracker,
            hours=g.hours,
            entries=g.entries,
            amount=_amount(g.hours, rate),
        )
        for g in groups.values()
    ]
    # Most hours first; on a tie the lower issue number, and the "(no issue)" row last.
    rows.sort(key=lambda r: (-r.hours, r.issue_id is None, r.issue_id or 0))
    return list(rows)


def _by_activity(groups: Groups, rate: Decimal | None) -> list[ReportRow]:
    rows = [
        ActivityRow(
            activity=g.first.activity,
            hours=g.hours,
            entries=g.entries,
            amount=_amount(g.hours, rate),
        )
        for g in groups.values()
    ]
    rows.sort(key=lambda r: (-r.hours, *name_order(r.activity)))
    return list(rows)


def _by_day(groups: Groups, rate: Decimal | None) -> list[ReportRow]:
    # Chronological, and only days with entries: the analytics trend is where zeros show.
    return [
        DayRow(date=day, hours=g.hours, entries=g.entries, amount=_amount(g.hours, rate))
        for day, g in sorted(groups.items(), key=_first)
    ]


def _by_week(groups: Groups, rate: Decimal | None) -> list[ReportRow]:
    # ISO weeks, named by their Monday, chronological, only weeks with entries.
    return [
        WeekRow(week_start=monday, hours=g.hours, entries=g.entries, amount=_amount(g.hours, rate))
        for monday, g in sorted(groups.items(), key=_first)
    ]


def _first(item: tuple[Any, _Group]) -> Any:
    return item[0]


def _monday(entry: Entry) -> dt.date:
    return entry.spent_on - dt.timedelta(days=entry.spent_on.weekday())


Builder = Callable[[Groups, Decimal | None], list[ReportRow]]
_BUILDERS: Mapping[ReportType, tuple[Callable[[Entry], Hashable], Builder]] = {
    "by_user": (lambda e: e.user.user_id, _by_user),
    "by_task": (lambda e: e.issue_id, _by_task),
    "by_activity": (lambda e: e.activity, _by_activity),
    "by_day": (lambda e: e.spent_on, _by_day),
    "by_week": (_monday, _by_week),
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
    entries: Iterable[Entry], days: DateRange, report_type: ReportType, hourly_rate: Decimal | None
) -> Report:
    """The recorded entries of the range, one row per group of `report_type`, and totals.

    summary: one row labelled "total" (even for an empty range); by_user: per person, most
    hours first, then by name; by_task: per issue, most hours first, then by issue number,
    entries without an issue in one "(no issue)" row; by_activity: most hours first, then by
    name; by_day and by_week (named by its Monday): in date order, only those with entries.
    `amount` = hours x hourly_rate, rounded half up to cents, in rows and totals only when a
    rate is given; the totals' amount is the sum of the rows' amounts, so a report adds up.
    """
    tally = ReportTally(days, report_type, hourly_rate)
    for entry in entries:
        tally.add(entry)
    return tally.result()


class ReportTally:
    """report() as a running aggregate: entries added in any order and not kept, one group per
    row (people, issues, activities, days or weeks of the range)."""

    def __init__(
        self, days: DateRange, report_type: ReportType, hourly_rate: Decimal | None
    ) -> None:
        self._days = days
        self._type = report_type
        self._rate = hourly_rate
        self._hours = Decimal(0)
        self._entries = 0
        self._key = _BUILDERS[report_type][0] if report_type in _BUILDERS else None
        self._groups: dict[Hashable, _Group] = {}

    def add(self, entry: Entry) -> None:
        # Recorded entries counted on a day of the range only (see recorded_within).
        if entry.is_running or not self._days.start <= entry.spent_on <= self._days.end:
            return
        self._hours += entry.hours
        self._entries += 1
        if self._key is None:
            return
        key = self._key(entry)
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = _Group(entry)
        group.hours += entry.hours
        group.entries += 1

    def result(self) -> Report:
        rate = self._rate
        if self._type in _BUILDERS:
            rows = _BUILDERS[self._type][1](self._groups, rate)
        else:
            amount = _amount(self._hours, rate)
            rows = [
                SummaryRow(label="total", hours=self._hours, entries=self._entries, amount=amount)
            ]
        total_amount = (
            None if rate is None else sum((r.amount or Decimal(0) for r in rows), Decimal(0))
        )
        totals = ReportTotals(hours=self._hours, entries=self._entries, amount=total_amount)
        return Report(report_type=self._type, rows=rows, totals=totals)


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
