"""Aggregations over time entries (pure)."""

import datetime as dt
import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import TypeVar

from pydantic import BaseModel, ConfigDict

from gateway.analytics.records import DateRange, Entry
from gateway.timers.models import JsonHours

_ZERO = Decimal(0)

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


class ContributorHours(BaseModel):
    model_config = ConfigDict(frozen=True)

    username: str | None
    name: str
    hours: JsonHours


class NamedHours(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    hours: JsonHours


class DayHours(BaseModel):
    model_config = ConfigDict(frozen=True)

    date: dt.date
    hours: JsonHours


class AnalyticsSummary(BaseModel):
    """GET /time-trackings/analytics."""

    model_config = ConfigDict(frozen=True)

    total_hours: JsonHours
    average_daily_hours: JsonHours
    top_contributors: list[ContributorHours]
    by_task_type: list[NamedHours]
    by_activity: list[NamedHours]
    trend: list[DayHours]


class TeamMember(BaseModel):
    model_config = ConfigDict(frozen=True)

    username: str | None
    name: str
    total_hours: JsonHours
    tasks_tracked: int
    entries: int
    last_entry_on: dt.date


class TeamSummary(BaseModel):
    """GET /time-trackings/team."""

    model_config = ConfigDict(frozen=True)

    team_members: list[TeamMember]


def recorded_within(entries: Iterable[Entry], days: DateRange) -> list[Entry]:
    """The recorded entries counted on a day of the range.

    The running timer is left out: it is not in Redmine yet and its hours change every second,
    so every aggregate counts recorded time only (the timeline still shows it).
    """
    return [e for e in entries if not e.is_running and days.start <= e.spent_on <= days.end]


def half_up(value: Fraction | Decimal | int, places: int) -> Decimal:
    """`value` rounded to `places` decimals, halves away from zero (values here are >= 0)."""
    scaled = Fraction(value) * 10**places
    magnitude = math.floor(abs(scaled) + Fraction(1, 2))
    return Decimal(magnitude if scaled >= 0 else -magnitude).scaleb(-places)


def total_hours(entries: Iterable[Entry]) -> Decimal:
    return sum((e.hours for e in entries), _ZERO)


def group_by(items: Iterable[T], key: Callable[[T], K]) -> dict[K, list[T]]:
    """Items by `key`, in first-seen order."""
    groups: dict[K, list[T]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return groups


def name_order(name: str) -> tuple[str, str]:
    """Sort key for people and labels: case-insensitive, then exact for a stable order."""
    return name.casefold(), name


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
