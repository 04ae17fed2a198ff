"""Productivity: tracked time, focus, context switches and the score they make (pure)."""

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from itertools import pairwise
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from gateway.analytics.compute import group_by, half_up, name_order
from gateway.analytics.records import DateRange, Entry
from gateway.timers.models import JsonHours

# Sessions of one task this close together are one uninterrupted stretch: a stop and restart
# within a minute is a pause to post the entry, not an interruption.
MERGE_GAP = dt.timedelta(seconds=60)
# What the score charges per context switch, as if that much focused time were lost.
SWITCH_COST_S = 1800
_ONE_SECOND = dt.timedelta(seconds=1)


class CategorySeconds(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    seconds: int


class Productivity(BaseModel):
    """GET /time-trackings/productivity."""

    model_config = ConfigDict(frozen=True)

    total_seconds: int
    timed_seconds: int
    focus_seconds: int
    context_switches: int
    productivity_score: int
    avg_daily_hours: JsonHours
    most_productive_day: dt.date | None
    tasks_completed: int
    by_category: list[CategorySeconds]


@dataclass(frozen=True)
class Session:
    """One timer's measured interval (an entry with both ends known)."""

    entry_id: int
    user_id: int
    issue_id: int | None
    started_at: dt.datetime
    ended_at: dt.datetime
    seconds: int


def _session(entry: Entry) -> Session | None:
    """The timer session behind an entry; None for entries logged in Redmine directly."""
    start, end = entry.started_at, entry.ended_at
    if start is None or end is None or end < start:
        return None
    return Session(
        entry.entry_id,
        entry.user.user_id,
        entry.issue_id,
        start,
        end,
        (end - start) // _ONE_SECOND,
    )


def entry_seconds(entry: Entry) -> int:
    """A timer's measured length (whole seconds); a direct entry's hours x 3600, half up."""
    session = _session(entry)
    if session is not None:
        return session.seconds
    return int((entry.hours * 3600).to_integral_value(rounding=ROUND_HALF_UP))


def productivity(
    entries: Iterable[Entry], days: DateRange, focus_min_min: int, zone: ZoneInfo
) -> Productivity:
    """Productivity of the recorded entries counted on a day of the range (see the README)."""
    tally = ProductivityTally(days, focus_min_min, zone)
    for entry in entries:
        tally.add(entry)
    return tally.result()


class ProductivityTally:
    """productivity() as a running aggregate: entries added in any order and not kept, only
    the sessions of the gateway's timers (focus and switches need their times)."""

    def __init__(self, days: DateRange, focus_min_min: int, zone: ZoneInfo) -> None:
        self._days = days
        self._threshold_s = focus_min_min * 60
        self._zone = zone
        self._total = 0
        self._per_day: dict[dt.date, int] = {}
        self._per_activity: dict[str, int] = {}
        self._sessions: list[Session] = []
        self._closed: set[int] = set()

    def add(self, entry: Entry) -> None:
        # Recorded entries counted on a day of the range only (see recorded_within).
        if entry.is_running or not self._days.start <= entry.spent_on <= self._days.end:
            return
        session = _session(entry)
        if session is not None:
            self._sessions.append(session)
            seconds = session.seconds
        else:
            seconds = int((entry.hours * 3600).to_integral_value(rounding=ROUND_HALF_UP))
        self._total += seconds
        self._per_day[entry.spent_on] = self._per_day.get(entry.spent_on, 0) + seconds
        self._per_activity[entry.activity] = self._per_activity.get(entry.activity, 0) + seconds
        if entry.issue_closed and entry.issue_id is not None:
            self._closed.add(entry.issue_id)

    def result(self) -> Productivity:
        sessions, per_day, total = self._sessions, self._per_day, self._total
        timed = sum(s.seconds for s in sessions)
        focus = focus_seconds(sessions, self._threshold_s)
        switches = context_switches(sessions, self._zone)
        return Productivity(
            total_seconds=total,
            timed_seconds=timed,
            focus_seconds=focus,
            context_switches=switches,
            productivity_score=score(focus, timed, switches),
            avg_daily_hours=(
                half_up(Fraction(total, 3600 * len(per_day)), 2) if per_day else Decimal(0)
            ),
            # Earliest day on ties: min over (-seconds, day).
            most_productive_day=min(per_day, key=lambda d: (-per_day[d], d)) if per_day else None,
            tasks_completed=len(self._closed),
            by_category=[
                CategorySeconds(name=name, seconds=secs)
                for name, secs in sorted(
                    self._per_activity.items(), key=lambda item: (-item[1], *name_order(item[0]))
                )
            ],
        )


def focus_seconds(sessions: Iterable[Session], threshold_s: int) -> int:
    """Seconds in uninterrupted stretches of at least `threshold_s`.

    Per user, in start order, a session continues the stretch before it when it is on the
    same issue and starts at most MERGE_GAP after that stretch ended (midnight does not break
    it). A stretch's length is the sum of its sessions, so the short gaps never count.
    """
    focused = 0
    for user_sessions in group_by(sessions, lambda s: s.user_id).values():
        stretch_s = 0
        last: Session | None = None  # the stretch's issue, and its latest end so far
        for session in sorted(user_sessions, key=_start_order):
            if last is not None and _continues(last, session):
                stretch_s += session.seconds
                last = session if session.ended_at > last.ended_at else last
                continue
            focused += stretch_s if stretch_s >= threshold_s else 0
            stretch_s, last = session.seconds, session
        focused += stretch_s if stretch_s >= threshold_s else 0
    return focused


def _start_order(session: Session) -> tuple[dt.datetime, int]:
    return session.started_at, session.entry_id


def _continues(previous: Session, session: Session) -> bool:
    return (
        session.issue_id == previous.issue_id
        and session.started_at - previous.ended_at <= MERGE_GAP
    )


def context_switches(sessions: Iterable[Session], zone: ZoneInfo) -> int:
    """Changes of issue between one user's consecutive sessions that start on the same day.

    Days are local days in `zone`; the first session of a day is never a switch.
    """
    switches = 0
    day_of_user = group_by(sessions, lambda s: (s.user_id, s.started_at.astimezone(zone).date()))
    for day_sessions in day_of_user.values():
        ordered = sorted(day_sessions, key=_start_order)
        switches += sum(a.issue_id != b.issue_id for a, b in pairwise(ordered))
    return switches


def score(focus_s: int, timed_s: int, switches: int) -> int:
    """round(100 x focus / (timed + SWITCH_COST_S x switches)), half up; 0 when nothing timed.

    Focus share of the timed sessions, with every context switch charged as SWITCH_COST_S of
    extra unfocused time: more focus raises it, more switches lower it, and it stays in 0..100
    because focus never exceeds timed time.
    """
    if timed_s <= 0:
        return 0
    return math.floor(Fraction(100 * focus_s, timed_s + SWITCH_COST_S * switches) + Fraction(1, 2))
