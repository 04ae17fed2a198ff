"""Duration rounding rules: hand-computed cases and properties."""

import math
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import cast, get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.rounding import RoundingMode, RoundingPolicy, hours_for, rounded_minutes

MODES: tuple[RoundingMode, ...] = get_args(RoundingMode)
VALID_INCREMENTS = range(3, 241, 3)

M = 60  # seconds per minute, to keep the tables readable
H = 3600


# (duration_s, increment_min, minimum_min, (up, nearest, down))
CASES: list[tuple[float | Fraction, int, int, tuple[int, int, int]]] = [
    # Zero and near-zero durations never post 0: they post the minimum.
    (0, 15, 15, (15, 15, 15)),
    (0.0, 3, 3, (3, 3, 3)),
    (1, 15, 15, (15, 15, 15)),
    (1, 3, 3, (3, 3, 3)),
    # 7m29s and 7m30s around the half-increment of 15 and a 3-minute grid.
    (7 * M + 29, 15, 15, (15, 15, 15)),
    (7 * M + 30, 15, 15, (15, 15, 15)),
    (7 * M + 29, 3, 3, (9, 6, 6)),  # 2.494 increments
    (7 * M + 30, 3, 3, (9, 9, 6)),  # exactly 2.5: nearest rounds half up
    (7 * M + 30, 6, 6, (12, 6, 6)),  # 1.25 increments
    # 22m30s.
    (22 * M + 30, 15, 15, (30, 30, 15)),  # exactly 1.5
    (22 * M + 30, 30, 30, (30, 30, 30)),  # 0.75; down gives 0, so the minimum
    (22 * M + 30, 6, 6, (24, 24, 18)),  # 3.75
    # Exactly 15 minutes, and just past it.
    (15 * M, 15, 15, (15, 15, 15)),
    (15 * M, 6, 6, (18, 18, 12)),  # exactly 2.5
    (15 * M, 30, 30, (30, 30, 30)),  # exactly 0.5
    (15 * M + 1, 15, 15, (30, 15, 15)),
    # 3 hours.
    (3 * H, 15, 15, (180, 180, 180)),
    (3 * H, 60, 60, (180, 180, 180)),
    (3 * H, 240, 240, (240, 240, 240)),  # 0.75 of 4 h
    # Hour increments around 1.5 h.
    (89 * M + 59, 60, 60, (120, 60, 60)),
    (90 * M, 60, 60, (120, 120, 60)),
    # A minimum larger than the increment lifts short durations only.
    (0, 15, 60, (60, 60, 60)),
    (22 * M + 30, 15, 60, (60, 60, 60)),
    (61 * M, 15, 60, (75, 60, 60)),
    (70 * M, 15, 60, (75, 75, 60)),  # 4.67 increments
    (2 * H, 15, 60, (120, 120, 120)),
    (7 * M + 30, 15, 30, (30, 30, 30)),
    # Float noise below a microsecond does not cross an exact boundary.
    (449.99999999999994, 3, 3, (9, 9, 6)),  # the float just below 450 s
    (math.nextafter(900.0, math.inf), 15, 15, (15, 15, 15)),
    ((timedelta(minutes=7, seconds=30)).total_seconds(), 15, 15, (15, 15, 15)),
    # A sub-microsecond remainder is dropped; a whole microsecond past the boundary counts.
    (900.000001, 15, 15, (30, 15, 15)),
    # Exact inputs.
    (Fraction(901), 15, 15, (30, 15, 15)),
    (Fraction(2699999999, 10**6), 15, 15, (45, 45, 30)),  # 45 min less 1 microsecond
]


@pytest.mark.parametrize(("duration_s", "increment", "minimum", "expected"), CASES)
@pytest.mark.parametrize(("mode_index", "mode"), list(enumerate(MODES)))
def test_rounded_minutes_cases(
    duration_s: float | Fraction,
    increment: int,
    minimum: int,
    expected: tuple[int, int, int],
    mode_index: int,
    mode: RoundingMode,
) -> None:
    policy = RoundingPolicy(increment_min=increment, mode=mode, minimum_min=minimum)
    assert rounded_minutes(duration_s, policy) == expected[mode_index]


