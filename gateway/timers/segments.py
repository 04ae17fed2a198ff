"""A timer's working segments (pure): what pausing leaves, clipping to an end, and the cap."""

import datetime as dt
from collections.abc import Sequence
from fractions import Fraction
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from gateway.timers.daysplit import local_days

_ONE_US = dt.timedelta(microseconds=1)


class Segment(BaseModel):
    """One stretch of work between a start (or resume) and a pause (or stop)."""

    model_config = ConfigDict(frozen=True)

    started_at: dt.datetime
    ended_at: dt.datetime

    @property
    def seconds(self) -> Fraction:
        return Fraction((self.ended_at - self.started_at) // _ONE_US, 1_000_000)


Work = tuple[Segment, ...]


def running_work(
    started_at: dt.datetime,
    segments: Work,
    resumed_at: dt.datetime | None,
    paused_at: dt.datetime | None,
    now: dt.datetime,
) -> Work:
    """A running timer's work until `now`: its closed segments, and the open one unless it is
    paused. A timer never paused (or stored before pausing existed) has one open segment from
    its start."""
    if paused_at is not None:
        return segments
    since = resumed_at or started_at
    return (*segments, Segment(started_at=since, ended_at=max(now, since)))


def worked_seconds(work: Sequence[Segment]) -> Fraction:
    return sum((s.seconds for s in work), Fraction(0))


def clipped(work: Sequence[Segment], end: dt.datetime) -> Work:
    """The work up to `end` (an explicit end given on stop): later segments dropped, the one
    across it cut. An end before every segment keeps a zero-length first one."""
    kept = tuple(
        s.model_copy(update={"ended_at": min(s.ended_at, end)}) for s in work if s.started_at < end
    )
    if kept or not work:
        return kept
    return (Segment(started_at=work[0].started_at, ended_at=work[0].started_at),)


def capped(work: Sequence[Segment], limit_s: int) -> Work:
    """The work until its total reaches `limit_s` seconds (the rest is not counted)."""
    left = Fraction(limit_s)
    kept: list[Segment] = []
    for segment in work:
        if kept and left == 0:
            break
        if segment.seconds <= left:
            kept.append(segment)
            left -= segment.seconds
            continue
        cut = segment.started_at + dt.timedelta(microseconds=int(left * 1_000_000))
        kept.append(segment.model_copy(update={"ended_at": cut}))
        break
    return tuple(kept)


def is_over(work: Sequence[Segment], limit_s: int) -> bool:
    """Whether the work ran longer than the limit (0: no limit)."""
    return limit_s > 0 and worked_seconds(work) > limit_s


def day_seconds(work: Sequence[Segment], zone: ZoneInfo) -> list[tuple[dt.date, Fraction]]:
    """The seconds worked on each local day, in day order (for splitting at midnight). Work of
    no length at all counts for the day it started."""
    days: dict[dt.date, Fraction] = {}
    for segment in work:
        if segment.seconds == 0:
            continue
        for day, seconds in local_days(segment.started_at, segment.ended_at, zone):
            days[day] = days.get(day, Fraction(0)) + seconds
    if not days and work:
        days[work[0].started_at.astimezone(zone).date()] = Fraction(0)
    return sorted(days.items())
