"""Duration rounding rules (pure)."""

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Literal, assert_never, get_args

RoundingMode = Literal["up", "nearest", "down"]

# Redmine stores hours as minutes but its API shows two decimals, so only multiples of
# 3 minutes (0.05 h) survive a round trip exactly.
MINUTE_GRAIN = 3
MIN_INCREMENT_MIN = 3
MAX_INCREMENT_MIN = 240

_US_PER_S = 1_000_000
_US_PER_MIN = 60 * _US_PER_S


@dataclass(frozen=True)
class RoundingPolicy:
    """How a duration becomes the whole minutes posted to Redmine.

    ``increment_min`` is a multiple of 3 in 3..240; ``minimum_min`` is a positive multiple
    of the increment and the least ever posted, so nothing rounds away to 0.
    """

    increment_min: int
    mode: RoundingMode
    minimum_min: int

    def __post_init__(self) -> None:
        inc = self.increment_min
        if not MIN_INCREMENT_MIN <= inc <= MAX_INCREMENT_MIN or inc % MINUTE_GRAIN:
            raise ValueError(
                f"increment_min must be a multiple of {MINUTE_GRAIN} in "
                f"{MIN_INCREMENT_MIN}..{MAX_INCREMENT_MIN}, got {inc}"
            )
        if self.minimum_min <= 0 or self.minimum_min % inc:
            raise ValueError(
                f"minimum_min must be a positive multiple of increment_min ({inc}), "
                f"got {self.minimum_min}"
            )
        # Literal is not checked at runtime, and a typo here would otherwise surface only
        # when the first timer stops.
        if self.mode not in get_args(RoundingMode):
            raise ValueError(f"mode must be one of {get_args(RoundingMode)}, got {self.mode!r}")


def _whole_microseconds(duration_s: float | Fraction) -> int:
    """``duration_s`` as whole microseconds, the precision every rounding decision uses.

    Microseconds are the resolution of ``datetime``, where durations come from. The exact
    value of the argument (a float's exact binary value) is rounded to the nearest
    microsecond, so float noise from timestamp arithmetic such as 449.99999999999994 s lands
    back on 450 s and cannot push an exact boundary either way; after this step everything
    is integer arithmetic.
    """
    if isinstance(duration_s, float) and not math.isfinite(duration_s):
        raise ValueError(f"duration must be finite, got {duration_s}")
    exact = Fraction(duration_s)
    if exact < 0:
        raise ValueError(f"duration must not be negative, got {duration_s}")
    return round(exact * _US_PER_S)


def rounded_minutes(duration_s: float | Fraction, policy: RoundingPolicy) -> int:
    """Minutes to post for a duration of ``duration_s`` seconds under ``policy``.

    The result is a multiple of the increment and at least ``policy.minimum_min`` (never 0).
    ``nearest`` rounds half up: 7m30s with a 15-minute increment gives 15.
    """
    us = _whole_microseconds(duration_s)
    inc_us = policy.increment_min * _US_PER_MIN
    match policy.mode:
        case "up":
            increments = -(-us // inc_us)
        case "nearest":
            # floor(us / inc_us + 1/2), kept in integers.
            increments = (2 * us + inc_us) // (2 * inc_us)
        case "down":
            increments = us // inc_us
        case _:
            assert_never(policy.mode)
    return max(increments * policy.increment_min, policy.minimum_min)


def hours_for(minutes: int) -> Decimal:
    """The exact ``hours`` value to post for ``minutes``, with two decimals (15 -> 0.25).

    Raises ValueError unless ``minutes`` is a non-negative multiple of 3: any other value
    cannot be written with two decimals, and Redmine would store a different duration.
    """
    if minutes < 0 or minutes % MINUTE_GRAIN:
        raise ValueError(
            f"minutes must be a non-negative multiple of {MINUTE_GRAIN} to be exact in "
            f"hundredths of an hour, got {minutes}"
        )
    # minutes / 60 == (minutes / 3) * 5 / 100: build the hundredths directly, which is exact
    # and independent of the decimal context's precision.
    hours = Decimal(minutes // MINUTE_GRAIN * 5).scaleb(-2)
    if hours * 60 != minutes:
        raise ValueError(f"{minutes} minutes is not exactly {hours} hours")
    return hours