def test_duration_from_datetimes_rounds_like_its_exact_value() -> None:
    started = datetime(2026, 5, 4, 9, 0, 0, 123456)
    ended = started + timedelta(minutes=7, seconds=30)
    policy = RoundingPolicy(increment_min=3, mode="nearest", minimum_min=3)
    duration_s = (ended - started).total_seconds()
    assert rounded_minutes(duration_s, policy) == 9  # 2.5 increments: half up
    assert rounded_minutes(duration_s - 1e-6, policy) == 6  # one microsecond short of half


@pytest.mark.parametrize("increment", [0, -3, 1, 2, 4, 14, 16, 241, 243, 246, 300])
def test_policy_refuses_bad_increment(increment: int) -> None:
    with pytest.raises(ValueError, match="increment_min"):
        RoundingPolicy(increment_min=increment, mode="nearest", minimum_min=15)


@pytest.mark.parametrize(("increment", "minimum"), [(15, 0), (15, -15), (15, 20), (15, 7), (3, 1)])
def test_policy_refuses_bad_minimum(increment: int, minimum: int) -> None:
    with pytest.raises(ValueError, match="minimum_min"):
        RoundingPolicy(increment_min=increment, mode="nearest", minimum_min=minimum)


def test_policy_refuses_unknown_mode() -> None:
    with pytest.raises(ValueError, match="mode"):
        RoundingPolicy(increment_min=15, mode=cast(RoundingMode, "sideways"), minimum_min=15)


@pytest.mark.parametrize(("increment", "minimum"), [(3, 3), (15, 15), (15, 60), (240, 240)])
def test_policy_accepts_edges(increment: int, minimum: int) -> None:
    policy = RoundingPolicy(increment_min=increment, mode="up", minimum_min=minimum)
    assert (policy.increment_min, policy.minimum_min) == (increment, minimum)


@pytest.mark.parametrize("duration_s", [-1, -1e-9, -0.000001, Fraction(-1, 10**9)])
def test_rounded_minutes_refuses_negative(duration_s: float | Fraction) -> None:
    policy = RoundingPolicy(increment_min=15, mode="nearest", minimum_min=15)
    with pytest.raises(ValueError, match="negative"):
        rounded_minutes(duration_s, policy)


@pytest.mark.parametrize("duration_s", [math.nan, math.inf, -math.inf])
def test_rounded_minutes_refuses_non_finite(duration_s: float) -> None:
    policy = RoundingPolicy(increment_min=15, mode="up", minimum_min=15)
    with pytest.raises(ValueError, match="finite"):
        rounded_minutes(duration_s, policy)


def test_negative_zero_is_zero() -> None:
    policy = RoundingPolicy(increment_min=15, mode="down", minimum_min=15)
    assert rounded_minutes(-0.0, policy) == 15


@pytest.mark.parametrize(
    ("minutes", "hours"),
    [
        (0, "0.00"),
        (3, "0.05"),
        (6, "0.10"),
        (15, "0.25"),
        (45, "0.75"),
        (60, "1.00"),
        (90, "1.50"),
        (99, "1.65"),
        (240, "4.00"),
        (1440, "24.00"),
    ],
)
def test_hours_for(minutes: int, hours: str) -> None:
    result = hours_for(minutes)
    assert str(result) == hours  # two decimals exactly, as posted
    assert result * 60 == minutes


@pytest.mark.parametrize("minutes", [1, 2, 10, 20, 59, 61, -3, -15])
def test_hours_for_refuses_inexact_minutes(minutes: int) -> None:
    with pytest.raises(ValueError, match="multiple of 3"):
        hours_for(minutes)


# --- properties ---------------------------------------------------------------------------

MAX_DURATION_S = 30 * 24 * H

