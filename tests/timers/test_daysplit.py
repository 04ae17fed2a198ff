"""Splitting an interval into local days and allocating a rounded total over them."""

from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from itertools import pairwise
from typing import get_args
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.rounding import RoundingMode, RoundingPolicy, rounded_minutes
from gateway.timers.daysplit import DayPortion, allocate, local_days

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")

H = 3600


def utc(
    year: int, month: int, day: int, hour: int, minute: int, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


def berlin(
    year: int, month: int, day: int, hour: int, minute: int, second: int = 0, *, fold: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=BERLIN, fold=fold)


# --- local_days -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("started_at", "ended_at", "tz", "expected"),
    [
        pytest.param(
            utc(2026, 5, 4, 9, 0),
            utc(2026, 5, 4, 10, 30),
            UTC,
            [(date(2026, 5, 4), 5400)],
            id="same-day",
        ),
        pytest.param(
            utc(2026, 5, 4, 23, 0),
            utc(2026, 5, 5, 1, 30),
            UTC,
            [(date(2026, 5, 4), H), (date(2026, 5, 5), 5400)],
            id="one-midnight-utc",
        ),
        pytest.param(
            utc(2026, 5, 4, 22, 0),
            utc(2026, 5, 5, 0, 0),
            UTC,
            [(date(2026, 5, 4), 2 * H)],
            id="ends-exactly-at-midnight",
        ),
        pytest.param(
            utc(2026, 5, 5, 0, 0),
            utc(2026, 5, 5, 0, 15),
            UTC,
            [(date(2026, 5, 5), 900)],
            id="starts-exactly-at-midnight",
        ),
        pytest.param(
            # 00:30-01:30 CEST on the 5th, though both instants are on the 4th in UTC.
            utc(2026, 5, 4, 22, 30),
            utc(2026, 5, 4, 23, 30),
            BERLIN,
            [(date(2026, 5, 5), H)],
            id="berlin-next-day-while-utc-is-not",
        ),
        pytest.param(
            # 23:30-00:30 CEST: crosses local midnight within one UTC day.
            utc(2026, 5, 4, 21, 30),
            utc(2026, 5, 4, 22, 30),
            BERLIN,
            [(date(2026, 5, 4), 1800), (date(2026, 5, 5), 1800)],
            id="berlin-midnight-inside-one-utc-day",
        ),
        pytest.param(
            # The same instants given in two other zones: only the instants matter.
            utc(2026, 5, 4, 21, 30).astimezone(NEW_YORK),
            utc(2026, 5, 4, 22, 30).astimezone(ZoneInfo("Asia/Tokyo")),
            BERLIN,
            [(date(2026, 5, 4), 1800), (date(2026, 5, 5), 1800)],
            id="inputs-in-other-zones",
        ),
        pytest.param(
            # Spring forward on 2026-03-29 (02:00 CET -> 03:00 CEST): that day has 23 hours.
            berlin(2026, 3, 28, 12, 0),
            berlin(2026, 3, 30, 12, 0),
            BERLIN,
            [(date(2026, 3, 28), 12 * H), (date(2026, 3, 29), 23 * H), (date(2026, 3, 30), 12 * H)],
            id="dst-spring-23h-day",
        ),
        pytest.param(
            berlin(2026, 3, 29, 1, 30),
            berlin(2026, 3, 29, 3, 30),
            BERLIN,
            [(date(2026, 3, 29), H)],
            id="dst-spring-across-the-gap",
        ),
        pytest.param(
            # Fall back on 2026-10-25 (03:00 CEST -> 02:00 CET): that day has 25 hours.
            berlin(2026, 10, 24, 23, 0),
            berlin(2026, 10, 26, 1, 0),
            BERLIN,
            [(date(2026, 10, 24), H), (date(2026, 10, 25), 25 * H), (date(2026, 10, 26), H)],
            id="dst-autumn-25h-day",
        ),
        pytest.param(
            # 02:30 happens twice; fold picks the first (CEST) and the second (CET) one.
            berlin(2026, 10, 25, 2, 30, fold=0),
            berlin(2026, 10, 25, 2, 30, fold=1),
            BERLIN,
            [(date(2026, 10, 25), H)],
            id="dst-autumn-repeated-hour",
        ),
        pytest.param(
            # Santiago springs forward at midnight (00:00 -04 -> 01:00 -03) on 2026-09-06:
            # 23:30 on the 5th to 01:30 on the 6th is one hour, half on each day.
            utc(2026, 9, 6, 3, 30),
            utc(2026, 9, 6, 4, 30),
            ZoneInfo("America/Santiago"),
            [(date(2026, 9, 5), 1800), (date(2026, 9, 6), 1800)],
            id="midnight-inside-a-dst-gap",
        ),
        pytest.param(
            # Samoa skipped 2011-12-30 (-10 -> +14): 23:00 on the 29th to 01:00 on the 31st.
            utc(2011, 12, 30, 9, 0),
            utc(2011, 12, 30, 11, 0),
            ZoneInfo("Pacific/Apia"),
            [(date(2011, 12, 29), H), (date(2011, 12, 31), H)],
            id="skipped-day",
        ),
        pytest.param(
            utc(2026, 5, 1, 18, 0),
            utc(2026, 5, 4, 6, 0),
            UTC,
            [
                (date(2026, 5, 1), 6 * H),
                (date(2026, 5, 2), 24 * H),
                (date(2026, 5, 3), 24 * H),
                (date(2026, 5, 4), 6 * H),
            ],
            id="multi-day",
        ),
        pytest.param(
            utc(2026, 5, 4, 23, 30),
            utc(2026, 5, 4, 23, 30),
            BERLIN,
            [(date(2026, 5, 5), 0)],
            id="zero-length-on-the-local-day",
        ),
        pytest.param(
            utc(2026, 5, 4, 23, 59, 59, 500000),
            utc(2026, 5, 5, 0, 0, 0, 250000),
            UTC,
            [(date(2026, 5, 4), Fraction(1, 2)), (date(2026, 5, 5), Fraction(1, 4))],
            id="microseconds-kept-exactly",
        ),
    ],
)
def test_local_days(
    started_at: datetime,
    ended_at: datetime,
    tz: ZoneInfo,
    expected: list[tuple[date, int | Fraction]],
) -> None:
    result = local_days(started_at, ended_at, tz)
    assert result == expected
    assert all(isinstance(seconds, Fraction) for _, seconds in result)


