"""A manual entry's span (pure): both ends given, or a typed duration on a date."""

import datetime as dt
from dataclasses import dataclass

from gateway.errors import ValidationFailed
from gateway.rounding import hours_for, rounded_minutes
from gateway.timers.durations import duration_seconds
from gateway.timers.models import Portion, StartRequest
from gateway.timers.rules import (
    EntryPlan,
    as_aware,
    checked_end,
    checked_manual_span,
    plan_portions,
)


@dataclass(frozen=True)
class ManualSpan:
    started_at: dt.datetime
    ended_at: dt.datetime
    portions: tuple[Portion, ...]


def is_manual(request: StartRequest) -> bool:
    return any(v is not None for v in (request.started_at, request.ended_at, request.duration))


def manual_span(request: StartRequest, now: dt.datetime, plan: EntryPlan) -> ManualSpan:
    if request.duration is not None:
        return duration_span(request, now, plan)
    if request.started_at is None or request.ended_at is None:
        missing = "started_at" if request.started_at is None else "ended_at"
        raise ValidationFailed(
            "A manual entry needs both started_at and ended_at, or a duration.",
            {missing: ["Required when the other end is given."]},
        )
    started_at = as_aware(request.started_at, plan.zone, "started_at")
    ended_at = checked_end(
        started_at, as_aware(request.ended_at, plan.zone, "ended_at"), now, "ended_at"
    )
    checked_manual_span(started_at, ended_at)
    return ManualSpan(started_at, ended_at, plan_portions(started_at, ended_at, plan))


def duration_span(request: StartRequest, now: dt.datetime, plan: EntryPlan) -> ManualSpan:
    """A `duration` on `date` (default: today in GATEWAY_TIMEZONE): one entry on that day, its
    span shown from the day's start. Never split at midnight: the date is the one asked for."""
    assert request.duration is not None
    if request.started_at is not None or request.ended_at is not None:
        field = "started_at" if request.started_at is not None else "ended_at"
        raise ValidationFailed(
            "Give a duration or both ends, not both.",
            {field: ["Not allowed with duration."]},
        )
    today = now.astimezone(plan.zone).date()
    day = request.date or today
    if day > today:
        raise ValidationFailed("The date is in the future.", {"date": ["Must not be after today."]})
    seconds = duration_seconds(request.duration)
    started_at = dt.datetime.combine(day, dt.time(0), tzinfo=plan.zone).astimezone(dt.UTC)
    minutes = rounded_minutes(seconds, plan.rounding)
    portion = Portion(spent_on=day, minutes=minutes, hours=hours_for(minutes))
    return ManualSpan(started_at, started_at + dt.timedelta(seconds=seconds), (portion,))
