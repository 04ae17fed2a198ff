"""The timeline: entries in chronological order, grouped by local day (pure)."""

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from gateway.analytics.compute import group_by
from gateway.analytics.records import Entry
from gateway.timers.models import JsonHours, UserView

# Sorts entries without a start time before every timed entry of their day.
_BEFORE_ALL = dt.datetime.min.replace(tzinfo=dt.UTC)


class TimelineItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    task_uuid: str | None
    issue_id: int | None
    subject: str | None
    user: UserView
    activity: str
    hours: JsonHours
    spent_on: dt.date
    description: str
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    is_running: bool


class TimelineDay(BaseModel):
    model_config = ConfigDict(frozen=True)

    date: dt.date
    entries: list[TimelineItem]


class Timeline(BaseModel):
    """GET /time-trackings/timeline."""

    model_config = ConfigDict(frozen=True)

    days: list[TimelineDay]


def timeline(entries: Sequence[Entry], zone: ZoneInfo) -> Timeline:
    """Every entry given, by day ascending, chronological within a day.

    A timed entry belongs to the local day (`zone`) its timer started on, any other entry to
    its spent_on. Within a day: entries without a start time first (by id: Redmine knows only
    their day), then timed ones by start, and the running timer last, with ended_at null.
    Only days with entries appear.
    """
    by_day = group_by(entries, lambda e: _day(e, zone))
    return Timeline(
        days=[
            TimelineDay(date=day, entries=[_item(e) for e in sorted(by_day[day], key=_order)])
            for day in sorted(by_day)
        ]
    )


def _day(entry: Entry, zone: ZoneInfo) -> dt.date:
    if entry.started_at is None:
        return entry.spent_on
    return entry.started_at.astimezone(zone).date()


def _order(entry: Entry) -> tuple[bool, dt.datetime, int]:
    return entry.is_running, entry.started_at or _BEFORE_ALL, entry.entry_id


def _item(entry: Entry) -> TimelineItem:
    return TimelineItem(
        id=entry.tracking_id,
        task_uuid=None if entry.issue_id is None else str(entry.issue_id),
        issue_id=entry.issue_id,
        subject=entry.issue_subject,
        user=UserView(username=entry.user.username, name=entry.user.name),
        activity=entry.activity,
        hours=entry.hours,
        spent_on=entry.spent_on,
        description=entry.comments,
        started_at=entry.started_at,
        ended_at=None if entry.is_running else entry.ended_at,
        is_running=entry.is_running,
    )