@pytest.mark.parametrize(
    ("started_at", "ended_at"),
    [
        (datetime(2026, 5, 4, 9, 0), utc(2026, 5, 4, 10, 0)),
        (utc(2026, 5, 4, 9, 0), datetime(2026, 5, 4, 10, 0)),
    ],
)
def test_local_days_refuses_naive_datetimes(started_at: datetime, ended_at: datetime) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        local_days(started_at, ended_at, BERLIN)


@pytest.mark.parametrize(
    ("started_at", "ended_at"),
    [
        (utc(2026, 5, 4, 10, 0), utc(2026, 5, 4, 9, 59, 59, 999999)),
        # Equal wall times in one tzinfo, yet the second 02:30 (fold=1) came first here.
        (berlin(2026, 10, 25, 2, 30, fold=1), berlin(2026, 10, 25, 2, 30, fold=0)),
    ],
)
def test_local_days_refuses_end_before_start(started_at: datetime, ended_at: datetime) -> None:
    with pytest.raises(ValueError, match="before"):
        local_days(started_at, ended_at, BERLIN)


# --- allocate -------------------------------------------------------------------------------

MAY_4 = date(2026, 5, 4)
MAY_5 = date(2026, 5, 5)
MAY_6 = date(2026, 5, 6)


def test_allocate_ten_and_twenty_minutes_of_a_half_hour() -> None:
    days = local_days(berlin(2026, 5, 4, 23, 50), berlin(2026, 5, 5, 0, 20), BERLIN)
    assert days == [(MAY_4, Fraction(600)), (MAY_5, Fraction(1200))]
    # Two increments with quotas 2/3 and 4/3: floors 0 + 1, the spare goes to the 2/3.
    assert allocate(30, 15, days) == [
        DayPortion(day=MAY_4, seconds=Fraction(600), minutes=15),
        DayPortion(day=MAY_5, seconds=Fraction(1200), minutes=15),
    ]


