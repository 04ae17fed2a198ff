"""Pure timer rules: when a timer may end, and which entries a stopped timer becomes."""

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from gateway.errors import ValidationFailed
from gateway.rounding import RoundingPolicy, hours_for, rounded_minutes
from gateway.timers.daysplit import allocate, local_days
from gateway.timers.models import Portion, Timer
from gateway.timers.segments import (
    Segment,
    Work,
    capped,
    clipped,
    day_seconds,
    is_over,
    worked_seconds,
)

# Clients' clocks drift: an end this little in the future is taken as "now", and one this little
# before the start (taken by the gateway's clock) as the start.
CLOCK_SKEW = dt.timedelta(seconds=60)
MANUAL_ENTRY_MAX = dt.timedelta(hours=24)


@dataclass(frozen=True)
class EntryPlan:
    rounding: RoundingPolicy
    zone: ZoneInfo
    split_at_midnight: bool
    # GATEWAY_MAX_TIMER_HOURS in seconds (0: no limit).
    max_timer_s: int = 0
    billable_field_id: int | None = None


def as_aware(moment: dt.datetime, zone: ZoneInfo, field: str) -> dt.datetime:
    """A time without an offset is read in the gateway's zone; everything is kept in UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    try:
        return moment.astimezone(dt.UTC)
    except OverflowError as exc:  # e.g. 0001-01-01T00:30+01:00 is before year 1 in UTC
        raise ValidationFailed(
            "The time is out of range.", {field: ["Must be a time between years 1 and 9999."]}
        ) from exc


def checked_end(
    started_at: dt.datetime, ended_at: dt.datetime, now: dt.datetime, field: str
) -> dt.datetime:
    if ended_at < started_at - CLOCK_SKEW:
        raise ValidationFailed(
            "The end is before the start.", {field: ["Must not be before the start."]}
        )
    if ended_at > now + CLOCK_SKEW:
        raise ValidationFailed("The end is in the future.", {field: ["Must not be in the future."]})
    return max(started_at, min(ended_at, now))


def checked_manual_span(started_at: dt.datetime, ended_at: dt.datetime) -> None:
    if ended_at <= started_at:
        raise ValidationFailed(
            "A manual entry must end after it starts.", {"ended_at": ["Must be after started_at."]}
        )
    if ended_at - started_at > MANUAL_ENTRY_MAX:
        raise ValidationFailed(
            "A manual entry spans at most 24 hours.",
            {"ended_at": ["Must be within 24 hours of started_at."]},
        )


def plan_portions(
    started_at: dt.datetime, ended_at: dt.datetime, plan: EntryPlan
) -> tuple[Portion, ...]:
    seconds = (ended_at - started_at).total_seconds()
    total = rounded_minutes(seconds, plan.rounding)
    if not plan.split_at_midnight:
        day = started_at.astimezone(plan.zone).date()
        return (Portion(spent_on=day, minutes=total, hours=hours_for(total)),)
    days = local_days(started_at, ended_at, plan.zone)
    return tuple(
        Portion(spent_on=p.day, minutes=p.minutes, hours=hours_for(p.minutes))
        for p in allocate(total, plan.rounding.increment_min, days)
    )


def plan_work(work: Work, plan: EntryPlan) -> tuple[Portion, ...]:
    """The entries of a timer's working segments: their rounded sum, on the day work started
    (or split over the days worked, at midnight). One unpaused segment plans exactly as
    `plan_portions` over its start and end."""
    total = rounded_minutes(worked_seconds(work), plan.rounding)
    if not plan.split_at_midnight:
        day = work[0].started_at.astimezone(plan.zone).date()
        return (Portion(spent_on=day, minutes=total, hours=hours_for(total)),)
    return tuple(
        Portion(spent_on=p.day, minutes=p.minutes, hours=hours_for(p.minutes))
        for p in allocate(total, plan.rounding.increment_min, day_seconds(work, plan.zone))
    )


def keep_posted(earlier: tuple[Portion, ...], planned: tuple[Portion, ...]) -> tuple[Portion, ...]:
    """A re-plan of a stopped timer's portions (a corrected re-post) that keeps every day
    already in Redmine as it was posted: such a day is never posted again, nor forgotten."""
    posted = {p.spent_on: p for p in earlier if p.entry_id is not None}
    days = {p.spent_on: p for p in planned}
    days.update(posted)
    return tuple(days[day] for day in sorted(days))


@dataclass(frozen=True)
class StoppedWork:
    """What a stop makes of a timer's work: its end, the segments it kept (raw, shown) and
    those whose sum is posted (the first ones up to the limit when it is capped)."""

    ended_at: dt.datetime
    work: Work
    counted: Work
    is_capped: bool


def timer_work(
    timer: Timer, end: dt.datetime | None, now: dt.datetime, plan: EntryPlan
) -> StoppedWork:
    """A timer's work as it stops (or a failed one is posted again).

    Without an explicit `end`, a paused timer ends where it paused, and work past
    GATEWAY_MAX_TIMER_HOURS is capped at the limit. An explicit end is taken as given: a timer
    never paused runs up to it, a paused one's segments are cut there.
    """
    work = timer.work(now)
    if end is not None:
        ended_at = checked_end(
            timer.started_at, as_aware(end, plan.zone, "ended_at"), now, "ended_at"
        )
        if len(work) == 1:
            work = (Segment(started_at=work[0].started_at, ended_at=ended_at),)
        else:
            work = clipped(work, ended_at)
        return StoppedWork(ended_at, work, work, is_capped=False)
    if timer.status == "running":
        ended_at = timer.paused_at or now
    else:
        ended_at = timer.ended_at or now
    if is_over(work, plan.max_timer_s):
        return StoppedWork(ended_at, work, capped(work, plan.max_timer_s), is_capped=True)
    return StoppedWork(ended_at, work, work, is_capped=False)
