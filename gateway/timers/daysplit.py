"""Splitting a timed interval into per-day portions in a timezone (pure)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

_ONE_DAY = timedelta(days=1)
_ONE_US = timedelta(microseconds=1)
_US_PER_S = 1_000_000


@dataclass(frozen=True)
class DayPortion:
    """The minutes to post for one local day, with the seconds the timer ran that day.

    Seconds are a ``Fraction``: ``datetime`` differences are whole microseconds, so a Fraction
    holds them exactly and the days' seconds sum exactly to the interval's length.
    """

    day: date
    seconds: Fraction
    minutes: int


def _exact_seconds(delta: timedelta) -> Fraction:
    return Fraction(delta // _ONE_US, _US_PER_S)


def _as_utc(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {moment!r}")
    return moment.astimezone(UTC)


def local_days(
    started_at: datetime, ended_at: datetime, tz: ZoneInfo
) -> list[tuple[date, Fraction]]:
    """The seconds of [started_at, ended_at) falling on each calendar day in ``tz``, in order.

    Days with no seconds are left out, except that a zero-length interval gives
    ``[(start day, 0)]``. A local day can last 23 or 25 hours across a DST change, so each
    midnight is resolved in ``tz`` and everything is compared in UTC (aware datetimes
    sharing a tzinfo compare and subtract by wall time, ignoring ``fold``).
    """
    start = _as_utc(started_at, "started_at")
    end = _as_utc(ended_at, "ended_at")
    if end < start:
        raise ValueError(f"ended_at {ended_at} is before started_at {started_at}")
    day = start.astimezone(tz).date()
    if end == start:
        return [(day, Fraction(0))]
    portions: list[tuple[date, Fraction]] = []
    cursor = start
    while cursor < end:
        # A midnight inside a DST gap resolves (fold=0) to the instant the gap starts, which
        # is when the new day begins; a day skipped entirely thus spans zero seconds.
        next_midnight = datetime.combine(day + _ONE_DAY, time(0), tzinfo=tz).astimezone(UTC)
        segment_end = min(next_midnight, end)
        if segment_end > cursor:
            portions.append((day, _exact_seconds(segment_end - cursor)))
            cursor = segment_end
        day += _ONE_DAY
    return portions


def allocate(
    total_minutes: int, increment_min: int, day_seconds: Sequence[tuple[date, Fraction]]
) -> list[DayPortion]:
    """Split an already-rounded ``total_minutes`` over the days, in whole increments.

    The interval's total is rounded once (``gateway.rounding``) and then allocated here,
    rather than each day being rounded on its own: rounding each day separately would inflate
    short tails past midnight (a 1-second tail would post a whole minimum), while allocating
    the rounded total keeps the posted sum equal to what one entry would have posted.

    Each day's share is proportional to its seconds; shares are whole increments chosen by
    the largest-remainder method (ties go to the earlier day), so the portions sum exactly to
    ``total_minutes``. ``day_seconds`` is in day order, as ``local_days`` gives it. Days
    given 0 minutes are left out. If every day has 0 seconds the whole
    total goes to the first day.
    """
    if increment_min <= 0:
        raise ValueError(f"increment_min must be positive, got {increment_min}")
    if total_minutes < 0 or total_minutes % increment_min:
        raise ValueError(
            f"total_minutes must be a non-negative multiple of {increment_min}, got {total_minutes}"
        )
    if not day_seconds:
        raise ValueError("day_seconds must name at least one day")
    if any(seconds < 0 for _, seconds in day_seconds):
        raise ValueError("day seconds must not be negative")

    increments = total_minutes // increment_min
    total_seconds = sum((seconds for _, seconds in day_seconds), Fraction(0))
    if total_seconds == 0:
        shares = [increments] + [0] * (len(day_seconds) - 1)
    else:
        quotas = [increments * Fraction(seconds) / total_seconds for _, seconds in day_seconds]
        shares = [quota.numerator // quota.denominator for quota in quotas]
        left_over = increments - sum(shares)
        # Largest remainder first; the index breaks ties towards the earlier day.
        by_remainder = sorted(range(len(quotas)), key=lambda i: (shares[i] - quotas[i], i))
        for i in by_remainder[:left_over]:
            shares[i] += 1

    return [
        DayPortion(day=day, seconds=Fraction(seconds), minutes=share * increment_min)
        for (day, seconds), share in zip(day_seconds, shares, strict=True)
        if share
    ]