def test_allocate_leaves_out_a_one_second_tail() -> None:
    days = local_days(berlin(2026, 5, 4, 23, 59, 59), berlin(2026, 5, 5, 0, 30), BERLIN)
    assert days == [(MAY_4, Fraction(1)), (MAY_5, Fraction(1800))]
    total = rounded_minutes(
        sum(seconds for _, seconds in days),
        RoundingPolicy(increment_min=15, mode="nearest", minimum_min=15),
    )
    assert total == 30
    assert allocate(total, 15, days) == [DayPortion(MAY_5, Fraction(1800), 30)]


@pytest.mark.parametrize(
    ("total", "increment", "day_seconds", "expected"),
    [
        pytest.param(45, 15, [(MAY_4, 5000)], [(MAY_4, 45)], id="one-day-takes-all"),
        pytest.param(15, 15, [(MAY_4, 100), (MAY_5, 200)], [(MAY_5, 15)], id="largest-remainder"),
        pytest.param(15, 15, [(MAY_4, 600), (MAY_5, 600)], [(MAY_4, 15)], id="tie-to-earlier"),
        pytest.param(
            45, 15, [(MAY_4, 600), (MAY_5, 600)], [(MAY_4, 30), (MAY_5, 15)], id="tie-spare-unit"
        ),
        pytest.param(
            # 6 h, 24 h, 6 h of a rounded 3 h: quotas 1/2, 2, 1/2; the tied spare goes first.
            180,
            60,
            [(MAY_4, 6 * H), (MAY_5, 24 * H), (MAY_6, 6 * H)],
            [(MAY_4, 60), (MAY_5, 120)],
            id="three-days-tie",
        ),
        pytest.param(
            # A minimum of 60 lifted a 5-minute interval: quotas 0.8, 0.8, 2.4.
            60,
            15,
            [(MAY_4, 60), (MAY_5, 60), (MAY_6, 180)],
            [(MAY_4, 15), (MAY_5, 15), (MAY_6, 30)],
            id="minimum-spread",
        ),
        pytest.param(
            # Quotas 0.4, 0.4, 1.2: the one spare increment goes to the earlier of the tie.
            30,
            15,
            [(MAY_4, 60), (MAY_5, 60), (MAY_6, 180)],
            [(MAY_4, 15), (MAY_6, 15)],
            id="tie-leaves-a-day-out",
        ),
        pytest.param(15, 15, [(MAY_4, 0)], [(MAY_4, 15)], id="zero-length"),
        pytest.param(30, 15, [(MAY_4, 0), (MAY_5, 0)], [(MAY_4, 30)], id="all-zero-first-day"),
        pytest.param(0, 15, [(MAY_4, 600)], [], id="nothing-to-allocate"),
    ],
)
def test_allocate(
    total: int,
    increment: int,
    day_seconds: list[tuple[date, int]],
    expected: list[tuple[date, int]],
) -> None:
    exact = [(day, Fraction(seconds)) for day, seconds in day_seconds]
    result = allocate(total, increment, exact)
    assert [(portion.day, portion.minutes) for portion in result] == expected
    assert sum(portion.minutes for portion in result) == total
    assert all(portion.seconds == dict(exact)[portion.day] for portion in result)


