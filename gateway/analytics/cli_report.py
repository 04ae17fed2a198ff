"""The time report in the GitScrum CLI's shape: total seconds, entries, seconds per person."""

import datetime as dt
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from gateway.analytics.compute import recorded_within
from gateway.analytics.productivity import entry_seconds
from gateway.analytics.records import DateRange, Entry

# Entries logged in Redmine directly have no start: within a day they come first.
UNTIMED = dt.datetime.min.replace(tzinfo=dt.UTC)


class CliReportUser(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    username: str | None


class CliReportEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    task_code: str
    task_title: str
    seconds: int
    description: str
    spent_on: dt.date
    user: CliReportUser


class CliReportPerson(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    username: str | None
    seconds: int


class CliReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    total_seconds: int
    entries: list[CliReportEntry]
    by_user: list[CliReportPerson]


class CliReportAnswer(BaseModel):
    """GET /time-trackings/reports for `User-Agent: GitScrum-CLI/…` (JSON only)."""

    model_config = ConfigDict(frozen=True)

    data: CliReport


def cli_report(entries: Sequence[Entry], days: DateRange) -> CliReport:
    """The recorded entries of the range in date order (then start, then id); people by seconds,
    most first, then by name. Seconds are counted as productivity counts them."""
    counted = sorted(
        recorded_within(entries, days),
        key=lambda e: (e.spent_on, e.started_at or UNTIMED, e.tracking_id),
    )
    rows = [cli_entry(entry) for entry in counted]
    people: dict[int, CliReportPerson] = {}
    for entry, row in zip(counted, rows, strict=True):
        person = people.get(entry.user.user_id)
        seconds = row.seconds + (person.seconds if person else 0)
        people[entry.user.user_id] = CliReportPerson(
            name=entry.user.name, username=entry.user.username, seconds=seconds
        )
    return CliReport(
        total_seconds=sum(row.seconds for row in rows),
        entries=rows,
        by_user=sorted(people.values(), key=lambda p: (-p.seconds, p.name)),
    )


def cli_entry(entry: Entry) -> CliReportEntry:
    return CliReportEntry(
        id=entry.tracking_id,
        task_code="" if entry.issue_id is None else f"#{entry.issue_id}",
        task_title=entry.issue_subject or "",
        seconds=entry_seconds(entry),
        description=entry.comments,
        spent_on=entry.spent_on,
        user=CliReportUser(name=entry.user.name, username=entry.user.username),
    )
