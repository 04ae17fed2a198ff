"""Aggregations over time entries (pure)."""

import datetime as dt
import math
from collections.abc import Callable, Hashable, Iterable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import TypeVar

from pydantic import BaseModel, ConfigDict

from gateway.analytics.records import DateRange, Entry, Person
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


def analytics_summary(entries: Iterable[Entry], days: DateRange) -> AnalyticsSummary:
    """Totals, daily average, contributors, trackers, activities and the daily trend."""
    tally = SummaryTally(days)
    for entry in entries:
        tally.add(entry)
    return tally.result()


class SummaryTally:
    """analytics_summary as a running aggregate: entries are added one by one (in any order)
    and not kept; what it holds grows with the people, labels and days, not the entries."""

    def __init__(self, days: DateRange) -> None:
        self._days = days
        self._total = _ZERO
        self._by_day: dict[dt.date, Decimal] = {}
        self._people: dict[int, PersonHours] = {}
        self._trackers: dict[str, Decimal] = {}
        self._activities: dict[str, Decimal] = {}

    def add(self, entry: Entry) -> None:
        # Recorded entries counted on a day of the range only (see recorded_within).
        if entry.is_running or not self._days.start <= entry.spent_on <= self._days.end:
            return
        hours = entry.hours
        self._total += hours
        self._by_day[entry.spent_on] = self._by_day.get(entry.spent_on, _ZERO) + hours
        self._trackers[entry.tracker] = self._trackers.get(entry.tracker, _ZERO) + hours
        self._activities[entry.activity] = self._activities.get(entry.activity, _ZERO) + hours
        person = self._people.get(entry.user.user_id)
        if person is None:
            person = self._people[entry.user.user_id] = PersonHours(entry.user)
        person.hours += hours

    def result(self) -> AnalyticsSummary:
        total, by_day = self._total, self._by_day
        return AnalyticsSummary(
            total_hours=total,
            average_daily_hours=half_up(Fraction(total) / len(by_day), 2) if by_day else _ZERO,
            top_contributors=[
                ContributorHours(username=p.person.username, name=p.person.name, hours=p.hours)
                for p in most_hours_first(self._people.values())
            ],
            by_task_type=_ranked_totals(self._trackers),
            by_activity=_ranked_totals(self._activities),
            trend=[DayHours(date=day, hours=by_day.get(day, _ZERO)) for day in self._days.days],
        )


class PersonHours:
    """One person's running figures: hours, entries, issues and last day (team, reports)."""

    __slots__ = ("entries", "hours", "issues", "last_entry_on", "person")

    def __init__(self, person: Person) -> None:
        self.person = person
        self.hours = _ZERO
        self.entries = 0
        self.issues: set[int] = set()
        self.last_entry_on = dt.date.min


def most_hours_first(people: Iterable[PersonHours]) -> list[PersonHours]:
    """People most hours first, then by name, then by id (ties stay stable)."""
    return sorted(people, key=lambda p: (-p.hours, *name_order(p.person.name), p.person.user_id))


def team_summary(entries: Iterable[Entry]) -> TeamSummary:
    """One line per person with recorded time, most hours first."""
    tally = TeamTally()
    for entry in entries:
        tally.add(entry)
    return tally.result()


class TeamTally:
    """team_summary as a running aggregate (entries added in any order, not kept)."""

    def __init__(self) -> None:
        self._people: dict[int, PersonHours] = {}

    def add(self, entry: Entry) -> None:
        if entry.is_running:
            return
        person = self._people.get(entry.user.user_id)
        if person is None:
            person = self._people[entry.user.user_id] = PersonHours(entry.user)
        person.hours += entry.hours
        person.entries += 1
        if entry.issue_id is not None:
            person.issues.add(entry.issue_id)
        person.last_entry_on = max(person.last_entry_on, entry.spent_on)

    def result(self) -> TeamSummary:
        return TeamSummary(
            team_members=[
                TeamMember(
                    username=p.person.username,
                    name=p.person.name,
                    total_hours=p.hours,
                    tasks_tracked=len(p.issues),
                    entries=p.entries,
                    last_entry_on=p.last_entry_on,
                )
                for p in most_hours_first(self._people.values())
            ]
        )


def _ranked_totals(totals: Mapping[str, Decimal]) -> list[NamedHours]:
    ordered = sorted(totals.items(), key=lambda item: (-item[1], *name_order(item[0])))
    return [NamedHours(name=name, hours=hours) for name, hours in ordered]