@pytest.mark.parametrize(
    ("total", "increment", "day_seconds", "match"),
    [
        (20, 15, [(MAY_4, Fraction(600))], "multiple"),
        (-15, 15, [(MAY_4, Fraction(600))], "multiple"),
        (15, 0, [(MAY_4, Fraction(600))], "increment_min"),
        (15, 15, [], "at least one day"),
        (15, 15, [(MAY_4, Fraction(-1))], "negative"),
    ],
)
def test_allocate_refuses(
    total: int, increment: int, day_seconds: list[tuple[date, Fraction]], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        allocate(total, increment, day_seconds)


# --- properties -----------------------------------------------------------------------------

START = datetime(2000, 1, 1, tzinfo=UTC)
# Zones with 23/25 h days, a 30-minute DST shift, a skipped day (Apia, 2011-12-30), odd offsets.
ZONES = [
    UTC,
    BERLIN,
    NEW_YORK,
    ZoneInfo("Australia/Lord_Howe"),
    ZoneInfo("Pacific/Apia"),
    ZoneInfo("Asia/Kathmandu"),
    ZoneInfo("America/St_Johns"),
    ZoneInfo("America/Santiago"),
]

intervals = st.tuples(
    st.integers(min_value=0, max_value=40 * 365 * 24 * H * 10**6),
    st.one_of(
        st.integers(min_value=0, max_value=2 * H * 10**6),
        st.integers(min_value=0, max_value=10 * 24 * H * 10**6),
    ),
).map(
    lambda offsets: (
        START + timedelta(microseconds=offsets[0]),
        START + timedelta(microseconds=offsets[0] + offsets[1]),
    )
)
zones = st.one_of(st.sampled_from(ZONES), st.timezones())
policies = st.builds(
    lambda increment, mode, factor: RoundingPolicy(
        increment_min=increment, mode=mode, minimum_min=increment * factor
    ),
    st.sampled_from(range(3, 241, 3)),
    st.sampled_from(get_args(RoundingMode)),
    st.integers(min_value=1, max_value=4),
)


@settings(deadline=None)
@given(intervals, zones)
def test_local_days_cover_the_interval(interval: tuple[datetime, datetime], tz: ZoneInfo) -> None:
    started_at, ended_at = interval
    days = local_days(started_at, ended_at, tz)
    total = Fraction((ended_at - started_at) // timedelta(microseconds=1), 10**6)
    assert sum(seconds for _, seconds in days) == total
    assert all(earlier < later for (earlier, _), (later, _) in pairwise(days))
    assert days[0][0] == started_at.astimezone(tz).date()
    if total:
        assert all(seconds > 0 for _, seconds in days)
        last_instant = ended_at - timedelta(microseconds=1)
        assert days[-1][0] == last_instant.astimezone(tz).date()
    else:
        assert days == [(started_at.astimezone(tz).date(), Fraction(0))]


@settings(deadline=None)
@given(intervals, zones, policies)
def test_allocation_sums_to_the_single_entry_total(
    interval: tuple[datetime, datetime], tz: ZoneInfo, policy: RoundingPolicy
) -> None:
    days = local_days(*interval, tz)
    seconds = sum((s for _, s in days), Fraction(0))
    total = rounded_minutes(seconds, policy)
    portions = allocate(total, policy.increment_min, days)

    assert sum(portion.minutes for portion in portions) == total
    assert all(portion.minutes > 0 for portion in portions)
    assert all(portion.minutes % policy.increment_min == 0 for portion in portions)
    assert all(a.day < b.day for a, b in pairwise(portions))
    assert {portion.day: portion.seconds for portion in portions}.items() <= dict(days).items()
    if seconds:
        # Largest remainder: no day is more than one increment off its proportional share.
        for portion in portions:
            share = total * portion.seconds / seconds
            assert abs(portion.minutes - share) < policy.increment_min


@given(
    st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=10),
    st.sampled_from(range(3, 241, 3)),
    st.integers(min_value=0, max_value=200),
)
def test_allocate_any_seconds(day_us: list[int], increment: int, increments: int) -> None:
    days = [(MAY_4 + timedelta(days=i), Fraction(us, 10**6)) for i, us in enumerate(day_us)]
    total = increments * increment
    portions = allocate(total, increment, days)
    assert sum(portion.minutes for portion in portions) == total
    assert all(portion.minutes > 0 and portion.minutes % increment == 0 for portion in portions)
    assert all(a.day < b.day for a, b in pairwise(portions))
    given_seconds = dict(days)
    assert all(given_seconds[portion.day] == portion.seconds for portion in portions)
    total_seconds = sum(seconds for _, seconds in days)
    for day, seconds in days:
        minutes = next((p.minutes for p in portions if p.day == day), 0)
        if total_seconds:
            assert abs(minutes - total * seconds / total_seconds) < increment
        elif day != days[0][0]:
            assert minutes == 0
