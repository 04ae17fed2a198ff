"""The list-based analytics formulas as they were before the running tallies (a test oracle:
every entry held, grouped, then summed), copied from gateway/analytics at 92810bf."""

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from gateway.analytics.compute import (
    AnalyticsSummary,
    ContributorHours,
    DayHours,
    NamedHours,
    TeamMember,
    TeamSummary,
    group_by,
    half_up,
    name_order,
    recorded_within,
    total_hours,
)
from gateway.analytics.productivity import (
    CategorySeconds,
    Productivity,
    _session,
    context_switches,
    focus_seconds,
    score,
)
from gateway.analytics.query import ReportType
from gateway.analytics.records import NO_ISSUE, DateRange, Entry
from gateway.analytics.reports import (
    ActivityRow,
    DayRow,
    Report,
    ReportRow,
    ReportTotals,
    SummaryRow,
    TaskRow,
    UserRow,
    WeekRow,
)

_ZERO = Decimal(0)


def analytics_summary(entries: Sequence[Entry], days: DateRange) -> AnalyticsSummary:
    """Totals, daily average, contributors, trackers, activities and the daily trend."""
    counted = recorded_within(entries, days)
    total = total_hours(counted)
    active_days = len({e.spent_on for e in counted})
    by_day = {day: total_hours(group) for day, group in group_by(counted, _spent_on).items()}
    return AnalyticsSummary(
        total_hours=total,
        average_daily_hours=half_up(Fraction(total) / active_days, 2) if active_days else _ZERO,
        top_contributors=_contributors(counted),
        by_task_type=_ranked(counted, lambda e: e.tracker),
        by_activity=_ranked(counted, lambda e: e.activity),
        trend=[DayHours(date=day, hours=by_day.get(day, _ZERO)) for day in days.days],
    )


def team_summary(entries: Sequence[Entry]) -> TeamSummary:
    """One line per person with recorded time, most hours first."""
    recorded = [e for e in entries if not e.is_running]
    return TeamSummary(
        team_members=[
            TeamMember(
                username=group[0].user.username,
                name=group[0].user.name,
                total_hours=total_hours(group),
                tasks_tracked=len({e.issue_id for e in group if e.issue_id is not None}),
                entries=len(group),
                last_entry_on=max(e.spent_on for e in group),
            )
            for group in by_person(recorded)
        ]
    )


def _spent_on(entry: Entry) -> dt.date:
    return entry.spent_on


def _user_id(entry: Entry) -> int:
    return entry.user.user_id


def by_person(entries: Iterable[Entry]) -> list[list[Entry]]:
    """Entries per person, most hours first, then by name (then id, so ties stay stable)."""
    # Grouped by id, not login: hidden logins are all None, yet they are different people.
    groups = group_by(entries, _user_id)
    ordered = sorted(
        groups.items(),
        key=lambda item: (-total_hours(item[1]), *name_order(item[1][0].user.name), item[0]),
    )
    return [group for _, group in ordered]


def _contributors(entries: Sequence[Entry]) -> list[ContributorHours]:
    return [
        ContributorHours(
            username=group[0].user.username, name=group[0].user.name, hours=total_hours(group)
        )
        for group in by_person(entries)
    ]


def _ranked(entries: Sequence[Entry], key: Callable[[Entry], str]) -> list[NamedHours]:
    totals: Mapping[str, Decimal] = {
        name: total_hours(group) for name, group in group_by(entries, key).items()
    }
    ordered = sorted(totals.items(), key=lambda item: (-item[1], *name_order(item[0])))
    return [NamedHours(name=name, hours=hours) for name, hours in ordered]


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


def entry_seconds(entry: Entry) -> int:
    """A timer's measured length (whole seconds); a direct entry's hours x 3600, half up."""
    session = _session(entry)
    if session is not None:
        return session.seconds
    return int((entry.hours * 3600).to_integral_value(rounding=ROUND_HALF_UP))


def productivity(
    entries: Sequence[Entry], days: DateRange, focus_min_min: int, zone: ZoneInfo
) -> Productivity:
    """Productivity of the recorded entries counted on a day of the range (see the README)."""
    counted = recorded_within(entries, days)
    sessions = [s for s in map(_session, counted) if s is not None]
    total = 0
    per_day: dict[dt.date, int] = {}
    per_activity: dict[str, int] = {}
    for entry in counted:
        seconds = entry_seconds(entry)
        total += seconds
        per_day[entry.spent_on] = per_day.get(entry.spent_on, 0) + seconds
        per_activity[entry.activity] = per_activity.get(entry.activity, 0) + seconds
    timed = sum(s.seconds for s in sessions)
    focus = focus_seconds(sessions, focus_min_min * 60)
    switches = context_switches(sessions, zone)
    return Productivity(
        total_seconds=total,
        timed_seconds=timed,
        focus_seconds=focus,
        context_switches=switches,
        productivity_score=score(focus, timed, switches),
        avg_daily_hours=half_up(Fraction(total, 3600 * len(per_day)), 2) if per_day else Decimal(0),
        # Earliest day on ties: min over (-seconds, day).
        most_productive_day=min(per_day, key=lambda d: (-per_day[d], d)) if per_day else None,
        tasks_completed=len(
            {e.issue_id for e in counted if e.issue_closed and e.issue_id is not None}
        ),
        by_category=[
            CategorySeconds(name=name, seconds=secs)
            for name, secs in sorted(
                per_activity.items(), key=lambda item: (-item[1], *name_order(item[0]))
            )
        ],
    )