policies = st.builds(
    lambda increment, mode, factor: RoundingPolicy(
        increment_min=increment, mode=mode, minimum_min=increment * factor
    ),
    st.sampled_from(VALID_INCREMENTS),
    st.sampled_from(MODES),
    st.integers(min_value=1, max_value=8),
)
single_increment_policies = st.builds(
    lambda increment, mode: RoundingPolicy(
        increment_min=increment, mode=mode, minimum_min=increment
    ),
    st.sampled_from(VALID_INCREMENTS),
    st.sampled_from(MODES),
)
durations: st.SearchStrategy[float | Fraction] = st.one_of(
    st.floats(min_value=0, max_value=MAX_DURATION_S, allow_nan=False, allow_infinity=False),
    st.integers(min_value=0, max_value=MAX_DURATION_S).map(float),
    # Whole microseconds, as datetime differences give; boundaries are hit far more often.
    st.integers(min_value=0, max_value=MAX_DURATION_S * 10**6).map(lambda us: Fraction(us, 10**6)),
    # Exact multiples of half a minute sit on every "nearest" boundary.
    st.integers(min_value=0, max_value=2 * 24 * 60 * 8).map(lambda n: Fraction(30 * n)),
)


# Inputs are taken to the nearest microsecond, so a one-sided bound may be off by half of one.
HALF_US_IN_MIN = Fraction(1, 2 * 60 * 10**6)


def raw_minutes(duration_s: float | Fraction) -> Fraction:
    return Fraction(duration_s) / 60


@given(policies, durations, durations)
def test_monotone_in_duration(
    policy: RoundingPolicy, a: float | Fraction, b: float | Fraction
) -> None:
    shorter, longer = sorted((a, b))
    assert rounded_minutes(shorter, policy) <= rounded_minutes(longer, policy)


@given(policies, durations)
def test_never_zero_and_a_multiple_of_the_increment(
    policy: RoundingPolicy, duration_s: float | Fraction
) -> None:
    result = rounded_minutes(duration_s, policy)
    assert result > 0
    assert result % policy.increment_min == 0
    assert result >= policy.minimum_min


@given(single_increment_policies, durations)
def test_within_one_increment_of_the_raw_duration(
    policy: RoundingPolicy, duration_s: float | Fraction
) -> None:
    result = rounded_minutes(duration_s, policy)
    assert abs(result - raw_minutes(duration_s)) <= policy.increment_min


@given(policies, durations)
def test_within_one_increment_unless_lifted_to_the_minimum(
    policy: RoundingPolicy, duration_s: float | Fraction
) -> None:
    result = rounded_minutes(duration_s, policy)
    raw = raw_minutes(duration_s)
    assert result >= raw - policy.increment_min
    assert result <= max(Fraction(policy.minimum_min), raw + policy.increment_min)
    if result > policy.minimum_min:
        assert abs(result - raw) <= policy.increment_min


@given(policies, durations)
def test_direction_of_each_mode(policy: RoundingPolicy, duration_s: float | Fraction) -> None:
    result = rounded_minutes(duration_s, policy)
    raw = raw_minutes(duration_s)
    floor = Fraction(policy.minimum_min)
    if policy.mode == "up":
        assert result >= raw - HALF_US_IN_MIN
    elif policy.mode == "down":
        assert result <= max(floor, raw + HALF_US_IN_MIN)
    else:
        half = Fraction(policy.increment_min, 2)
        assert result <= max(floor, raw + half + HALF_US_IN_MIN)
        assert result >= raw - half - HALF_US_IN_MIN


@given(policies, durations)
def test_rounding_is_idempotent(policy: RoundingPolicy, duration_s: float | Fraction) -> None:
    result = rounded_minutes(duration_s, policy)
    assert rounded_minutes(result * 60, policy) == result


@given(policies, durations)
def test_hours_round_trip_through_two_decimals(
    policy: RoundingPolicy, duration_s: float | Fraction
) -> None:
    minutes = rounded_minutes(duration_s, policy)
    hours = hours_for(minutes)
    assert hours * 60 == minutes
    assert hours == hours.quantize(Decimal("0.01"))
    assert hours.as_tuple().exponent == -2
