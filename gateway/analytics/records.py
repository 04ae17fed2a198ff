"""The slim records analytics read: one per time entry, and the date range asked for."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

NO_ISSUE = "(no issue)"


@dataclass(frozen=True, slots=True)
class DateRange:
    """Whole days in the gateway's zone, both ends included."""

    start: dt.date
    end: dt.date

    @property
    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=n) for n in range((self.end - self.start).days + 1)]


@dataclass(frozen=True, slots=True)
class Person:
    user_id: int
    username: str | None  # the login; None when Redmine hides it from the caller
    name: str


@dataclass(frozen=True, slots=True)
class Entry:
    """A time entry as analytics see it, enriched with what the gateway knows.

    `started_at`/`ended_at` are known only for entries the gateway's timers made; entries
    logged in Redmine directly count toward totals but not toward focus or switches.
    `is_running` marks the caller's running timer (hours so far, not in Redmine yet).
    """

    entry_id: int
    user: Person
    issue_id: int | None
    issue_subject: str | None
    tracker: str  # NO_ISSUE when the entry has no issue
    issue_closed: bool
    activity: str
    hours: Decimal
    spent_on: dt.date
    comments: str
    started_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    is_running: bool = False
    # The id /time-trackings shows for this entry when a gateway timer made it (the timer's).
    timer_id: int | None = None

    @property
    def tracking_id(self) -> int:
        return self.timer_id if self.timer_id is not None else self.entry_id
